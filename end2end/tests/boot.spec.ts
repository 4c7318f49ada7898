import { expect, test } from '@playwright/test';
import { newUser, plain, userWithAClaim } from './helpers';
import { webview } from './webview';

// Booting the webview from a partner JWT in the URL fragment (SPEC §3): the
// token is scrubbed at once, never sent in a URL, exchanged for an HttpOnly
// session cookie, and the user's screens then render on the server.

test.describe('boot', () => {
  test('a token in the fragment opens the session and never travels in a URL', async ({ page, request }, info) => {
    test.skip(info.project.name !== 'hydrated', 'the fragment is read by the boot script');
    const { jwt } = await userWithAClaim(request);
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    const referers: string[] = [];
    page.on('request', (r) => r.headers()['referer'] && referers.push(r.headers()['referer']));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    await webview(page).open(`/consumer/wallet`, jwt);
    await expect(page.locator('.wallet-item')).toHaveCount(1);
    await expect(page.locator('.wallet-section[data-status="active"]')).toBeVisible();
    expect(page.url()).not.toContain('token');
    expect(page.url()).not.toContain(jwt);
    expect(urls.filter((u) => u.includes(jwt))).toEqual([]);
    expect(referers).toEqual([]);
    // The session is an HttpOnly cookie: no script can read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('tessera_session');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'tessera_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('None');
    // It hydrated cleanly under the page's CSP.
    await page.waitForLoadState('networkidle');
    expect(errors).toEqual([]);
  });

  test('a refused token shows why and tells the host app', async ({ page }, info) => {
    test.skip(info.project.name !== 'hydrated', 'the fragment is read by the boot script');
    await page.goto('/consumer#token=not-a-jwt');
    const screen = page.locator('.boot-error');
    await expect(screen).toBeVisible();
    await expect(screen).toHaveAttribute('data-code', 'token_invalid');
    expect(page.url()).not.toContain('not-a-jwt');
    const log = await webview(page).bridgeLog();
    expect(log).toContainEqual(expect.objectContaining({ type: 'action', action: 'error', code: 'token_invalid' }));
    // Written for the person holding the phone; the developer's reason goes to the host app.
    await expect(screen).toContainText('This sign-in link is not valid.');
    await expect(screen).not.toContainText(/HS256|algorithm|header/);
    await screen.getByRole('button', { name: 'Close' }).click();
    const closed = await webview(page).bridgeLog();
    expect(closed).toContainEqual(expect.objectContaining({ type: 'action', action: 'close' }));
    // A failed boot is not a ready app, even once the page has hydrated.
    await page.waitForLoadState('networkidle');
    const after = await webview(page).bridgeLog();
    expect(after).not.toContainEqual(expect.objectContaining({ action: 'app_ready' }));
  });

  test('with the session cookie the wallet renders on the server, without JavaScript', async ({ page }, info) => {
    test.skip(info.project.name !== 'ssr-only', 'checks the server rendering');
    const { jwt, title } = await userWithAClaim(page.request);
    await webview(page).signIn(jwt);
    await page.goto('/consumer/wallet');
    await expect(page.locator('.wallet-item')).toHaveCount(1);
    await expect(page.locator('.wallet-item .title')).toHaveText(plain(title));
  });

  test('native hosts hear app_ready once the page is interactive', async ({ page }, info) => {
    test.skip(info.project.name !== 'hydrated', 'app_ready needs JavaScript');
    // Stand-ins for the objects each native SDK injects.
    await page.addInitScript(() => {
      const got: Record<string, unknown[]> = { rn: [], ios: [], android: [], flutter: [] };
      const w = window as unknown as Record<string, unknown>;
      w.hostGot = got;
      // Actions only: analytics events are checked in bridge.spec.
      const keep = (list: unknown[], m: { type?: string }) => m.type === 'action' && list.push(m);
      w.ReactNativeWebView = { postMessage: (m: string) => keep(got.rn, JSON.parse(m)) };
      w.webkit = { messageHandlers: { tessera: { postMessage: (m: { type?: string }) => keep(got.ios, m) } } };
      w.TesseraAndroid = { postMessage: (m: string) => keep(got.android, JSON.parse(m)) };
      w.TesseraFlutter = { postMessage: (m: string) => keep(got.flutter, JSON.parse(m)) };
    });
    await page.goto('/consumer');
    const ready = { type: 'action', action: 'app_ready' };
    await expect.poll(() => page.evaluate(() => (window as unknown as { hostGot: unknown }).hostGot)).toEqual({
      rn: [ready],
      ios: [ready],
      android: [ready],
      flutter: [ready],
    });
  });

  test('a bundle that cannot be loaded leaves the screen readable and tells the host app', async ({ page }, info) => {
    test.skip(info.project.name !== 'hydrated', 'the bundle is JavaScript');
    await page.addInitScript(() => {
      const got: unknown[] = [];
      (window as unknown as Record<string, unknown>).hostGot = got;
      (window as unknown as Record<string, unknown>).ReactNativeWebView = {
        postMessage: (m: string) => JSON.parse(m).type === 'action' && got.push(JSON.parse(m)),
      };
    });
    // The connection drops after the page: the WASM never arrives.
    await page.route(/\/pkg\/tessera\.[0-9a-f]{16}\.wasm$/, (route) => route.abort('internetdisconnected'));
    await page.goto('/consumer');
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { hostGot: { action: string; code?: string; fatal?: boolean }[] }).hostGot))
      .toEqual([expect.objectContaining({ action: 'error', code: 'network_error', fatal: false })]);
    await expect(page.locator('.voucher-card').first()).toBeVisible();
    await expect(page.locator('html')).not.toHaveAttribute('data-interactive');
  });

  test('without a session the wallet says how to get one', async ({ page }) => {
    await page.goto('/consumer/wallet');
    await expect(page.locator('.state-error')).toHaveAttribute('data-code', 'session_required');
  });
});

test('a sign-in that could not reach the server offers to try again, and then signs in', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'the fragment is read by the boot script');
  const { jwt } = await newUser(request);
  let refuse = true;
  await page.route('**/consumer/session', (route) => (refuse ? route.abort('internetdisconnected') : route.continue()));
  await webview(page).open(`/consumer/wallet`, jwt);
  const screen = page.locator('.boot-error');
  await expect(screen).toHaveAttribute('data-code', 'network_error');
  await expect(screen).toContainText('Check your connection');
  refuse = false;
  await screen.getByRole('button', { name: 'Try again' }).click();
  await expect(page.locator('.boot-error')).toHaveCount(0);
  await expect(page).toHaveURL(/\/consumer\/wallet$/);
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
});
