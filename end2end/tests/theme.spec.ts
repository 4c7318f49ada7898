import { expect, test } from '@playwright/test';
import { operatorToken } from '../playwright.config';

// A partner's theme is in the first server response (no unthemed flash), as
// CSS custom properties allowed by the page's CSP nonce.
test('the partner theme is rendered on the server', async ({ page, request }, info) => {
  const put = await request.put('/admin/partners/demo/theme', {
    headers: { authorization: `Bearer ${operatorToken}` },
    data: { mode: 'light', light: { primary: '#c2185b' }, header: { background: '#112233', text: '#fafafa' }, radiusPx: 4 },
  });
  expect(put.ok(), await put.text()).toBeTruthy();

  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  // Without JavaScript (ssr-only) this is the first response as painted.
  await page.goto('/consumer?clientId=demo');
  const css = (name: string) => page.evaluate((n) => getComputedStyle(document.documentElement).getPropertyValue(n).trim(), name);
  expect(await css('--t-primary')).toBe('#c2185b');
  expect(await css('--t-radius')).toBe('4px');
  await expect(page.locator('.app-header')).toHaveCSS('background-color', 'rgb(17, 34, 51)');
  await expect(page.locator('.app-header')).toHaveCSS('color', 'rgb(250, 250, 250)');

  // Another partner's page (no clientId, no session) keeps the defaults.
  await page.goto('/consumer');
  expect(await css('--t-primary')).toBe('#0f766e');
  if (info.project.name === 'hydrated') {
    await page.waitForLoadState('networkidle');
    expect(errors, 'the theme style was refused by the CSP, or hydration failed').toEqual([]);
  }
});

test('a theme value that could break out of CSS is refused', async ({ request }) => {
  const put = await request.put('/admin/partners/demo/theme', {
    headers: { authorization: `Bearer ${operatorToken}` },
    data: { light: { primary: 'red;}</style><script>alert(1)</script>' } },
  });
  expect(put.status()).toBe(422);
  expect(await put.json()).toMatchObject({ error: { code: 'validation_failed' } });
});
