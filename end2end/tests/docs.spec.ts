import { expect, test } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { operatorToken } from '../playwright.config';

// /docs: the partner documentation, served by Tessera, with a local search.
test('every page of the sidebar opens, and an unknown one is a 404', async ({ page }) => {
  await page.goto('/docs');
  await expect(page).toHaveTitle('Overview · Docs · Tessera');
  const links = await page.locator('.docs-sidebar ul a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href')));
  expect(links.length).toBeGreaterThanOrEqual(6);
  // Each page is a full load (15 s for all of them in one CI run): the budget grows with the sidebar.
  test.setTimeout(10_000 + 3_000 * links.length);
  for (const href of links) {
    const res = await page.goto(href!);
    expect(res?.status(), href!).toBe(200);
  }
  expect((await page.goto('/docs/nope'))?.status()).toBe(404);
});

test('search finds a page by a word in its body', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'search runs in the page');
  await page.goto('/docs');
  // "Partitioned" is only in the body of the webview page (the session cookie).
  await page.getByLabel('Search the docs').fill('partitioned');
  const result = page.locator('#docs-results a').first();
  await expect(result).toContainText('The webview');
  await result.click();
  await expect(page).toHaveURL(/\/docs\/webview#/);
  await page.getByLabel('Search the docs').fill('zzzz-no-such-word');
  await expect(page.locator('#docs-results')).toContainText('Nothing found.');
});

test('the docs wear the partner theme of ?clientId and keep it from page to page, readable on a phone', async ({ page, request }) => {
  const admin = { authorization: `Bearer ${operatorToken}` };
  const id = `docs-theme-${randomUUID().slice(0, 6)}`;
  expect((await request.post('/admin/partners', { headers: admin, data: { id, name: 'Docs theme' } })).ok()).toBeTruthy();
  const theme = await request.put(`/admin/partners/${id}/theme`, { headers: admin, data: { mode: 'light', light: { primary: '#c2185b' } } });
  expect(theme.ok(), await theme.text()).toBeTruthy();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/docs/sso?clientId=${id}`);
  const primary = () => page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--t-primary').trim());
  expect(await primary()).toBe('#c2185b');
  // Links in the page and in the sidebar keep the partner.
  const inPage = page.locator('.docs-page a[href^="/docs/"]').first();
  expect(await inPage.getAttribute('href')).toContain(`clientId=${id}`);
  expect(await page.locator('.docs-sidebar a[href^="/docs/coins"]').getAttribute('href')).toBe(`/docs/coins?clientId=${id}`);
  await inPage.click();
  expect(await primary()).toBe('#c2185b');
  // Nothing wider than the phone: code and tables scroll inside themselves.
  for (const path of ['/docs/quickstart', '/docs/embed-android', '/docs/api']) {
    await page.goto(`${path}?clientId=${id}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
  }
  // Without a partner, Tessera's own look.
  await page.goto('/docs/sso');
  expect(await primary()).not.toBe('#c2185b');
});

test('the API reference sits in the docs, each operation at its operationId', async ({ page }) => {
  await page.goto('/docs/api#upsert_user');
  await expect(page.locator('article.operation#upsert_user')).toContainText('/integrations/users');
  await expect(page.locator('article.operation#issue_voucher')).toContainText('/integrations/users/{external_user_id}/vouchers');
  await expect(page.locator('.docs-sidebar a[aria-current="page"]')).toHaveText('API reference');
});
