import { expect, test, type Page } from '@playwright/test';
import { operatorToken } from '../playwright.config';
import { newUser, userWithAClaim } from './helpers';
import { webview } from './webview';

// Every deep link of SPEC §6 renders on the server and works when opened cold;
// the SSR-only project sees the content without JavaScript.
const KOPI_KITA = '0195f0a0-0000-7000-8000-000000000001';

test('every deep link opens cold with its content', async ({ page, request }) => {
  const { jwt } = await userWithAClaim(request);
  await webview(page).signIn(jwt);
  const claims = await (await page.request.get('/me/claims', { headers: { authorization: `Bearer ${jwt}` } })).json();
  const claimId = claims[0].id;
  const voucherId = claims[0].voucherId;
  const screens: [string, string, string][] = [
    ['/consumer', 'Vouchers · Tessera', '.voucher-card'],
    [`/consumer/vouchers/${voucherId}`, '', '.voucher-detail .title'],
    [`/consumer/merchants/${KOPI_KITA}`, 'Kopi Kita · Tessera', '.merchant-head .merchant-name'],
    ['/consumer/wallet', 'Wallet · Tessera', '.wallet-item'],
    [`/consumer/wallet/${claimId}`, '', '.outlet'],
    ['/consumer/search?q=kopi', 'Search · Tessera', '.voucher-card'],
    ['/consumer/transactions', 'Transactions · Tessera', '.state-empty'],
    ['/consumer/favorites', 'Favourites · Tessera', '.state-empty'],
    ['/consumer/help', 'Help · Tessera', 'details summary'],
  ];
  for (const [path, title, selector] of screens) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(200);
    if (title) await expect(page, path).toHaveTitle(title);
    await expect(page.locator(selector).first(), path).toBeVisible();
    await expect(page.locator('.state-error'), path).toHaveCount(0);
  }
});

test('search without JavaScript: a GET form, categories as links, coupons by code', async ({ page }) => {
  await page.goto('/consumer/search?q=kopi');
  await expect(page.locator('.voucher-card')).toHaveCount(2);
  await expect(page.getByText('2 vouchers')).toBeVisible();
  await page.goto('/consumer');
  await page.locator('.categories').getByRole('link', { name: /Buy one, get one/ }).click();
  await expect(page).toHaveURL(/\/consumer\/search\?type=BOGO$/);
  await expect(page.locator('.voucher-card')).toHaveCount(2);
  await expect(page).toHaveTitle('Buy one, get one · Tessera');
  await page.goto('/consumer/search?q=nothing-like-this');
  await expect(page.locator('.state-empty h2')).toHaveText('Nothing found');
  const bad = await page.goto('/consumer/search?type=NOPE');
  expect(bad?.status()).toBe(422);
  await expect(page.locator('.state-error')).toHaveAttribute('data-code', 'validation_failed');
});

test('a merchant: outlets, vouchers, and the favourite toggle', async ({ page, request }, info) => {
  const { jwt } = await newUser(request);
  await webview(page).signIn(jwt);
  await page.goto(`/consumer/merchants/${KOPI_KITA}`);
  await expect(page.locator('.outlets-list .outlet')).toHaveCount(2);
  await expect(page.locator('.merchant-vouchers .voucher-card')).toHaveCount(2);
  const toggle = page.locator('button.favorite');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  if (info.project.name !== 'hydrated') return;
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  const log = await webview(page).bridgeLog();
  expect(log).toContainEqual({ type: 'analytics', event: 'favorite_added', properties: { merchantId: KOPI_KITA } });
  await page.goto('/consumer/favorites');
  await expect(page.locator('.merchant-item')).toHaveText(['Kopi Kita']);
  await page.goto('/consumer');
  await expect(page.locator('.favorite-merchants .chip')).toHaveText(['Kopi Kita']);
});

test('an unknown merchant or voucher is a clear not-found state', async ({ page, request }) => {
  const { jwt } = await newUser(request);
  await webview(page).signIn(jwt);
  expect((await page.goto('/consumer/merchants/nope'))?.status()).toBe(404);
  await expect(page.locator('.state-error')).toHaveAttribute('data-code', 'not_found');
  expect((await page.goto('/consumer/vouchers/nope'))?.status()).toBe(404);
  await expect(page.locator('.state-error')).toHaveAttribute('data-code', 'not_found');
});

test.describe('bridge', () => {
  test.beforeEach(({}, info) => test.skip(info.project.name !== 'hydrated', 'the bridge needs JavaScript'));

  test('screens announce visits; the header close tells the host; appVersion and deviceId ride along', async ({ page }) => {
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      const got: unknown[] = [];
      w.hostGot = got;
      w.ReactNativeWebView = { postMessage: (m: string) => got.push(JSON.parse(m)) };
    });
    await page.goto('/consumer?appVersion=7.1.0&deviceId=dev-42');
    await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
    await page.getByRole('button', { name: 'Close' }).click();
    const got = await page.evaluate(() => (window as unknown as { hostGot: unknown[] }).hostGot);
    const context = { appVersion: '7.1.0', deviceId: 'dev-42' };
    expect(got).toEqual([
      { type: 'analytics', event: 'visit_home', properties: context },
      { type: 'action', action: 'app_ready' },
      { type: 'analytics', event: 'exited', properties: { from: '/consumer', ...context } },
      { type: 'action', action: 'close' },
    ]);
    // The context survives the webview's own navigations.
    await page.goto('/consumer/search?q=kopi');
    const next = await page.evaluate(() => (window as unknown as { hostGot: unknown[] }).hostGot);
    expect(next[0]).toEqual({ type: 'analytics', event: 'search', properties: { query: 'kopi', type: null, ...context } });
  });

  test('the wallet refreshes when the app returns from the background', async ({ page, request }) => {
    const { jwt, auth } = await newUser(request);
    await webview(page).signIn(jwt);
    await page.goto('/consumer/wallet');
    await expect(page.locator('.state-empty')).toBeVisible();
    const vouchers = await (await request.get('/me/vouchers', { headers: auth })).json();
    await request.post('/me/claims', { headers: auth, data: { voucherId: vouchers.items[0].id } });
    // What iOS does when the user leaves the app and comes back.
    await page.evaluate(() => {
      const set = (state: string) => {
        Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      };
      set('hidden');
      set('visible');
    });
    await expect(page.locator('.wallet-item')).toHaveCount(1);
  });
});

