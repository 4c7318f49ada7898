import { expect, test } from '@playwright/test';

const hydrated = (name: string) => name === 'hydrated';

test.describe('/consumer', () => {
  test('renders the demo catalog on the server, title markup included', async ({ page }) => {
    const response = await page.goto('/consumer');
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle('Vouchers · Tessera');
    const cards = page.locator('.voucher-card');
    await expect(cards).toHaveCount(12);
    await expect(page.getByText('12 vouchers')).toBeVisible();
    // "{b}{r}RM8{/r}{/b} {s}RM12{/s}" becomes elements, not literal braces.
    const nasi = cards.filter({ hasText: 'Nasi lemak set' });
    await expect(nasi.locator('strong mark.hl-red')).toHaveText('RM8');
    await expect(nasi.locator('s')).toHaveText('RM12');
    await expect(nasi).not.toContainText('{b}');
  });

  test('hydrates, and the filter works in the browser', async ({ page }, info) => {
    test.skip(!hydrated(info.project.name), 'needs JavaScript');
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));

    await page.goto('/consumer');
    await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
    await page.getByLabel('Filter vouchers').fill('kopi');
    await expect(page.locator('.voucher-card:visible')).toHaveCount(2);
    await expect(page.getByText('2 of 12 vouchers')).toBeVisible();
    await page.getByLabel('Filter vouchers').fill('no such thing');
    await expect(page.locator('.voucher-card:visible')).toHaveCount(0);
    await expect(page.getByText('No vouchers match')).toBeVisible();
    expect(errors).toEqual([]);
  });

  test('without JavaScript the page is complete and never hydrates', async ({ page }, info) => {
    test.skip(hydrated(info.project.name), 'checks the no-JavaScript rendering');
    await page.goto('/consumer');
    await expect(page.locator('.voucher-card')).toHaveCount(12);
    await expect(page.locator('html')).not.toHaveAttribute('data-interactive', /.*/);
  });
});

test.describe('errors and health', () => {
  test('an unknown page is an HTML 404 with a way back', async ({ page }) => {
    const response = await page.goto('/consumer/nowhere');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Go to vouchers' })).toHaveAttribute('href', '/consumer');
  });

  test('an unknown API route is a JSON 404', async ({ request }) => {
    const response = await request.get('/me/nowhere');
    expect(response.status()).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  test('health and readiness', async ({ request }) => {
    expect(await (await request.get('/healthz')).json()).toEqual({ status: 'ok' });
    expect(await (await request.get('/readyz')).json()).toEqual({ status: 'ready', database: 'ok' });
  });
});
