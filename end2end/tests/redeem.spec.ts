import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { mintWith, newUser } from './helpers';
import { webview } from './webview';

// The redeem screen (SPEC §6): /consumer/wallet/{claimId}. Location is asked
// only when the user starts the redemption; granted → SUCCESS with a code;
// denied → redeemed anyway, FLAGGED gps_unavailable; far away → out_of_range
// with the distance.
const KOPI_VOUCHER = '0195f0a1-0000-7000-8000-000000000001';
const KLCC = { id: '0195f0a2-0000-7000-8000-000000000001', latitude: 3.1579, longitude: 101.7123 };

async function claimKopi(request: APIRequestContext) {
  const { jwt, auth } = await newUser(request);
  const res = await request.post('/me/claims', { headers: auth, data: { voucherId: KOPI_VOUCHER } });
  expect(res.status(), await res.text()).toBe(201);
  const claim = await res.json();
  return { jwt, auth, claimId: claim.id as string };
}

test.describe('redeem', () => {
  test.beforeEach(({}, info) => test.skip(info.project.name !== 'hydrated', 'redeeming needs JavaScript'));

  test('claim, then redeem at the outlet with location granted: SUCCESS and the code', async ({ page, context, request }) => {
    const { jwt, auth } = await newUser(request);
    await context.grantPermissions(['geolocation']);
    await context.setGeolocation({ latitude: KLCC.latitude, longitude: KLCC.longitude, accuracy: 10 });
    // Claimed in the webview, then "Use it now" opens the redeem screen.
    await webview(page).open(`/consumer/vouchers/${KOPI_VOUCHER}?claim=1&appVersion=4.2.0`, jwt);
    await page.getByRole('link', { name: 'Use it now' }).click();
    await expect(page).toHaveURL(/\/consumer\/wallet\/[0-9a-f-]+$/);
    const claimId = new URL(page.url()).pathname.split('/').pop();
    await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
    await page.locator(`.outlet[data-outlet-id="${KLCC.id}"] input`).check();
    await page.getByRole('button', { name: 'Redeem now' }).click();
    await page.getByRole('button', { name: 'Yes, redeem' }).click();
    const done = page.locator('.redeemed');
    await expect(done).toHaveAttribute('data-status', 'SUCCESS');
    const code = (await done.locator('.code').textContent())?.trim();
    // The QR code a counter scans is the code itself, read off the screen's pixels.
    const qr = done.locator('.qr svg');
    await expect(qr).toBeVisible();
    const png = PNG.sync.read(await qr.screenshot());
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(code);
    // And a Code 128 barcode, wide enough that each of its modules is at least a pixel on screen.
    const barcode = done.locator('.barcode svg');
    await expect(barcode).toBeVisible();
    const modules = Number((await barcode.getAttribute('viewBox'))!.split(' ')[2]);
    expect(modules).toBe((1 + code!.length + 1) * 11 + 13 + 20);
    const box = (await barcode.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(modules);
    expect(box.height).toBeGreaterThanOrEqual(60);
    // The code large, with a button that copies it.
    await context.grantPermissions(['geolocation', 'clipboard-read', 'clipboard-write']);
    await done.getByRole('button', { name: 'Copy code' }).click();
    await expect(done.getByRole('button', { name: 'Copied' })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
    const history = await (await request.get('/me/redemptions', { headers: auth })).json();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ claimId, status: 'SUCCESS', code, outletId: KLCC.id });

    const events = (await webview(page).bridgeLog()).filter((m) => m.type === 'analytics').map((m) => m.event);
    expect(events).toEqual(['redeem_initiated', 'location_permission', 'redeem_success']);
    const permission = (await webview(page).bridgeLog()).find((m) => m.event === 'location_permission');
    // appVersion from the first URL rides along in every analytics event (also after navigating).
    expect(permission?.properties).toMatchObject({ status: 'granted', appVersion: '4.2.0' });

    // Opened again later, the screen shows the code (server-rendered).
    await page.reload();
    await expect(page.locator('.redeemed .code')).toHaveText(code!);
  });

  test('location denied: redeemed without it, FLAGGED gps_unavailable, and the user is told', async ({ page, context, request }) => {
    const { jwt, auth, claimId } = await claimKopi(request);
    await context.clearPermissions();
    await webview(page).open(`/consumer/wallet/${claimId}`, jwt);
    await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
    await page.getByRole('button', { name: 'Redeem now' }).click();
    await page.getByRole('button', { name: 'Yes, redeem' }).click();
    await expect(page.locator('.redeemed')).toHaveAttribute('data-status', 'FLAGGED');
    await expect(page.locator('.redeemed')).toHaveAttribute('data-flag-reason', 'gps_unavailable');
    await expect(page.locator('.flag-note')).toContainText('location could not be used');
    const history = await (await request.get('/me/redemptions', { headers: auth })).json();
    expect(history[0]).toMatchObject({ status: 'FLAGGED', flagReason: 'gps_unavailable' });
    const permission = (await webview(page).bridgeLog()).find((m) => m.event === 'location_permission');
    expect(permission?.properties).toMatchObject({ status: 'denied' });
  });

  test('far from the outlet: refused with the distance, nothing redeemed', async ({ page, context, request }) => {
    const { jwt, auth, claimId } = await claimKopi(request);
    await context.grantPermissions(['geolocation']);
    await context.setGeolocation({ latitude: 1.3521, longitude: 103.8198 }); // Singapore
    await webview(page).open(`/consumer/wallet/${claimId}?outletId=${KLCC.id}`, jwt);
    await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
    await page.getByRole('button', { name: 'Redeem now' }).click();
    await page.getByRole('button', { name: 'Yes, redeem' }).click();
    const error = page.locator('.redeem-error');
    await expect(error).toHaveAttribute('data-code', 'out_of_range');
    await expect(error).toContainText(/You are [\d,.]+ ?k?m from Kopi Kita — KLCC/);
    expect(await (await request.get('/me/redemptions', { headers: auth })).json()).toEqual([]);
    const events = (await webview(page).bridgeLog()).map((m) => m.event);
    expect(events).toContain('redeem_fail');
  });

  test('"Find the nearest outlet" sorts by distance and selects the nearest', async ({ page, context, request }) => {
    const { jwt, claimId } = await claimKopi(request);
    await context.grantPermissions(['geolocation']);
    // Next to Bukit Bintang, ~1.3 km from KLCC.
    await context.setGeolocation({ latitude: 3.1467, longitude: 101.7102 });
    await webview(page).open(`/consumer/wallet/${claimId}`, jwt);
    await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
    await page.getByRole('button', { name: 'Find the nearest outlet' }).click();
    const first = page.locator('.outlet').first();
    await expect(first).toContainText('Bukit Bintang');
    await expect(first.locator('input')).toBeChecked();
    await expect(first.locator('.distance')).toHaveText(/^\d+ m$/);
    await expect(page.locator('.outlet').nth(1).locator('.distance')).toHaveText(/km$/);
  });
});

