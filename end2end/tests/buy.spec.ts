import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { operatorToken } from '../playwright.config';
import { contrastOf, mintWith, newUser } from './helpers';
import { webview, type BridgeMessage } from './webview';

// Buying a gift card with the sandbox provider (issue 16), as a person does it:
// the voucher's Buy, the checkout's amount and figures, the sandbox's payment
// page, and the order's screen — the card, or what happened to the money.

// The demo's sandbox gift cards (core/src/dev/demo.rs), for cohort "sandbox".
const FIVE_OFF = '0195f0a1-0000-7000-8000-0000000000f7'; // ₹100/250/500/1000, 5 % off, issued
const FAILS = '0195f0a1-0000-7000-8000-0000000000f8'; // ₹100–₹5000 in ₹50, 3 % off, never issued
const NO_DISCOUNT = '0195f0a1-0000-7000-8000-0000000000f9'; // ₹10–₹10 000 in ₹1, ₹813 declined

/** A user of a new sandbox partner (paid through the sandbox provider) in the sandbox cohort: sees the test gift cards. */
async function buyer(page: Page): Promise<{ jwt: string; partnerId: string; auth: Record<string, string> }> {
  const { partnerId, jwtSecret } = await newUser(page.request, { sandbox: true });
  const jwt = mintWith(jwtSecret, partnerId, 'buyer', { cohorts: ['sandbox'] });
  return { jwt, partnerId, auth: { authorization: `Bearer ${jwt}` } };
}

const interactive = (page: Page) => expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');

/** The analytics events of the page's bridge log, by name. */
async function events(page: Page): Promise<Map<string, Record<string, unknown>>> {
  const log = await webview(page).bridgeLog();
  return new Map(log.filter((m: BridgeMessage) => m.type === 'analytics').map((m) => [m.event!, m.properties ?? {}]));
}

