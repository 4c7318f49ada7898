import { expect, test } from '@playwright/test';

// /demo plays the demo partner's app: the webview in a phone frame for the
// demo user, the bridge messages it posts, and the webhooks its built-in
// receiver verified.
test('/demo embeds the webview, logs the bridge, and receives verified webhooks', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'the demo page needs JavaScript');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const response = await page.goto('/demo');
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toMatch(/script-src 'nonce-[0-9a-f]{32}'/);
  const webview = page.frameLocator('#webview');
  await expect(webview.locator('.voucher-card').first()).toBeVisible();
  const bridge = page.locator('#bridge-log');
  await expect(bridge).toContainText('action app_ready');
  await expect(bridge).toContainText('analytics visit_home');
  await expect(page.locator('#hooks-state')).toHaveText('receiver connected');

  // Claim a voucher in the webview: the partner hears CLAIM_CREATED, signed.
  await webview.locator('.voucher-card a').filter({ hasText: 'Free gift wrapping' }).click();
  // (The demo user is the webview's alone in this run: nothing claimed yet.)
  await webview.getByRole('button', { name: 'Claim' }).click();
  await expect(webview.locator('.claimed')).toBeVisible();
  await expect(bridge).toContainText('analytics visit_voucher');
  await expect(page.locator('#webhook-log')).toContainText(/CLAIM_CREATED\s+signature verified/, { timeout: 20_000 });
  expect(errors).toEqual([]);
});

test('the demo receiver refuses a delivery that is not signed by its endpoint', async ({ request }) => {
  const forged = await request.post('/demo/webhooks', {
    headers: { 'content-type': 'application/json', 'x-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
    data: { id: 'forged', type: 'CLAIM_CREATED' },
  });
  expect(forged.status()).toBe(401);
  const log = await (await request.get('/demo/webhooks')).json();
  expect(log.deliveries[0]).toMatchObject({ eventId: 'forged', verified: false });
});