test('without JavaScript the redeem screen renders its outlets; a redeemed claim shows its code', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'ssr-only', 'checks the server rendering');
  const { jwt, auth, claimId } = await claimKopi(request);
  await webview(page).signIn(jwt);
  await page.goto(`/consumer/wallet/${claimId}`);
  await expect(page.locator('.outlet')).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Redeem now' })).toBeVisible();
  const redeemed = await request.post('/me/redemptions', {
    headers: auth,
    data: { claimId, outletId: KLCC.id, location: { lat: KLCC.latitude, lng: KLCC.longitude } },
  });
  expect(redeemed.status(), await redeemed.text()).toBe(201);
  const { code } = await redeemed.json();
  await page.goto(`/consumer/wallet/${claimId}`);
  await expect(page.locator('.redeemed .code')).toHaveText(code);
  // Another user's claim is not found.
  const other = await newUser(request);
  await webview(page).signIn(other.jwt);
  await page.goto(`/consumer/wallet/${claimId}`);
  await expect(page.locator('.state-error')).toHaveAttribute('data-code', 'not_found');
});

test('standing in a shop that is not first in the list, "Redeem now" redeems there', async ({ page, context, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'redeeming needs JavaScript');
  const { jwt, auth, claimId } = await claimKopi(request);
  await context.grantPermissions(['geolocation']);
  // At KLCC; "Kopi Kita — Bukit Bintang" (1.3 km away) comes first alphabetically.
  await context.setGeolocation({ latitude: KLCC.latitude, longitude: KLCC.longitude, accuracy: 10 });
  await webview(page).open(`/consumer/wallet/${claimId}`, jwt);
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
  await expect(page.locator('.outlet').first()).toContainText('Bukit Bintang');
  await page.getByRole('button', { name: 'Redeem now' }).click();
  // Asked before the voucher is used, at the outlet it will be used at.
  await expect(page.getByRole('alertdialog')).toContainText('Redeem at Kopi Kita — KLCC?');
  await page.getByRole('button', { name: 'Not now' }).click();
  await expect(page.getByRole('button', { name: 'Redeem now' })).toBeVisible();
  expect(await (await request.get('/me/redemptions', { headers: auth })).json()).toEqual([]);
  await page.getByRole('button', { name: 'Redeem now' }).click();
  await page.getByRole('button', { name: 'Yes, redeem' }).click();
  await expect(page.locator('.redeemed')).toHaveAttribute('data-status', 'SUCCESS');
  await expect(page.locator('.redeemed-at')).toContainText('KLCC');
  const history = await (await request.get('/me/redemptions', { headers: auth })).json();
  expect(history[0]).toMatchObject({ outletId: KLCC.id, status: 'SUCCESS' });
});

test('an outlet without coordinates: location is never asked, and the redemption succeeds', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'redeeming needs JavaScript');
  const { partnerId, jwtSecret } = await newUser(request);
  // The sandbox test brand (cohort "sandbox"): its only outlet has no coordinates.
  const jwt = mintWith(jwtSecret, partnerId, 'geo-less', { cohorts: ['sandbox'] });
  const auth = { authorization: `Bearer ${jwt}` };
  const claim = await request.post('/me/claims', { headers: auth, data: { voucherId: '0195f0a1-0000-7000-8000-0000000000f1' } });
  expect(claim.status(), await claim.text()).toBe(201);
  const { id } = await claim.json();
  // Any question about the position would fail the test.
  await page.addInitScript(() => {
    Object.defineProperty(navigator, 'geolocation', {
      value: { getCurrentPosition: () => { (window as unknown as { asked: boolean }).asked = true; } },
    });
  });
  await webview(page).open(`/consumer/wallet/${id}`, jwt);
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
  await page.getByRole('button', { name: 'Redeem now' }).click();
  await page.getByRole('button', { name: 'Yes, redeem' }).click();
  await expect(page.locator('.redeemed')).toHaveAttribute('data-status', 'SUCCESS');
  await expect(page.locator('.redeemed')).toHaveAttribute('data-flag-reason', 'outlet_not_geolocated');
  expect(await page.evaluate(() => (window as unknown as { asked?: boolean }).asked)).toBeUndefined();
  const events = (await webview(page).bridgeLog()).filter((m) => m.type === 'analytics').map((m) => m.event);
  expect(events).toEqual(['redeem_initiated', 'redeem_success']);
});
