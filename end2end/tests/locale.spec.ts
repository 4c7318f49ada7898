import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { operatorToken } from '../playwright.config';
import { mintWith, newUser } from './helpers';
import { webview } from './webview';

// Locale and time (SPEC §13): the language from ?locale=, the user's locale,
// Accept-Language or the partner's default; every date and time in the
// partner's time zone. The expiry day is the bug class users report most:
// a voucher valid until 00:30 on 1 Feb in Kuala Lumpur is 16:30 on 31 Jan in
// UTC, and must read "1 Feb".
const KOPI_KITA = '0195f0a0-0000-7000-8000-000000000001';
const KLCC = { id: '0195f0a2-0000-7000-8000-000000000001', latitude: 3.1579, longitude: 101.7123 };
const admin = { authorization: `Bearer ${operatorToken}` };

/** A partner in Kuala Lumpur's time zone, two vouchers only its cohort sees, and a signed-in user. */
async function klPartner(request: APIRequestContext, page: Page, claims: object = {}) {
  const { partnerId, jwtSecret } = await newUser(request);
  const set = await request.put(`/admin/partners/${partnerId}/webview`, { headers: admin, data: { timeZone: 'Asia/Kuala_Lumpur' } });
  expect(set.status(), await set.text()).toBe(200);
  const cohort = `kl-${randomUUID().slice(0, 8)}`;
  const make = async (data: object) => {
    const made = await request.post('/admin/vouchers', { headers: admin, data: { merchantId: KOPI_KITA, cohorts: [cohort], ...data } });
    expect(made.ok(), await made.text()).toBeTruthy();
    const { id } = await made.json();
    expect((await request.post(`/admin/vouchers/${id}/publish`, { headers: admin })).ok()).toBeTruthy();
    return id as string;
  };
  // 00:30 on 1 Feb in Kuala Lumpur (UTC+8).
  const afterMidnight = await make({ title: 'Kopi RM 5', valueType: 'FIXED', value: 500, currency: 'MYR', validUntil: '2027-01-31T16:30:00Z' });
  // Exactly midnight in Kuala Lumpur: the last day it can be used is 31 Jan.
  const atMidnight = await make({ title: 'Kopi 20', valueType: 'PERCENT', value: 20, validUntil: '2027-01-31T16:00:00Z' });
  const jwt = mintWith(jwtSecret, partnerId, 'ana', { cohorts: [cohort], ...claims });
  await webview(page).signIn(jwt);
  return { partnerId, jwt, afterMidnight, atMidnight };
}

const card = (page: Page, id: string) => page.locator(`.voucher-card[data-voucher-id="${id}"]`);

test('?locale=ms: Malay words, values and the expiry day in Kuala Lumpur, kept as the user moves on', async ({ page, request }) => {
  const { afterMidnight, atMidnight } = await klPartner(request, page);
  await page.goto('/consumer?locale=ms');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ms');
  await expect(page.locator('.app-header h1')).toHaveText('Baucar');
  await expect(page.locator('.tab-bar a[aria-current="page"]')).toHaveText('Utama');
  await expect(card(page, afterMidnight).locator('.value')).toHaveText('Diskaun RM 5');
  await expect(card(page, afterMidnight).locator('.valid-until')).toHaveText('Sah hingga 1 Feb 2027');
  await expect(card(page, atMidnight).locator('.value')).toHaveText('Diskaun 20%');
  await expect(card(page, atMidnight).locator('.valid-until')).toHaveText('Sah hingga 31 Jan 2027');
  // The next screen's URL has no locale: the choice was kept.
  await card(page, afterMidnight).locator('a').click();
  await expect(page).toHaveURL(new RegExp(`/consumer/vouchers/${afterMidnight}$`));
  await expect(page.locator('html')).toHaveAttribute('lang', 'ms');
  await expect(page.locator('.voucher-detail .valid-until')).toHaveText('1 Feb 2027, 12:30 PG');
  await expect(page.locator('.voucher-detail .value')).toHaveText('Diskaun RM 5');
  await expect(page.getByRole('button', { name: 'Tuntut' })).toBeVisible();
});

test('a partner without a time zone shows UTC: the same voucher reads 31 Jan there', async ({ page, request }) => {
  const { partnerId, afterMidnight } = await klPartner(request, page);
  expect((await request.put(`/admin/partners/${partnerId}/webview`, { headers: admin, data: {} })).status()).toBe(200);
  await page.goto(`/consumer/vouchers/${afterMidnight}`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('.voucher-detail .valid-until')).toHaveText('31 Jan 2027, 4:30 pm');
});

test('the user\'s own locale (a JWT claim) wins over the browser\'s language', async ({ page, request }) => {
  await page.setExtraHTTPHeaders({ 'accept-language': 'en-US,en;q=0.9' });
  await klPartner(request, page, { locale: 'hi-IN' });
  await page.goto('/consumer/wallet');
  await expect(page.locator('html')).toHaveAttribute('lang', 'hi');
  await expect(page.locator('.app-header h1')).toHaveText('वॉलेट');
  await expect(page.locator('.state-empty h2')).toHaveText('आपका वॉलेट ख़ाली है');
});

