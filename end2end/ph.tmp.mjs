import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';
const base = 'http://127.0.0.1:3998';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const v = readFileSync('/tmp/ph/v', 'utf8').trim(), m = readFileSync('/tmp/ph/m', 'utf8').trim();
const ep = JSON.parse(readFileSync('/tmp/ph/ep.json')).id;
async function run(who, paths, tag) {
  for (const scheme of ['light', 'dark']) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: scheme, deviceScaleFactor: 1 });
    const page = await ctx.newPage();
    await page.goto(base + '/console/login');
    await page.screenshot({ path: `/tmp/ph/login-${scheme}.png` });
    await page.fill('#email', who.email); await page.fill('#password', who.password);
    await page.click('button[type=submit]');
    await page.waitForLoadState();
    for (const p of paths) {
      await page.goto(base + p);
      const name = `${tag}${p.replaceAll('/', '_').replaceAll('?', '_')}-${scheme}.png`.slice(0, 120);
      await page.screenshot({ path: '/tmp/ph/' + name, fullPage: false });
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (over > 0) console.log('horizontal overflow', over, 'px on', p, scheme);
    }
    await ctx.close();
  }
}
await run(JSON.parse(readFileSync('/tmp/ph/op.json')), ['/console', '/console/review', '/console/partners', '/console/partners/demo', '/console/merchants', `/console/merchants/${m}`, '/console/vouchers', `/console/vouchers/${v}`, '/console/orders', '/console/people', '/console/audit', '/console/account'], 'op');
await run(JSON.parse(readFileSync('/tmp/ph/ad.json')), ['/portal', '/portal/endpoints', `/portal/endpoints/${ep}`, '/portal/events', '/portal/catalog', '/portal/integration', '/portal/team', '/portal/theme'], 'ad');
await browser.close();
