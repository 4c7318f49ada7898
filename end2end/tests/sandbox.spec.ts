import { expect, test } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { webview } from './webview';

// The demo partner is a sandbox partner: its backend is Tessera's built-in
// fake (SSO: the token is the user id, `refuse` refuses; coins: 1000 to
// start, a cost of 999 is refused) and it sees the test brand's vouchers.
const FIFTY_COINS = '0195f0a1-0000-7000-8000-0000000000f2';
const REFUSED = '0195f0a1-0000-7000-8000-0000000000f3';

test('SSO boot: the token opens a session and leaves the URL', async ({ page }) => {
  const user = `sbx-${randomUUID().slice(0, 8)}`;
  const response = await page.goto(`/consumer?clientId=demo&token=${user}`);
  expect(response?.status()).toBe(200);
  expect(page.url()).not.toContain('token');
  await expect(page.locator('.voucher-card').filter({ hasText: 'Test: always succeeds' })).toBeVisible();
  await page.goto('/consumer/wallet');
  await expect(page.locator('.coin-balance')).toHaveText('Your balance: 1,000 coins');
});

test('a refused SSO token: the error screen, the debug panel, and the error message to the host', async ({ page }, info) => {
  const response = await page.goto('/consumer?clientId=demo&token=refuse');
  expect(response?.status(), 'the refusal screen says 401, as docs/sso.md does').toBe(401);
  const screen = page.locator('.boot-error');
  await expect(screen).toHaveAttribute('data-code', 'sso_refused');
  const debug = screen.locator('.sso-debug');
  await expect(debug.locator('.sso-url')).toContainText('/sandbox/demo/sso');
  await expect(debug.locator('.sso-status')).toHaveText('200');
  await expect(debug.locator('.sso-body')).toHaveText('{"userId":null}');
  await expect(debug.locator('.sso-curl')).toContainText('X-Tessera-Secret: ****');
  if (info.project.name !== 'hydrated') return;
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await debug.getByRole('button', { name: 'Copy the command' }).click();
  await expect(debug.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain("curl -i -X POST");
  expect(page.url()).not.toContain('token');
  const log = await webview(page).bridgeLog();
  expect(log).toContainEqual(expect.objectContaining({ type: 'action', action: 'error', code: 'sso_refused' }));
  expect(log).not.toContainEqual(expect.objectContaining({ action: 'app_ready' }));
});

test('claiming a coin voucher debits the sandbox ledger; a refused debit says so', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'claiming needs JavaScript');
  const user = `sbx-${randomUUID().slice(0, 8)}`;
  await page.goto(`/consumer/vouchers/${FIFTY_COINS}?clientId=demo&token=${user}`);
  await expect(page.locator('.coin-cost')).toHaveText('50 coins');
  await expect(page.locator('.coin-balance')).toHaveText('Your balance: 1,000 coins');
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
  await page.getByRole('button', { name: 'Claim' }).click();
  await expect(page.locator('.claimed')).toBeVisible();
  await page.goto('/consumer/wallet');
  await expect(page.locator('.coin-balance')).toHaveText('Your balance: 950 coins');
  await expect(page.locator('.wallet-item')).toHaveCount(1);

  await page.goto(`/consumer/vouchers/${REFUSED}`);
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
  await page.getByRole('button', { name: 'Claim' }).click();
  await expect(page.locator('.claim-error')).toHaveAttribute('data-code', 'insufficient_coins');
  await page.goto('/consumer/wallet');
  await expect(page.locator('.coin-balance')).toHaveText('Your balance: 950 coins');
});