test.describe('buying a gift card', () => {
  test.beforeEach(({}, info) => test.skip(info.project.name !== 'hydrated', 'paying needs JavaScript (the SSR-only figures are checked below)'));

  test('with UPI: Buy, choose ₹500, pay ₹475, the card with its PIN, in the wallet and the history', async ({ page }) => {
    const { jwt } = await buyer(page);
    await webview(page).open(`/consumer/vouchers/${FIVE_OFF}`, jwt);
    await interactive(page);
    // A gift card is bought, not claimed.
    await expect(page.getByRole('button', { name: 'Claim' })).toHaveCount(0);
    await expect(page.locator('.price .amounts')).toHaveText('₹100 · ₹250 · ₹500 · ₹1,000');
    await expect(page.locator('.price .discount')).toHaveText('5% off');
    const buy = page.getByRole('link', { name: 'Buy' });
    await expect(buy).toBeVisible();
    await expect(buy).toHaveAttribute('href', `/consumer/buy/${FIVE_OFF}`);
    await buy.click();
    await expect(page).toHaveURL(new RegExp(`/consumer/buy/${FIVE_OFF}$`));
    await interactive(page);

    // The smallest amount first; choosing another changes every figure.
    await expect(page.getByRole('radio', { name: '₹100' })).toBeChecked();
    await expect(page.locator('.summary .to-pay')).toHaveText('₹95');
    await page.getByText('₹500', { exact: true }).click();
    await expect(page.getByRole('radio', { name: '₹500' })).toBeChecked();
    await expect(page.locator('.summary .face-value')).toHaveText('₹500');
    await expect(page.locator('.summary dt').nth(1)).toHaveText('Brand discount (5%)');
    await expect(page.locator('.summary .discount')).toHaveText('−₹25');
    await expect(page.locator('.summary .to-pay')).toHaveText('₹475');
    await expect(page.getByRole('radio', { name: 'UPI' })).toBeChecked();
    const pay = page.getByRole('button', { name: 'Pay ₹475' });
    await expect(pay).toBeVisible();
    await expect(pay).toBeEnabled();
    const seen = await contrastOf(page, 'button.pay');
    expect(seen.ratio, `"Pay" is ${seen.color} on ${seen.background}`).toBeGreaterThanOrEqual(4.5);
    const chosen = await contrastOf(page, '.amount-choice input:checked + span');
    expect(chosen.ratio, `the chosen amount is ${chosen.color} on ${chosen.background}`).toBeGreaterThanOrEqual(4.5);
    await pay.click();

    // The sandbox's hosted page: the amount to pay, UPI as chosen.
    await expect(page).toHaveURL(/\/pay\/sandbox\/[^?]+\?return=webview&method=upi$/);
    await expect(page.locator('.amount')).toHaveText('INR 475.00');
    await expect(page.getByRole('radio', { name: 'UPI' })).toBeChecked();
    await page.getByRole('button', { name: 'Pay INR 475.00' }).click();

    // Back in the webview, on the order's screen, told once (from=payment leaves the address).
    await expect(page).toHaveURL(/\/consumer\/orders\/[^?]+$/);
    await interactive(page);
    const orderId = await page.locator('article.order').getAttribute('data-order-id');
    expect(orderId).toBeTruthy();
    await expect(page.getByRole('heading', { name: 'Your gift card is ready' })).toBeVisible();
    await expect(page.locator('.gift-card .code')).toHaveText(/^\d{16}$/);
    await expect(page.locator('.gift-card .pin')).toHaveText(/^\d{6}$/);
    await expect(page.locator('.gift-card .qr svg')).toBeVisible();
    await expect(page.locator('.gift-card .barcode svg')).toBeVisible();
    await expect(page.locator('.summary .to-pay')).toHaveText('₹475');
    const told = await events(page);
    expect(told.get('payment_success')).toMatchObject({ amount: 500, amountPaid: 475, currency: 'INR', referenceId: orderId, provider: 'SANDBOX' });
    expect(told.get('voucher_generation_success')).toMatchObject({ orderId });

    // The wallet holds the card; the history lists the purchase.
    await page.goto('/consumer/wallet');
    const item = page.locator(`.gift-card-item[data-order-id="${orderId}"] a`);
    await expect(item).toBeVisible();
    await expect(item).toHaveAttribute('href', `/consumer/orders/${orderId}`);
    await expect(item).toContainText('Worth ₹500');
    await page.goto('/consumer/transactions');
    await expect(page.getByRole('heading', { name: 'Purchases' })).toBeVisible();
    const row = page.locator(`.purchase[data-order-id="${orderId}"]`);
    await expect(row.locator('.order-status')).toHaveText('Completed');
    await expect(row.locator('.where')).toContainText('₹500 card · paid ₹475');
    await expect(row.locator('a')).toHaveAttribute('href', `/consumer/orders/${orderId}`);
    // The page opened again does not tell the host a second time.
    await row.locator('a').click();
    await interactive(page);
    expect((await events(page)).has('payment_success')).toBe(false);
  });

  test('₹813 by card fails at payment: no money taken, and Try again keeps the amount', async ({ page }) => {
    const { jwt, auth } = await buyer(page);
    await webview(page).open(`/consumer/buy/${NO_DISCOUNT}?amount=813`, jwt);
    await interactive(page);
    await expect(page.getByLabel('Amount')).toHaveValue('813.00');
    await expect(page.locator('.summary .discount')).toHaveCount(0);
    await expect(page.locator('.summary .to-pay')).toHaveText('₹813');
    await page.getByText('Card', { exact: true }).click();
    await page.getByRole('button', { name: 'Pay ₹813' }).click();
    await expect(page).toHaveURL(/method=card$/);
    await expect(page.getByRole('radio', { name: 'Card' })).toBeChecked();
    await expect(page.getByText("₹813 is the sandbox's failing amount")).toBeVisible();
    await page.getByRole('button', { name: 'Pay INR 813.00' }).click();

    await expect(page).toHaveURL(/\/consumer\/orders\/[^?]+$/);
    await interactive(page);
    const failed = page.getByRole('alert');
    await expect(failed.getByRole('heading')).toHaveText('Payment failed — no money was taken.');
    await expect(page.locator('.gift-card')).toHaveCount(0);
    const again = page.getByRole('link', { name: 'Try again' });
    await expect(again).toHaveAttribute('href', `/consumer/buy/${NO_DISCOUNT}?amount=813.00`);
    const told = await events(page);
    expect(told.get('payment_fail')).toMatchObject({ amount: 813, amountPaid: 813, currency: 'INR' });
    expect(String(told.get('payment_fail')!.failureReason)).toContain('813');
    expect(told.has('payment_success')).toBe(false);
    const orders = await (await page.request.get('/me/orders', { headers: auth })).json();
    expect(orders.map((o: { state: string }) => o.state)).toEqual(['payment_failed']);
    await again.click();
    await interactive(page);
    await expect(page.getByLabel('Amount')).toHaveValue('813.00');
  });

  test('a card that cannot be issued says the refund is coming; skipToPayment goes straight to paying', async ({ page }) => {
    const { jwt } = await buyer(page);
    // The deep link: amount in rupees, and straight to the payment page.
    await webview(page).open(`/consumer/buy/${FAILS}?amount=1000&skipToPayment=true`, jwt);
    await expect(page).toHaveURL(/\/pay\/sandbox\/[^?]+\?return=webview&method=upi$/);
    await expect(page.locator('.amount')).toHaveText('INR 970.00');
    await page.getByRole('button', { name: 'Pay INR 970.00' }).click();
    await expect(page).toHaveURL(/\/consumer\/orders\/[^?]+$/);
    await interactive(page);
    await expect(page.getByRole('heading', { name: 'Payment received, but the gift card could not be issued.' })).toBeVisible();
    // Refund due or done: either way the user reads the amount coming back, never "no money was taken".
    await expect(page.locator('.outcome .refund')).toHaveText(/^(A refund of ₹970 is on its way to you\.|₹970 has been refunded to you\.)$/);
    await expect(page.getByText('no money was taken')).toHaveCount(0);
    const told = await events(page);
    expect(told.get('payment_success')).toMatchObject({ amount: 1000, amountPaid: 970 });
    expect(told.get('voucher_generation_fail')).toMatchObject({ brandName: 'Test Brand (sandbox)' });
    expect(String(told.get('voucher_generation_fail')!.failureReason)).toContain('could not');
  });

  test('a deep-link amount the price does not sell is refused on screen, and skipToPayment then waits', async ({ page }) => {
    const { jwt } = await buyer(page);
    await webview(page).open(`/consumer/buy/${FIVE_OFF}?amount=300&skipToPayment=true`, jwt);
    await interactive(page);
    await expect(page).toHaveURL(new RegExp(`/consumer/buy/${FIVE_OFF}\\?amount=300&skipToPayment=true$`));
    await expect(page.locator('.amount-note')).toHaveText('300 is not an amount this gift card is sold for: choose one below.');
    await expect(page.getByRole('radio', { name: '₹100' })).toBeChecked();
    // A range refuses what it does not sell before any tap.
    await page.goto(`/consumer/buy/${FAILS}`);
    await interactive(page);
    const amount = page.getByLabel('Amount');
    await expect(amount).toHaveValue('100.00');
    await amount.fill('99');
    await expect(page.getByRole('alert')).toHaveText('Choose an amount this gift card is sold for: ₹100 – ₹5,000 (₹50).');
    await expect(page.locator('button.pay')).toBeDisabled();
    await amount.fill('150');
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(page.locator('.summary .to-pay')).toHaveText('₹145.50');
    await expect(page.getByRole('button', { name: 'Pay ₹145.50' })).toBeEnabled();
  });

  test('Back from the payment page finds the checkout ready to pay again, never stuck', async ({ page }) => {
    const { jwt } = await buyer(page);
    await webview(page).open(`/consumer/buy/${FIVE_OFF}`, jwt);
    await interactive(page);
    await page.getByText('₹250', { exact: true }).click();
    await page.getByRole('button', { name: 'Pay ₹237.50' }).click();
    await expect(page).toHaveURL(/\/pay\/sandbox\//);
    await expect(page.getByRole('link', { name: 'Cancel and go back' })).toHaveAttribute('href', /^\/consumer\/orders\/[^?]+\?from=payment$/);
    await page.goBack();
    await expect(page).toHaveURL(new RegExp(`/consumer/buy/${FIVE_OFF}$`));
    await interactive(page);
    const pay = page.locator('button.pay');
    await expect(pay).toBeEnabled();
    await expect(pay).toHaveText(/^Pay ₹/);
  });

  test('on a slow network a double tap on Pay makes one order', async ({ page }) => {
    const { jwt, auth } = await buyer(page);
    await webview(page).open(`/consumer/buy/${FIVE_OFF}`, jwt);
    await interactive(page);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 800, downloadThroughput: 50_000, uploadThroughput: 20_000 });
    const pay = page.locator('button.pay');
    await pay.click();
    await expect(pay).toHaveText('Opening the payment…');
    await expect(pay).toBeDisabled();
    await pay.click({ force: true });
    await expect(page).toHaveURL(/\/pay\/sandbox\//, { timeout: 20_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const orders = await (await page.request.get('/me/orders', { headers: auth })).json();
    expect(orders).toHaveLength(1);
  });

  test('an order paid while the app was away shows its card on return (visibilitychange)', async ({ page }) => {
    const { jwt, auth } = await buyer(page);
    const made = await page.request.post('/me/orders', { headers: auth, data: { voucherId: FIVE_OFF, amount: 25_000, checkoutKey: 'away' } });
    expect(made.status(), await made.text()).toBe(201);
    const order = await made.json();
    const start = await (await page.request.post(`/me/orders/${order.id}/pay`, { headers: auth })).json();
    await webview(page).open(`/consumer/orders/${order.id}`, jwt);
    await interactive(page);
    await expect(page.getByRole('heading', { name: 'Waiting for your payment' })).toBeVisible();
    // The user pays in a UPI app: the webview is hidden meanwhile (iOS suspends it).
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const paid = await page.request.post(start.payUrl, { data: { method: 'upi' } });
    expect(paid.ok(), await paid.text()).toBeTruthy();
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await expect(page.getByRole('heading', { name: 'Your gift card is ready' })).toBeVisible();
    await expect(page.locator('.gift-card .code')).toHaveText(/^\d{16}$/);
  });

  for (const scheme of ['light', 'dark'] as const) {
    test(`the checkout and the order's screens pass axe and look as committed (${scheme})`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
      const { jwt, auth } = await buyer(page);
      const made = await (await page.request.post('/me/orders', { headers: auth, data: { voucherId: NO_DISCOUNT, amount: 81_300, checkoutKey: 'axe' } })).json();
      const start = await (await page.request.post(`/me/orders/${made.id}/pay`, { headers: auth })).json();
      expect((await page.request.post(start.payUrl, { data: { method: 'card' } })).ok()).toBeTruthy();
      const issued = await (await page.request.post('/me/orders', { headers: auth, data: { voucherId: FIVE_OFF, amount: 50_000, checkoutKey: 'axe2' } })).json();
      const start2 = await (await page.request.post(`/me/orders/${issued.id}/pay`, { headers: auth })).json();
      expect((await page.request.post(start2.payUrl, { data: { method: 'upi' } })).ok()).toBeTruthy();
      await webview(page).signIn(jwt);
      const screens: [string, string][] = [
        ['checkout', `/consumer/buy/${FIVE_OFF}?amount=500`],
        ['checkout-range', `/consumer/buy/${FAILS}`],
        ['order-failed', `/consumer/orders/${made.id}`],
        ['order-issued', `/consumer/orders/${issued.id}`],
        ['voucher-gift-card', `/consumer/vouchers/${FIVE_OFF}`],
      ];
      const problems: string[] = [];
      for (const [name, path] of screens) {
        await page.goto(path);
        await interactive(page);
        const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
        for (const v of results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
          problems.push(`${path}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(' | ')}`);
        }
        for (const v of results.incomplete.filter((v) => v.id === 'color-contrast')) {
          problems.push(`${path}: contrast undecided: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(' | ')}`);
        }
        // What changes between runs (dates, the card's number, PIN and codes, the order id) is masked.
        const mask = [page.locator('time'), page.locator('.gift-card .qr'), page.locator('.gift-card .barcode'), page.locator('.gift-card .code'), page.locator('.pin'), page.locator('.reference'), page.locator('.valid-until')];
        await expect(page, path).toHaveScreenshot(`${name}-${scheme}.png`, { fullPage: false, mask, animations: 'disabled', maxDiffPixelRatio: 0.01 });
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });
  }
});

