import { expect, test } from '@playwright/test';

// /docs: the partner documentation, served by Tessera, with a local search.
test('every page of the sidebar opens, and an unknown one is a 404', async ({ page }) => {
  await page.goto('/docs');
  await expect(page).toHaveTitle('Overview · Docs · Tessera');
  const links = await page.locator('.docs-sidebar ul a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href')));
  expect(links.length).toBeGreaterThanOrEqual(6);
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