test('a coupon deep link reveals the unlisted voucher its code unlocks', async ({ page, request }) => {
  const admin = { authorization: `Bearer ${operatorToken}` };
  const code = `CODE${Date.now()}`;
  const made = await request.post('/admin/vouchers', {
    headers: admin,
    data: { merchantId: KOPI_KITA, title: 'Secret {b}staff{/b} discount', unlockCode: code },
  });
  expect(made.ok(), await made.text()).toBeTruthy();
  const { id } = await made.json();
  expect((await request.post(`/admin/vouchers/${id}/publish`, { headers: admin })).ok()).toBeTruthy();
  const { jwt } = await newUser(request);
  await webview(page).signIn(jwt);
  await page.goto('/consumer');
  await expect(page.locator(`.voucher-card[data-voucher-id="${id}"]`)).toHaveCount(0);
  await page.goto(`/consumer?coupon=${code}`);
  await expect(page.locator(`.unlocked .voucher-card[data-voucher-id="${id}"]`)).toBeVisible();
  await page.goto('/consumer?coupon=WRONG');
  await expect(page.locator('.unlocked .state-empty')).toBeVisible();
  // And by search, as the help screen says.
  await page.goto(`/consumer/search?q=${code}`);
  await expect(page.locator(`.voucher-card[data-voucher-id="${id}"]`)).toBeVisible();
});

test('a tap on a link shows within 100 ms that the next screen is coming, and after 300 ms its shape, however slow it is', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'the feedback is drawn by the boot script');
  await page.goto('/consumer');
  // The next screen takes 2 s to arrive.
  await page.route('**/consumer/vouchers/**', async (route) => {
    await new Promise((r) => setTimeout(r, 2000));
    await route.continue();
  });
  // The old page records, in its own clock, when the tap came and when the feedback was
  // drawn, and what it looked like then (Playwright cannot look at a page that is leaving).
  await page.evaluate(() => {
    document.addEventListener('click', () => sessionStorage.setItem('tapAt', String(performance.now())), true);
    new MutationObserver(() => {
      if (!document.documentElement.hasAttribute('data-navigating')) return;
      const bar = getComputedStyle(document.body, '::before');
      sessionStorage.setItem('feedback', JSON.stringify({
        at: performance.now(), height: bar.height, position: bar.position, background: bar.backgroundColor,
        animation: bar.animationName,
      }));
      // Half a second on: the skeleton of the coming screen covers the one being left.
      setTimeout(() => {
        const main = document.querySelector('main')!;
        const skeleton = getComputedStyle(main, '::after');
        sessionStorage.setItem('skeleton', JSON.stringify({
          opacity: Number(skeleton.opacity), image: skeleton.backgroundImage, color: skeleton.backgroundColor,
          height: parseFloat(skeleton.height), mainHeight: main.getBoundingClientRect().height,
          mainOpacity: getComputedStyle(main).opacity,
          shown: [...main.children].filter((c) => !c.matches('.app-header, .tab-bar') && getComputedStyle(c).visibility !== 'hidden').length,
          kept: [...main.querySelectorAll(':scope > .app-header, :scope > .tab-bar')].filter((c) => getComputedStyle(c).visibility === 'visible').length,
        }));
      }, 500);
    }).observe(document.documentElement, { attributes: true });
  });
  const box = (await page.locator('.voucher-card a').first().boundingBox())!;
  await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  await expect(page).toHaveURL(/\/consumer\/vouchers\//, { timeout: 5000 });
  const { tapAt, feedback } = await page.evaluate(() => ({ tapAt: Number(sessionStorage.getItem('tapAt')), feedback: JSON.parse(sessionStorage.getItem('feedback') ?? 'null') }));
  expect(feedback, 'no feedback was drawn').not.toBeNull();
  expect(feedback.at - tapAt).toBeLessThan(100);
  // What a person sees: a bar across the top of the header in its text colour, moving.
  expect(feedback).toMatchObject({ height: '3px', position: 'fixed', background: 'rgb(255, 255, 255)', animation: 'navigating' });
  // Then the shape of what is coming in place of the screen being left (nothing of which
  // is still shown), opaque (the pulse goes no lower than 0.7), blocks in the skeleton colour.
  const skeleton = await page.evaluate(() => JSON.parse(sessionStorage.getItem('skeleton') ?? 'null'));
  expect(skeleton, 'no skeleton was drawn').not.toBeNull();
  expect(skeleton.opacity).toBeGreaterThanOrEqual(0.7);
  expect(skeleton.height).toBeCloseTo(skeleton.mainHeight, 0);
  expect(skeleton).toMatchObject({ mainOpacity: '1', shown: 0, kept: 2 });
  expect(skeleton.image).toMatch(/^linear-gradient\(rgb\(229, 231, 235\) 0px, rgb\(229, 231, 235\) 150px, rgba\(0, 0, 0, 0\) 150px/);
  // The new screen does not carry it over.
  expect(await page.evaluate(() => document.documentElement.hasAttribute('data-navigating'))).toBe(false);
});
