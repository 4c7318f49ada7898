// Measures the webview's budgets (issue 14): the bundle's bytes on the wire, app_ready
// cold and on fast 3G with 4× CPU throttling, the next screen, and the home page's
// server render time with 100 vouchers. Run by scripts/budgets against a running
// release server (BASE, OPERATOR_TOKEN).
import { chromium } from '@playwright/test';

const base = process.env.BASE;
const admin = { authorization: `Bearer ${process.env.OPERATOR_TOKEN}`, 'content-type': 'application/json' };
const post = async (path, body) => {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body ?? {}) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
};
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// 100 published vouchers (the demo has 12).
const merchant = await post('/admin/merchants', { name: 'Budget merchant' });
for (let i = 0; i < 88; i++) {
  const v = await post('/admin/vouchers', { merchantId: merchant.id, title: `{b}Budget{/b} voucher ${i}`, description: 'A voucher for measuring.' });
  await post(`/admin/vouchers/${v.id}/publish`);
}

// Server render: sequential requests, response fully read; uncompressed (the render
// itself, what the budget is about) and as a browser asks (brotli on top).
async function renders(encoding) {
  const headers = { 'accept-encoding': encoding };
  for (let i = 0; i < 20; i++) await (await fetch(`${base}/consumer`, { headers })).text();
  const times = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const html = await (await fetch(`${base}/consumer`, { headers })).text();
    times.push(performance.now() - t);
    if (i === 0 && (html.match(/class="voucher-card"/g) ?? []).length !== 100) throw new Error('expected 100 vouchers on the page');
  }
  return times;
}
// The anchor, in the same run: a request the server answers without rendering.
const anchor = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  await (await fetch(`${base}/healthz`)).text();
  anchor.push(performance.now() - t);
}
const plain = await renders('identity');
const squeezed = await renders('br, gzip');
console.log(`ssr         /consumer with 100 vouchers: p50 ${percentile(plain, 50).toFixed(2)} ms, p99 ${percentile(plain, 99).toFixed(2)} ms (budget p50 ≤ 5 ms); with brotli p50 ${percentile(squeezed, 50).toFixed(2)} ms; /healthz p50 ${percentile(anchor, 50).toFixed(2)} ms (render = ${(percentile(plain, 50) / percentile(anchor, 50)).toFixed(1)}× the anchor; the render alone, p50 less the anchor's round trip: ${(percentile(plain, 50) - percentile(anchor, 50)).toFixed(2)} ms)`);

// Chrome DevTools' "Fast 3G" preset (what Playwright users mean by it): 562.5 ms of
// latency, 1.44 Mbit/s down and 675 kbit/s up, each times 0.9.
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.44 * 1024 * 1024) / 8 * 0.9, uploadThroughput: (675 * 1024) / 8 * 0.9 };
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] });

/** Cold loads of /consumer: app_ready after navigation start, the bundle's bytes on the wire, and the next screen. */
async function loads(throttled, n) {
  const ready = [], next = [], wire = [];
  for (let i = 0; i < n; i++) {
    const context = await browser.newContext({ viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    if (throttled) {
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', FAST_3G);
    }
    await page.addInitScript(() => {
      window.ReactNativeWebView = { postMessage: (m) => { if (JSON.parse(m).action === 'app_ready') window.appReadyAt = performance.now(); } };
    });
    const bundle = [];
    page.on('requestfinished', async (request) => {
      if (new URL(request.url()).pathname.startsWith('/pkg/')) bundle.push((await request.sizes()).responseBodySize);
    });
    await page.goto(`${base}/consumer`);
    await page.waitForFunction(() => window.appReadyAt !== undefined, null, { timeout: 120_000 });
    ready.push(await page.evaluate(() => window.appReadyAt));
    if (bundle.length !== 3) throw new Error(`expected the WASM, its JS and the CSS, saw ${bundle.length} bundle files`);
    wire.push(bundle.reduce((a, b) => a + b, 0));
    // The next screen: a voucher, from a tap on its card (the bundle now cached). Its
    // app_ready is timed from its navigation's start, which is the tap (the same clock
    // as the first screen's; Playwright's own work around the click is left out).
    await page.locator('.voucher-card a').first().click();
    await page.waitForURL(/\/consumer\/vouchers\//);
    await page.waitForFunction(() => window.appReadyAt !== undefined, null, { timeout: 120_000 });
    next.push(await page.evaluate(() => window.appReadyAt));
    await context.close();
  }
  return { ready, next, wire };
}

const cold = await loads(false, 5);
const slow = await loads(true, 5);
await browser.close();
const kb = (b) => (b / 1024).toFixed(1);
console.log(`bundle      WASM + JS + CSS on the wire (as Chromium received them): ${kb(percentile(cold.wire, 50))} KB (budget ≤ 200 KB)`);
console.log(`app_ready   cold cache, unthrottled:          median ${percentile(cold.ready, 50).toFixed(0)} ms, worst ${Math.max(...cold.ready).toFixed(0)} ms of ${cold.ready.length} (budget ≤ 1500 ms)`);
console.log(`app_ready   cold cache, fast 3G + 4× CPU:     median ${percentile(slow.ready, 50).toFixed(0)} ms, worst ${Math.max(...slow.ready).toFixed(0)} ms of ${slow.ready.length} (budget ≤ 2500 ms)`);
console.log(`next screen tap to app_ready, fast 3G + 4× CPU: median ${percentile(slow.next, 50).toFixed(0)} ms, worst ${Math.max(...slow.next).toFixed(0)} ms (budget ≤ 1000 ms)`);
