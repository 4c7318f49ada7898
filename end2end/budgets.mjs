// Measures app_ready time under 4× CPU throttling and the home page's server
// render time with 100 vouchers. Run by scripts/budgets against a running
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

// Server render: sequential requests, response fully read.
for (let i = 0; i < 20; i++) await (await fetch(`${base}/consumer`)).text();
const renders = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  const html = await (await fetch(`${base}/consumer`)).text();
  renders.push(performance.now() - t);
  if (i === 0 && (html.match(/class="voucher-card"/g) ?? []).length !== 100) throw new Error('expected 100 vouchers on the page');
}
console.log(`ssr         /consumer with 100 vouchers: p50 ${percentile(renders, 50).toFixed(2)} ms, p99 ${percentile(renders, 99).toFixed(2)} ms (budget p50 ≤ 5 ms)`);

// app_ready: from navigation start to the bridge message, 4× CPU throttling, cold cache each time.
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] });
const times = [];
for (let i = 0; i < 5; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await page.addInitScript(() => {
    window.ReactNativeWebView = { postMessage: (m) => { if (JSON.parse(m).action === 'app_ready') window.appReadyAt = performance.now(); } };
  });
  await page.goto(`${base}/consumer`);
  await page.waitForFunction(() => window.appReadyAt !== undefined, null, { timeout: 30_000 });
  times.push(await page.evaluate(() => window.appReadyAt));
  await context.close();
}
await browser.close();
console.log(`app_ready   after navigation, 4× CPU throttling: median ${percentile(times, 50).toFixed(0)} ms, worst ${Math.max(...times).toFixed(0)} ms of ${times.length} cold loads (budget ≤ 1500 ms)`);
