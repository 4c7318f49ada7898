import { expect, test } from '@playwright/test';
import { newUser, plain, someVoucher } from './helpers';
import { webview } from './webview';

// The voucher deep link (SPEC §6): /consumer/vouchers/{id}, claiming it, and
// ?claim=1 claiming on open.
test.describe('voucher page', () => {
  test('opens cold from a deep link and claims into the wallet', async ({ page, request }, info) => {
    test.skip(info.project.name !== 'hydrated', 'claiming needs JavaScript');
    const { jwt, auth } = await newUser(request);
    const v = await someVoucher(request, auth);
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await webview(page).open(`/consumer/vouchers/${v.id}`, jwt);
    await expect(page.locator('.voucher-detail .title')).toHaveText(plain(v.title));
    await expect(page).toHaveTitle(`${plain(v.title)} · Tessera`);
    await page.getByRole('button', { name: 'Claim' }).click();
    await expect(page.locator('.claimed')).toBeVisible();
    const claims = await (await request.get('/me/claims', { headers: auth })).json();
    expect(claims.map((c: { voucherId: string }) => c.voucherId)).toEqual([v.id]);
    await page.goto('/consumer/wallet');
    await expect(page.locator('.wallet-item')).toHaveCount(1);
    expect(errors).toEqual([]);
  });

  test('?claim=1 claims on open, once', async ({ page, request }, info) => {
    test.skip(info.project.name !== 'hydrated', 'claiming needs JavaScript');
    const { jwt, auth } = await newUser(request);
    const v = await someVoucher(request, auth);
    await webview(page).open(`/consumer/vouchers/${v.id}?claim=1`, jwt);
    await expect(page.locator('.claimed')).toBeVisible();
    await page.reload();
    await expect(page.locator('.claimed')).toBeVisible();
    const claims = await (await request.get('/me/claims', { headers: auth })).json();
    expect(claims).toHaveLength(1);
  });

  test('renders on the server with the session cookie', async ({ page }, info) => {
    test.skip(info.project.name !== 'ssr-only', 'checks the server rendering');
    const { jwt, auth } = await newUser(page.request);
    const v = await someVoucher(page.request, auth);
    await webview(page).signIn(jwt);
    await page.goto(`/consumer/vouchers/${v.id}`);
    await expect(page.locator('.voucher-detail .title')).toHaveText(plain(v.title));
    await expect(page.getByRole('button', { name: 'Claim' })).toBeVisible();
  });

  test('a claim posted from another site is refused', async ({ request, baseURL }) => {
    const res = await request.post('/api/claim_voucher', {
      headers: { origin: 'http://evil.test', 'content-type': 'application/x-www-form-urlencoded' },
      data: 'id=x',
    });
    expect(res.status()).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'cross_site_request' } });
    const same = await request.post('/api/claim_voucher', {
      headers: { origin: new URL(baseURL!).origin, 'content-type': 'application/x-www-form-urlencoded' },
      data: 'id=x',
    });
    // Not a 500: a server function's error answers with its code's status.
    expect(same.status()).toBe(401);
    expect(await same.json()).toMatchObject({ error: { code: 'session_required' } });
  });
});

test('a claim lost to the network tells the user and the host app, and can be tried again', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'claiming needs JavaScript');
  const { jwt, auth } = await newUser(request);
  const v = await someVoucher(request, auth);
  await webview(page).open(`/consumer/vouchers/${v.id}`, jwt);
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
  await page.route('**/api/claim_voucher', (route) => route.abort('internetdisconnected'));
  await page.getByRole('button', { name: 'Claim' }).click();
  await expect(page.locator('.claim-error')).toHaveAttribute('data-code', 'network_error');
  await expect(page.locator('.claim-error')).toHaveText('No connection. Check your network and try again.');
  const log = await webview(page).bridgeLog();
  expect(log.filter((m) => m.action === 'error')).toEqual([expect.objectContaining({ code: 'network_error', fatal: false })]);
  // Nothing was claimed; with the network back, the same button claims.
  expect(await (await request.get('/me/claims', { headers: auth })).json()).toEqual([]);
  await page.unroute('**/api/claim_voucher');
  await page.getByRole('button', { name: 'Claim' }).click();
  await expect(page.locator('.claimed')).toBeVisible();
});

test('on fast 3G with a 4× slower CPU, Claim is visibly not ready until it works, and then claims', async ({ page, context, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'hydration needs JavaScript');
  test.setTimeout(90_000);
  const { jwt, auth } = await newUser(request);
  const v = await someVoucher(request, auth);
  await webview(page).signIn(jwt);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 562.5, downloadThroughput: (1.44 * 1024 * 1024) / 8 * 0.9, uploadThroughput: (675 * 1024) / 8 * 0.9 });
  await page.goto(`/consumer/vouchers/${v.id}`, { waitUntil: 'domcontentloaded' });
  const claim = page.getByRole('button', { name: 'Claim' });
  // The page is there, the WASM is not: the button says so (disabled, dimmed, a busy cursor).
  expect(await page.locator('html').getAttribute('data-interactive')).toBeNull();
  await expect(claim).toBeDisabled();
  expect(await claim.evaluate((b) => [getComputedStyle(b).opacity, getComputedStyle(b).cursor])).toEqual(['0.6', 'progress']);
  // A tap now does nothing it would later regret: no claim is made behind the user's back.
  await claim.click({ force: true });
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true', { timeout: 60_000 });
  expect(await (await request.get('/me/claims', { headers: auth })).json()).toEqual([]);
  await expect(claim).toBeEnabled();
  expect(await claim.evaluate((b) => getComputedStyle(b).opacity)).toBe('1');
  await claim.click();
  await expect(page.locator('.claimed')).toBeVisible({ timeout: 30_000 });
  expect(await (await request.get('/me/claims', { headers: auth })).json()).toHaveLength(1);
});