// A partner's web app on another origin frames the webview and hears the
// purchase's analytics (seed 001 §8.1) from the webview's exact origin.
let host: Server;
let hostPort = 0;
test.beforeAll(async ({ baseURL }) => {
  host = createServer((req, res) => {
    const src = decodeURIComponent(new URL(req.url ?? '/', 'http://x').searchParams.get('src') ?? '');
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>partner app</title>
<script>window.received = []; addEventListener('message', (e) => received.push({ origin: e.origin, data: e.data }));</script>
<iframe id="webview" src="${baseURL}${src}" width="400" height="800"></iframe>`);
  });
  await new Promise<void>((resolve) => host.listen(0, resolve));
  hostPort = (host.address() as AddressInfo).port;
});
test.afterAll(() => host?.close());

test('a framed host on another origin hears the checkout, the payment and the card', async ({ page, baseURL }, info) => {
  test.skip(info.project.name !== 'hydrated', 'the bridge needs JavaScript');
  const { jwt, partnerId } = await buyer(page);
  const origin = `http://localhost:${hostPort}`;
  const put = await page.request.put(`/admin/partners/${partnerId}/allowed-origins`, {
    headers: { authorization: `Bearer ${operatorToken}` },
    data: { allowedOrigins: [origin] },
  });
  expect(put.ok(), await put.text()).toBeTruthy();
  const src = `/consumer/buy/${FIVE_OFF}?amount=250&clientId=${partnerId}#token=${jwt}`;
  await page.goto(`${origin}/?src=${encodeURIComponent(src)}`);
  const frame = page.frameLocator('#webview');
  const pay = frame.getByRole('button', { name: 'Pay ₹237.50' });
  await expect(pay).toBeEnabled();
  await pay.click();
  // The payment page is framed where the webview may be, and comes back keeping clientId.
  await frame.getByRole('button', { name: 'Pay INR 237.50' }).click();
  await expect(frame.getByRole('heading', { name: 'Your gift card is ready' })).toBeVisible();
  const webviewOrigin = new URL(baseURL!).origin;
  const heard = () => page.evaluate(() => (window as unknown as { received: { origin: string; data: BridgeMessage }[] }).received);
  await expect.poll(async () => (await heard()).filter((m) => m.data.type === 'analytics').map((m) => m.data.event)).toEqual(
    expect.arrayContaining(['visit_checkout_summary', 'payment_initiated', 'payment_success', 'voucher_generation_success']),
  );
  const all = await heard();
  expect(all.every((m) => m.origin === webviewOrigin)).toBe(true);
  const props = (name: string) => all.find((m) => m.data.event === name)!.data.properties;
  expect(props('visit_checkout_summary')).toMatchObject({ voucherId: FIVE_OFF, amount: 250, discount: 12.5, toPay: 237.5, currency: 'INR' });
  expect(props('payment_initiated')).toMatchObject({ brandName: 'Test Brand (sandbox)', amount: 250, amountPaid: 237.5, paymentMode: 'UPI' });
  expect(props('payment_success')).toMatchObject({ amount: 250, amountPaid: 237.5, provider: 'SANDBOX' });
});

test('without JavaScript the checkout still shows its figures, and Pay waits for the page', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'ssr-only', 'what the server renders');
  const { partnerId, jwtSecret } = await newUser(request, { sandbox: true });
  const jwt = mintWith(jwtSecret, partnerId, 'buyer', { cohorts: ['sandbox'] });
  await webview(page).signIn(jwt);
  await page.goto(`/consumer/buy/${FIVE_OFF}?amount=1000`);
  await expect(page.locator('.summary .face-value')).toHaveText('₹1,000');
  await expect(page.locator('.summary .to-pay')).toHaveText('₹950');
  await expect(page.locator('button.pay')).toBeDisabled();
  await expect(page.locator('button.pay')).toHaveText('Pay ₹950');
});