test.describe('a browser asking for Hindi', () => {
  test.use({ locale: 'hi-IN' });
  test('signed out, the screens follow Accept-Language; an unknown ?locale= is ignored', async ({ page }) => {
    await page.goto('/consumer/help?locale=xx');
    await expect(page.locator('html')).toHaveAttribute('lang', 'hi');
    await expect(page.locator('.app-header h1')).toHaveText('सहायता');
    await expect(page.locator('.faq summary').first()).toHaveText('मैं वाउचर कैसे इस्तेमाल करूँ?');
    await expect(page.locator('.tab-bar')).toContainText('होम');
  });
});

test('the partner\'s help screen: its own support contact, in the user\'s language', async ({ page, request }) => {
  const { partnerId } = await klPartner(request, page);
  const set = await request.put(`/admin/partners/${partnerId}/webview`, {
    headers: admin,
    data: { timeZone: 'Asia/Kuala_Lumpur', supportEmail: 'help@kopi.example', supportUrl: 'https://help.kopi.example/', helpText: 'Kami sedia membantu.' },
  });
  expect(set.status(), await set.text()).toBe(200);
  const bad = await request.put(`/admin/partners/${partnerId}/webview`, { headers: admin, data: { timeZone: 'Mars/Base', supportUrl: 'http://x.example' } });
  expect(bad.status()).toBe(422);
  expect(Object.keys((await bad.json()).error.details.fields).sort()).toEqual(['supportUrl', 'timeZone']);
  await page.goto('/consumer/help?locale=ms');
  await expect(page.locator('.support .support-text')).toHaveText('Kami sedia membantu.');
  await expect(page.locator('.support-email')).toHaveAttribute('href', 'mailto:help@kopi.example');
  await expect(page.locator('.support-email')).toHaveText('E-mel help@kopi.example');
  await expect(page.locator('.support-url')).toHaveAttribute('href', 'https://help.kopi.example/');
});

test('redeeming in Malay: the confirmation, the outcome and its time in Kuala Lumpur', async ({ page, context, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'redeeming needs JavaScript');
  const { jwt, afterMidnight } = await klPartner(request, page);
  const auth = { authorization: `Bearer ${jwt}` };
  const claim = await request.post('/me/claims', { headers: auth, data: { voucherId: afterMidnight } });
  expect(claim.status(), await claim.text()).toBe(201);
  const { id: claimId } = await claim.json();
  await context.grantPermissions(['geolocation']);
  await context.setGeolocation({ latitude: KLCC.latitude, longitude: KLCC.longitude, accuracy: 10 });
  await page.goto(`/consumer/wallet/${claimId}?locale=ms`);
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
  await page.locator(`.outlet[data-outlet-id="${KLCC.id}"] input`).check();
  await page.getByRole('button', { name: 'Tebus sekarang' }).click();
  await expect(page.locator('#confirm-title')).toHaveText(/^Tebus di .+\?$/);
  await page.getByRole('button', { name: 'Ya, tebus' }).click();
  const done = page.locator('.redeemed');
  await expect(done).toHaveAttribute('data-status', 'SUCCESS');
  await expect(done.locator('.redeemed-at')).toHaveText(/^Ditebus di /);
  await expect(done.getByRole('button', { name: 'Salin kod' })).toBeVisible();
  // The time as Kuala Lumpur reads it, computed here from the API's instant.
  const [redemption] = await (await request.get('/me/redemptions', { headers: auth })).json();
  const at = new Date(Date.parse(redemption.redeemedAt) + 8 * 3600 * 1000);
  const months = ['Jan', 'Feb', 'Mac', 'Apr', 'Mei', 'Jun', 'Jul', 'Ogo', 'Sep', 'Okt', 'Nov', 'Dis'];
  const hour = at.getUTCHours() % 12 === 0 ? 12 : at.getUTCHours() % 12;
  const expected = `${at.getUTCDate()} ${months[at.getUTCMonth()]} ${at.getUTCFullYear()}, ${hour}:${String(at.getUTCMinutes()).padStart(2, '0')} ${at.getUTCHours() < 12 ? 'PG' : 'PTG'}`;
  await expect(done.locator('.redeemed-when time')).toHaveText(expected);
  // Opened again later, the server renders the same words.
  await page.reload();
  await expect(page.locator('.redeemed .redeemed-when time')).toHaveText(expected);
  await expect(page.locator('.redeemed .hint')).toHaveText('Tunjukkan kod ini di kaunter.');
});

test('a sign-in that fails tells the person why in their language', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'the fragment is read by the boot script');
  await page.goto('/consumer?locale=ms#token=not-a-jwt');
  const screen = page.locator('.boot-error');
  await expect(screen).toHaveAttribute('data-code', 'token_invalid');
  await expect(screen.locator('h1')).toHaveText('Kami tidak dapat mendaftar masuk anda');
  await expect(screen.locator('p').first()).toHaveText(
    'Pautan daftar masuk ini tidak sah. Tutup skrin ini dan bukanya semula daripada aplikasi.',
  );
  await expect(screen.getByRole('button', { name: 'Tutup' })).toBeVisible();
  // The reason for developers stays as the server gave it.
  await expect(screen).toHaveAttribute('data-boot-error', /.+/);
});
