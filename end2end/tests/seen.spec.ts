import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { operatorToken } from '../playwright.config';
import { contrastOf, mintWith, newUser, someVoucher } from './helpers';
import { webview } from './webview';

// What a person sees, not only what the DOM holds (issue 14): a button found
// by role can still be invisible, a link can be clicked and still be wrong.

const KOPI_KITA = '0195f0a0-0000-7000-8000-000000000001';

test.describe('what a person sees', () => {
  test.beforeEach(({}, info) => test.skip(info.project.name !== 'hydrated', 'claims and redeems with JavaScript'));

  test('"Use it now" keeps clientId and the route, and "Redeem now" can be read', async ({ page, request }) => {
    const { jwt, auth, partnerId: partner } = await newUser(request);
    const v = await someVoucher(request, auth);
    await webview(page).open(`/consumer/vouchers/${v.id}?clientId=${partner}`, jwt);
    await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
    await page.getByRole('button', { name: 'Claim' }).click();
    const use = page.getByRole('link', { name: 'Use it now' });
    await expect(use).toBeVisible();
    const claimId = await page.locator('.claimed').getAttribute('data-claim-id');
    expect(claimId).toBeTruthy();
    await expect(use).toHaveAttribute('href', `/consumer/wallet/${claimId}?clientId=${partner}`);
    await use.click();
    await expect(page).toHaveURL(new RegExp(`/consumer/wallet/${claimId}\\?clientId=${partner}$`));
    const redeem = page.getByRole('button', { name: 'Redeem now' });
    await expect(redeem).toBeVisible();
    const seen = await contrastOf(page, 'button.redeem');
    expect(seen.ratio, `"Redeem now" is ${seen.color} on ${seen.background}`).toBeGreaterThanOrEqual(4.5);
  });
});

/** Every screen, signed in, for axe. */
async function screens(page: Page, jwt: string, query: string): Promise<string[]> {
  await webview(page).signIn(jwt);
  const auth = { authorization: `Bearer ${jwt}` };
  const v = await someVoucher(page.request, auth);
  const claim = await page.request.post('/me/claims', { headers: auth, data: { voucherId: v.id } });
  expect(claim.status()).toBe(201);
  const claimId = (await claim.json()).id;
  return [
    '/consumer',
    `/consumer/vouchers/${v.id}`,
    `/consumer/merchants/${KOPI_KITA}`,
    '/consumer/wallet',
    `/consumer/wallet/${claimId}`,
    '/consumer/search?q=kopi',
    '/consumer/transactions',
    '/consumer/favorites',
    '/consumer/help',
  ].map((p) => (query ? `${p}${p.includes('?') ? '&' : '?'}${query}` : p));
}

// A partner theme whose primary is too light for text and for white on it: the
// webview must still read (a computed text shade, black on the primary).
const SUNNY = { light: { primary: '#facc15' }, dark: { primary: '#854d0e' } };

for (const [scheme, theme] of [['light', null], ['dark', null], ['light', SUNNY], ['dark', SUNNY]] as const) {
  test(`every screen passes axe (WCAG 2 AA, contrast included) in ${scheme} mode, ${theme ? 'a partner theme' : 'the default theme'}`, async ({ page }, info) => {
    test.skip(info.project.name !== 'hydrated', 'axe runs in the page, which needs JavaScript');
    await page.emulateMedia({ colorScheme: scheme });
    const { jwt, partnerId } = await newUser(page.request);
    if (theme) {
      const set = await page.request.put(`/admin/partners/${partnerId}/theme`, { headers: { authorization: `Bearer ${operatorToken}` }, data: theme });
      expect(set.ok(), await set.text()).toBeTruthy();
    }
    const problems: string[] = [];
    const paths = await screens(page, jwt, '');
    // A hang guard that grows with the screens (axe takes seconds a screen on a
    // busy 2-core machine), not a time budget: the figures are in scripts/budgets.
    test.setTimeout(10_000 * paths.length);
    for (const path of paths) {
      await page.goto(path);
      await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
      for (const v of results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
        problems.push(`${path}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(' | ')}`);
      }
      // A contrast axe could not decide (text over an image or a gradient) counts as failed.
      for (const v of results.incomplete.filter((v) => v.id === 'color-contrast')) {
        problems.push(`${path}: contrast undecided: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(' | ')}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
}

test('out of stock and expired vouchers say so before any tap; Claim waits for hydration', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'the Claim button is an island');
  const { partnerId, jwtSecret } = await newUser(request);
  // The sandbox test brand is for cohort "sandbox".
  const sandboxJwt = mintWith(jwtSecret, partnerId, 'sandy', { cohorts: ['sandbox'] });
  const cases: [string, RegExp][] = [
    ['0195f0a1-0000-7000-8000-0000000000f5', /Out of stock/],
    ['0195f0a1-0000-7000-8000-0000000000f6', /expired/],
  ];
  let first = true;
  for (const [id, reason] of cases) {
    await page.goto(first ? `/consumer/vouchers/${id}#token=${sandboxJwt}` : `/consumer/vouchers/${id}`);
    first = false;
    await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
    await expect(page.getByRole('button', { name: 'Claim' })).toBeDisabled();
    await expect(page.locator('.claim-unavailable')).toHaveText(reason);
  }
  // A claimable voucher: the server renders Claim disabled; it turns on once its island is live.
  const html = await (await page.request.get('/consumer/vouchers/0195f0a1-0000-7000-8000-0000000000f1')).text();
  expect(html).toMatch(/<button disabled class="button claim">/);
  await page.goto('/consumer/vouchers/0195f0a1-0000-7000-8000-0000000000f1');
  await expect(page.getByRole('button', { name: 'Claim' })).toBeEnabled();
});

// Screenshots of each screen at a phone viewport, light and dark, compared with the
// committed ones (seen.spec.ts-snapshots/): a CSS change that blanks a button or
// breaks a layout fails here. The controls are also compared one by one, where a
// missing label is most of the picture. Regenerate after an intended change:
// `scripts/test e2e seen.spec.ts --update-snapshots`.
for (const scheme of ['light', 'dark'] as const) {
  test(`screens look as committed (${scheme})`, async ({ page }, info) => {
    test.skip(info.project.name !== 'hydrated', 'one run: the hydrated screens');
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
    const { jwt } = await newUser(page.request);
    const paths = await screens(page, jwt, '');
    const names = ['home', 'voucher', 'merchant', 'wallet', 'redeem', 'search', 'transactions', 'favorites', 'help'];
    for (const [i, path] of paths.entries()) {
      await page.goto(path);
      await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
      // What changes between runs (dates) is masked, not compared.
      const mask = [page.locator('.valid-until'), page.locator('.when'), page.locator('time')];
      await expect(page, path).toHaveScreenshot(`${names[i]}-${scheme}.png`, { fullPage: false, mask, animations: 'disabled', maxDiffPixelRatio: 0.01 });
      for (const control of ['button.claim', 'button.redeem', '.tab-bar', '.app-header']) {
        const el = page.locator(control).first();
        if ((await el.count()) === 0) continue;
        await expect(el, `${path} ${control}`).toHaveScreenshot(`${names[i]}-${control.replace(/[^a-z-]/g, '_')}-${scheme}.png`, { animations: 'disabled', maxDiffPixelRatio: 0.02 });
      }
    }
  });
}
