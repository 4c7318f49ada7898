import { expect, test } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { operatorToken } from '../playwright.config';
import { newUser } from './helpers';
import { webview } from './webview';

// The phone screenshots on /docs/webview (docs/screens/*.png): home, voucher, wallet and
// redeem with its QR code, light and dark, and in a partner's theme. They are drawn by
// this spec when TESSERA_WRITE_DOCS_SCREENS=1 (`TESSERA_WRITE_DOCS_SCREENS=1 scripts/test
// e2e docs-screens.spec.ts`); every run checks the page shows each of them and that
// each is an image the server serves.
const dir = resolve(__dirname, '../../docs/screens');
const KOPI_VOUCHER = '0195f0a1-0000-7000-8000-000000000001';
const KLCC = { id: '0195f0a2-0000-7000-8000-000000000001', lat: 3.1579, lng: 101.7123 };
const THEMES = { default: null, partner: { light: { primary: '#6d28d9' }, dark: { primary: '#a78bfa' }, radiusPx: 18 } } as const;
const names = ['home', 'voucher', 'wallet', 'redeem'];
const variants = [
  ['light', 'default'],
  ['dark', 'default'],
  ['light', 'partner'],
] as const;

test('the webview docs show every committed screenshot, each served as an image', async ({ page }) => {
  await page.goto('/docs/webview');
  for (const name of names) {
    for (const [scheme, theme] of variants) {
      const file = `${name}-${scheme}-${theme}.png`;
      expect(existsSync(resolve(dir, file)), `docs/screens/${file}`).toBeTruthy();
      const img = page.locator(`img[src="/docs/screens/${file}"]`);
      await expect(img).toHaveCount(1);
      const res = await page.request.get(`/docs/screens/${file}`);
      expect(res.status(), file).toBe(200);
      expect(res.headers()['content-type']).toBe('image/png');
      expect(Buffer.compare(await res.body(), readFileSync(resolve(dir, file))), file).toBe(0);
    }
  }
});

test('draw the docs screenshots', async ({ page }, info) => {
  test.skip(!process.env.TESSERA_WRITE_DOCS_SCREENS || info.project.name !== 'hydrated', 'only when asked to redraw them');
  test.setTimeout(120_000);
  for (const [scheme, themeName] of variants) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
    const { jwt, auth, partnerId } = await newUser(page.request);
    const theme = THEMES[themeName];
    if (theme) {
      const set = await page.request.put(`/admin/partners/${partnerId}/theme`, { headers: { authorization: `Bearer ${operatorToken}` }, data: theme });
      expect(set.ok(), await set.text()).toBeTruthy();
    }
    await page.request.put(`/admin/partners/${partnerId}/webview`, { headers: { authorization: `Bearer ${operatorToken}` }, data: { timeZone: 'Asia/Kuala_Lumpur' } });
    const claim = await (await page.request.post('/me/claims', { headers: auth, data: { voucherId: KOPI_VOUCHER } })).json();
    const redeemed = await page.request.post('/me/redemptions', {
      headers: auth,
      data: { claimId: claim.id, outletId: KLCC.id, location: { lat: KLCC.lat, lng: KLCC.lng, accuracyM: 10 } },
    });
    expect(redeemed.ok(), await redeemed.text()).toBeTruthy();
    await webview(page).signIn(jwt);
    const paths = ['/consumer', `/consumer/vouchers/${KOPI_VOUCHER}`, '/consumer/wallet', `/consumer/wallet/${claim.id}`];
    for (const [i, path] of paths.entries()) {
      await page.goto(path);
      await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
      await page.screenshot({ path: resolve(dir, `${names[i]}-${scheme}-${themeName}.png`), animations: 'disabled', scale: 'css' });
    }
  }
});
