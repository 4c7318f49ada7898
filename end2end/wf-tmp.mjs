import { chromium } from '@playwright/test';
const base = 'http://127.0.0.1:3555';
const admin = { authorization: `Bearer tok-tok-tok-tok-tok-tok-tok-tok`, 'content-type': 'application/json' };
const post = async (path, body) => { const r = await fetch(`${base}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body ?? {}) }); if (!r.ok) throw new Error(await r.text()); return r.json(); };
if (process.env.SEED) { const m = await post('/admin/merchants', { name: 'Budget merchant' });
for (let i = 0; i < 88; i++) { const v = await post('/admin/vouchers', { merchantId: m.id, title: `{b}Budget{/b} voucher ${i}`, description: 'A voucher for measuring.' }); await post(`/admin/vouchers/${v.id}/publish`); } }
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.44 * 1024 * 1024) / 8 * 0.9, uploadThroughput: (675 * 1024) / 8 * 0.9 };
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
for (let run = 0; run < (+process.env.N || 2); run++) {
const context = await browser.newContext({ viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true });
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
await cdp.send('Network.enable');
await cdp.send('Network.emulateNetworkConditions', FAST_3G);
await page.addInitScript(() => {
  const T = (window.__t = []); const mark = (n) => T.push(n + '@' + Math.round(performance.now()));
  const ric = window.requestIdleCallback; window.requestIdleCallback = (cb, o) => { mark('ric-ask'); return ric.call(window, (d) => { mark('ric-run'); cb(d); }, o); };
  const is = WebAssembly.instantiateStreaming; WebAssembly.instantiateStreaming = async (...a) => { mark('wasm-start'); const r = await is.apply(WebAssembly, a); mark('wasm-done'); return r; };
  const ii = WebAssembly.instantiate; WebAssembly.instantiate = async (...a) => { mark('wasmi-start'); const r = await ii.apply(WebAssembly, a); mark('wasmi-done'); return r; };
  document.addEventListener('DOMContentLoaded', () => mark('dcl'));
  addEventListener('tessera:interactive', () => mark('interactive'));
});
await page.addInitScript(() => { window.ReactNativeWebView = { postMessage: (m) => { if (JSON.parse(m).action === 'app_ready') window.appReadyAt = performance.now(); } }; });
const rows = [];
page.on('requestfinished', async (r) => { const t = r.timing(); const s = await r.sizes(); rows.push([new URL(r.url()).pathname.slice(0, 50), t.startTime, t.requestStart, t.responseStart, t.responseEnd, s.responseBodySize]); });
if (process.env.TRACE0) await browser.startTracing(page, { path: `/tmp/wf/cold${run}.json`, categories: ['devtools.timeline', 'v8.execute', 'blink.user_timing', 'loading', 'v8.wasm'] });
await page.goto(`${base}/consumer${process.env.Q || ''}`);
await page.waitForFunction(() => window.appReadyAt !== undefined, null, { timeout: 120000 });
const ready = await page.evaluate(() => window.appReadyAt);
if (process.env.TRACE0) await browser.stopTracing();
const nav = await page.evaluate(() => { const n = performance.getEntriesByType('navigation')[0]; return { start: performance.timeOrigin, resp: n.responseStart, end: n.responseEnd, dcl: n.domContentLoadedEventEnd }; });
const marks = await page.evaluate(() => performance.getEntriesByType('resource').map(e => [e.name.replace(location.origin, '').slice(0, 50), Math.round(e.startTime), Math.round(e.responseStart), Math.round(e.responseEnd), e.transferSize]));
console.log('  marks', await page.evaluate(() => window.__t.join(' ')));
console.log('run', run, 'app_ready', ready.toFixed(0), 'nav', JSON.stringify(nav));
for (const m of marks) console.log('  ', m.join('\t'));
if (process.env.TRACE) await browser.startTracing(page, { path: `/tmp/wf/trace${run}.json`, categories: ['devtools.timeline', 'v8.execute', 'blink.user_timing', 'loading'] });
await page.locator('.voucher-card a').first().click();
await page.waitForURL(/\/consumer\/vouchers\//);
await page.waitForFunction(() => window.appReadyAt !== undefined, null, { timeout: 120000 });
const marks2 = await page.evaluate(() => performance.getEntriesByType('resource').map(e => [e.name.replace(location.origin, '').slice(0, 50), Math.round(e.startTime), Math.round(e.responseStart), Math.round(e.responseEnd), e.transferSize]));
const nav2 = await page.evaluate(() => { const n = performance.getEntriesByType('navigation')[0]; return { resp: n.responseStart, end: n.responseEnd, dcl: n.domContentLoadedEventEnd }; });
console.log('  marks', await page.evaluate(() => window.__t.join(' ')));
if (process.env.TRACE) await browser.stopTracing();
console.log('  next', (await page.evaluate(() => window.appReadyAt)).toFixed(0), JSON.stringify(nav2));
for (const m of marks2) console.log('    ', m.join('\t'));
await context.close();
}
await browser.close();
