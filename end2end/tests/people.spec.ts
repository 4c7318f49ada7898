import AxeBuilder from '@axe-core/playwright';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { operatorToken } from '../playwright.config';
import { newUser, someVoucher } from './helpers';

// The people's screens (issue 17) as each role uses them in a real browser: an
// operator sets up a partner, a merchant with an outlet and a published voucher
// with a CSV pool, and reviews a FLAGGED redemption that reaches the partner's
// backend; a partner developer finds why deliveries failed and resends, and
// cannot reach another partner's data; a designer restyles the webview with a
// signed-in preview in light and dark; the dashboard charts data the test made.
// Every page visited is checked with axe in light and dark. They run in the Playwright
// project `console`, against a server of their own (playwright.config.ts).
//
// With TESSERA_WRITE_DOCS_SCREENS=1 the pages are also drawn to
// docs/screens/console-*.png for docs/console.md.

const admin = { authorization: `Bearer ${operatorToken}` };
const writeScreens = process.env.TESSERA_WRITE_DOCS_SCREENS === '1';
const screens = resolve(__dirname, '../../docs/screens');
// The demo catalog's Kopi Kita voucher and its KLCC outlet (which has coordinates).
const KOPI_VOUCHER = '0195f0a1-0000-7000-8000-000000000001';
const KLCC = '0195f0a2-0000-7000-8000-000000000001';

test.use({ viewport: { width: 1280, height: 900 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 });

async function account(request: APIRequestContext, role: string, partnerId?: string): Promise<{ email: string; password: string }> {
  const email = `${role.replace('_', '-')}-${randomUUID().slice(0, 8)}@example.com`;
  const made = await request.post('/admin/people', { headers: admin, data: { email, role, partnerId } });
  expect(made.status(), await made.text()).toBe(201);
  return { email, password: (await made.json()).password };
}

async function signIn(page: Page, who: { email: string; password: string }, home: RegExp) {
  await page.goto('/console/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(home);
}

/** axe's serious and critical findings on the page as it is, in light then dark. */
async function axeBoth(page: Page): Promise<string[]> {
  // Each pair of axe runs takes seconds on a busy 2-core machine (a CI run timed out at 33 s
  // in a test with six pairs): the test's budget grows with the checks it makes.
  test.info().setTimeout(test.info().timeout + 10_000);
  const out: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
    out.push(
      ...results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${scheme} ${page.url()}: ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`),
    );
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return out;
}

async function shoot(page: Page, name: string) {
  if (!writeScreens) return;
  mkdirSync(screens, { recursive: true });
  await page.screenshot({ path: resolve(screens, `console-${name}.png`), fullPage: false });
}

/** A partner's backend: records what it receives; answers with `status()` each time. */
async function backend(status: () => number): Promise<{ url: string; got: { type: string; data: Record<string, unknown>; id: string }[]; server: Server }> {
  const got: { type: string; data: Record<string, unknown>; id: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const code = status();
      if (code < 300) got.push(JSON.parse(body));
      res.writeHead(code, { 'content-type': 'text/plain' }).end(code < 300 ? 'ok' : 'backend is down for maintenance');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, server };
}

/** Adds an endpoint through the portal's form (signed in as a developer); its id. */
async function addEndpoint(page: Page, url: string, types: string[]): Promise<string> {
  await page.goto('/portal/endpoints');
  await page.getByLabel('URL').fill(url);
  for (const t of types) await page.getByLabel(t, { exact: true }).check();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await expect(page.getByRole('heading', { name: 'Signing secret — shown this once' })).toBeVisible();
  const link = page.getByRole('link', { name: url });
  await expect(link).toBeVisible();
  const href = await link.getAttribute('href');
  expect(href).toMatch(/^\/portal\/endpoints\/[0-9a-f-]{36}$/);
  return href!.split('/').pop()!;
}

test('an operator sets up a partner, a merchant with an outlet and a published voucher with a CSV pool', async ({ page, request }) => {
  const problems: string[] = [];
  await signIn(page, await account(request, 'operator'), /\/console$/);
  problems.push(...(await axeBoth(page)));

  const id = `p-${randomUUID().slice(0, 8)}`;
  await page.getByRole('link', { name: 'Partners', exact: true }).click();
  await expect(page).toHaveURL(/\/console\/partners$/);
  await page.getByLabel('Name', { exact: true }).fill('Kedai Digital');
  await page.getByLabel('Partner id').fill(id);
  await page.getByLabel('Allowed origins (one per line)').fill('https://app.kedai.example');
  await page.getByRole('button', { name: 'Add partner' }).click();
  await expect(page.getByRole('heading', { name: 'Its secrets — shown this once' })).toBeVisible();
  await expect(page.locator('code.secret')).toHaveCount(3);
  problems.push(...(await axeBoth(page)));
  const partnerLink = page.getByRole('link', { name: id, exact: true });
  await expect(partnerLink).toHaveAttribute('href', `/console/partners/${id}`);
  await partnerLink.click();
  await page.getByLabel('Email').fill(`admin-${id}@example.com`);
  await page.getByRole('button', { name: 'Make invitation link' }).click();
  const link = page.locator('code.secret');
  await expect(link).toContainText('/console/invite/inv_');
  problems.push(...(await axeBoth(page)));

  await page.getByRole('link', { name: 'Merchants', exact: true }).click();
  const merchant = `Kedai Kopi ${id}`;
  await page.getByLabel('Name', { exact: true }).fill(merchant);
  await page.getByRole('button', { name: 'Add merchant' }).click();
  await expect(page.getByRole('heading', { name: merchant })).toBeVisible();
  const outletName = page.locator('#o-name');
  await outletName.fill('Bangsar');
  await page.getByLabel('Latitude').fill('3.1300');
  await page.getByLabel('Longitude').fill('east');
  await page.getByRole('button', { name: 'Add outlet' }).click();
  await expect(page.getByRole('alert')).toContainText('"east" is not a number');
  await expect(outletName).toHaveValue('Bangsar');
  await page.getByLabel('Longitude').fill('101.6700');
  await page.getByRole('button', { name: 'Add outlet' }).click();
  await expect(page.getByRole('status')).toHaveText('Outlet added.');
  await expect(page.getByRole('cell', { name: '3.13000, 101.67000' })).toBeVisible();
  problems.push(...(await axeBoth(page)));
  await shoot(page, 'merchant');

  await page.getByRole('link', { name: 'New voucher for this merchant' }).click();
  const merchantChoice = page.locator('#v-merchant');
  await expect(merchantChoice).toHaveValue(/[0-9a-f-]{36}/);
  await expect(merchantChoice.locator('option:checked')).toHaveText(merchant);
  await page.getByLabel('Title', { exact: true }).fill('{b}Free{/b} kopi with any set');
  await page.getByLabel('Codes').selectOption('pool');
  await page.getByRole('button', { name: 'Create draft' }).click();
  await expect(page.getByRole('heading', { name: 'Free kopi with any set' })).toBeVisible();
  await expect(page.locator('.chip').first()).toHaveText('draft');
  // A bad line refuses the whole file, saying which.
  const upload = page.getByLabel('CSV file');
  await upload.setInputFiles({ name: 'codes.csv', mimeType: 'text/csv', buffer: Buffer.from('code\nKOPI-1\nKOPI-2\nKOPI-1\n') });
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('alert')).toContainText('line 4: "KOPI-1" appears twice in the file');
  await expect(page.getByText('0 free in the pool')).toBeVisible();
  const csv = 'code\n' + Array.from({ length: 25 }, (_, i) => `KOPI-${String(i + 1).padStart(3, '0')}`).join('\n') + '\n';
  await page.getByLabel('CSV file').setInputFiles({ name: 'codes.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByText('25 codes read from the file. The first of them:')).toBeVisible();
  await expect(page.locator('ol code')).toHaveCount(10);
  await expect(page.locator('ol code').first()).toHaveText('KOPI-001');
  problems.push(...(await axeBoth(page)));
  await shoot(page, 'codes-preview');
  await page.getByRole('button', { name: 'Add 25 codes' }).click();
  await expect(page.getByRole('status')).toHaveText('25 codes added (0 already there); 25 free in the pool.');
  const publish = page.getByRole('button', { name: 'Publish' });
  await expect(publish).toBeVisible();
  await publish.click();
  await expect(page.getByRole('status')).toContainText('Published');
  await expect(page.locator('.chip').first()).toHaveText('published');
  const voucherId = page.url().match(/vouchers\/([0-9a-f-]{36})/)![1];
  const v = await (await request.get(`/admin/vouchers/${voucherId}`, { headers: admin })).json();
  expect(v).toMatchObject({ status: 'published', poolCodesFree: 25, codeSource: 'pool' });

  await page.getByRole('link', { name: 'Audit log' }).click();
  for (const action of ['voucher.published', 'voucher.codes_added', 'voucher.created', 'outlet.created', 'merchant.created', 'person.invited', 'partner.created']) {
    await expect(page.getByRole('cell', { name: action, exact: true }).first()).toBeVisible();
  }
  problems.push(...(await axeBoth(page)));
  await shoot(page, 'audit');
  expect(problems, problems.join('\n')).toEqual([]);
});

test('an operator approves a FLAGGED redemption and the partner backend hears it', async ({ page, browser, request }) => {
  const problems: string[] = [];
  const { jwt, auth, partnerId } = await newUser(request);
  const hooks = await backend(() => 200);
  try {
    // The partner's developer adds the endpoint in the portal.
    const devContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const devPage = await devContext.newPage();
    await signIn(devPage, await account(request, 'partner_developer', partnerId), /\/portal$/);
    await addEndpoint(devPage, hooks.url, ['REDEMPTION_REVIEWED']);
    await devContext.close();

    // The user redeems without a location: FLAGGED.
    const claimed = await request.post('/me/claims', { headers: auth, data: { voucherId: KOPI_VOUCHER } });
    expect(claimed.status(), await claimed.text()).toBe(201);
    const claim = await claimed.json();
    const redeemed = await request.post('/me/redemptions', { headers: auth, data: { claimId: claim.id, outletId: KLCC, location: null } });
    expect(redeemed.status(), await redeemed.text()).toBe(201);
    const redemption = await redeemed.json();
    expect(redemption.status).toBe('FLAGGED');
    expect(jwt).toBeTruthy();

    await signIn(page, await account(request, 'operator'), /\/console$/);
    await page.getByRole('link', { name: 'Review', exact: true }).click();
    await page.getByLabel('Partner').selectOption(partnerId);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect(page.getByText('1 redemption waits.')).toBeVisible();
    const row = page.getByRole('form', { name: `Review of redemption ${redemption.redemptionId}` });
    await expect(row).toBeVisible();
    problems.push(...(await axeBoth(page)));
    await shoot(page, 'review');
    await row.getByLabel('Note (optional)').fill('Receipt photo matches the outlet');
    const approve = row.getByRole('button', { name: 'Approve' });
    await expect(approve).toBeVisible();
    await approve.click();
    await expect(page.getByRole('status')).toHaveText('Approved: the partner is told (REDEMPTION_REVIEWED).');
    await expect(page.getByText('Nothing to review.')).toBeVisible();

    await expect.poll(() => hooks.got.length, { timeout: 15_000 }).toBe(1);
    expect(hooks.got[0]).toMatchObject({
      type: 'REDEMPTION_REVIEWED',
      data: { redemptionId: redemption.redemptionId, verdict: 'approved', note: 'Receipt photo matches the outlet', externalUserId: 'ana' },
    });
    expect(problems, problems.join('\n')).toEqual([]);
  } finally {
    hooks.server.close();
  }
});

test('a partner developer finds why deliveries failed, resends, and never sees another partner', async ({ page, request }) => {
  const problems: string[] = [];
  const { auth, partnerId } = await newUser(request);
  const other = await newUser(request);
  let answer = 503;
  const hooks = await backend(() => answer);
  try {
    await signIn(page, await account(request, 'partner_developer', partnerId), /\/portal$/);
    problems.push(...(await axeBoth(page)));
    const endpoint = await addEndpoint(page, hooks.url, ['CLAIM_CREATED']);
    problems.push(...(await axeBoth(page)));

    const voucher = await someVoucher(request, auth);
    expect((await request.post('/me/claims', { headers: auth, data: { voucherId: voucher.id } })).status()).toBe(201);
    await page.goto(`/portal/endpoints/${endpoint}`);
    // The first attempt fails; the log says how, with the backend's answer.
    await expect(async () => {
      await page.reload();
      await expect(page.getByRole('table', { name: 'Delivery log' }).getByText('HTTP 503')).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    problems.push(...(await axeBoth(page)));
    await shoot(page, 'delivery-log');
    const eventLink = page.getByRole('table', { name: 'Delivery log' }).getByRole('link', { name: 'CLAIM_CREATED' });
    const eventHref = await eventLink.getAttribute('href');
    expect(eventHref).toMatch(/^\/portal\/events\/[0-9a-f-]{36}$/);
    await eventLink.click();
    await expect(page.getByRole('cell', { name: 'HTTP 503' }).first()).toBeVisible();
    await expect(page.getByText('backend is down for maintenance').first()).toBeVisible();
    problems.push(...(await axeBoth(page)));
    await shoot(page, 'event');

    // The backend is back: resend, and it arrives.
    answer = 200;
    await page.getByRole('button', { name: 'Resend to every endpoint that takes it' }).click();
    await expect(page.getByRole('status')).toHaveText('Queued to send again.');
    await expect.poll(() => hooks.got.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(hooks.got[0]).toMatchObject({ type: 'CLAIM_CREATED', id: eventHref!.split('/').pop() });
    await expect(async () => {
      await page.reload();
      await expect(page.locator('.chip-delivered')).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 15_000 });

    // Another partner's endpoint and event, tried directly: not found.
    const theirs = await (await request.post(`/admin/partners/${other.partnerId}/webhook-endpoints`, { headers: admin, data: { url: hooks.url } })).json();
    for (const path of [`/portal/endpoints/${theirs.id}`, `/console`, `/console/review`, `/console/partners/${other.partnerId}`]) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(404);
      await expect(page.getByRole('heading', { name: 'Not Found' })).toBeVisible();
    }
    expect(problems, problems.join('\n')).toEqual([]);
  } finally {
    hooks.server.close();
  }
});

test('a designer restyles the webview with a signed-in preview in light and dark', async ({ page, request }) => {
  const problems: string[] = [];
  const { partnerId } = await newUser(request);
  await signIn(page, await account(request, 'designer', partnerId), /\/portal$/);
  await expect(page.getByRole('navigation', { name: 'Sections' }).getByRole('link')).toHaveText(['Overview', 'Theme']);
  const res = await page.goto('/portal/endpoints');
  expect(res?.status()).toBe(403);
  await expect(page.getByText('Your role (designer) does not include this')).toBeVisible();

  await page.goto('/portal/theme');
  const frame = page.frameLocator('#theme-preview');
  await page.locator('#preview-screen').selectOption({ label: 'Wallet' });
  // Signed in: the wallet is the preview user's, not the "open from your app" screen.
  await expect(frame.getByRole('heading', { name: 'Your wallet is empty' })).toBeVisible();
  await expect(frame.getByText('Open this screen from your app')).toHaveCount(0);
  const primary = page.locator('input[name="light.primary"]');
  await primary.fill('#b00020');
  await primary.press('Tab');
  await expect(frame.locator('.app-header')).toHaveCSS('background-color', 'rgb(176, 0, 32)');
  await page.locator('input[name="dark.primary"]').fill('#ffb4ab');
  await page.locator('input[name="dark.primary"]').press('Tab');
  await page.locator('#preview-mode').selectOption('dark');
  await expect(frame.locator('.app-header')).toHaveCSS('background-color', 'rgb(255, 180, 171)');
  problems.push(...(await axeBoth(page)));
  await shoot(page, 'theme');

  // A value out of range is refused with the field named; nothing is saved.
  const radius = page.locator('input[name="radiusPx"]');
  await radius.fill('99');
  await radius.press('Tab');
  await expect(page.locator('.editor-error')).toContainText('radiusPx');
  await radius.fill('20');
  await radius.press('Tab');
  await expect(page.locator('.editor-error')).toBeHidden();
  await page.getByRole('button', { name: 'Save theme' }).click();
  await expect(page.locator('.editor-saved')).toBeVisible();
  const saved = await (await request.get(`/admin/partners/${partnerId}/theme`, { headers: admin })).json();
  expect(saved).toMatchObject({ light: { primary: '#b00020' }, dark: { primary: '#ffb4ab' }, radiusPx: 20 });
  expect(await (await request.get(`/consumer?clientId=${partnerId}`)).text()).toContain('--t-primary:#b00020');
  // The old address of the editor leads here.
  await page.goto('/consumer/theme-editor');
  await expect(page).toHaveURL(/\/portal\/theme$/);
  expect(problems, problems.join('\n')).toEqual([]);
});

test('the dashboard charts the claims the test made', async ({ page, request }) => {
  const { auth, partnerId } = await newUser(request);
  for (let i = 0; i < 3; i++) {
    const voucher = await someVoucher(request, auth);
    const claimed = await request.post('/me/claims', { headers: auth, data: { voucherId: voucher.id } });
    expect([200, 201, 409, 422]).toContain(claimed.status());
  }
  const claims = (await (await request.get('/me/claims', { headers: auth })).json()).length;
  expect(claims).toBeGreaterThan(0);
  await signIn(page, await account(request, 'operator'), /\/console$/);
  await page.getByLabel('Partner').selectOption(partnerId);
  await page.getByRole('button', { name: 'Show' }).click();
  const chart = page.locator('#claims');
  await expect(chart.locator('figcaption')).toContainText(`Claims — ${claims} from`);
  const bar = chart.locator('rect');
  await expect(bar).toHaveCount(1);
  const box = await bar.boundingBox();
  expect(box!.height).toBeGreaterThan(100);
  await expect(chart.getByRole('img', { name: /Claims/ })).toBeVisible();
  const problems = await axeBoth(page);
  await shoot(page, 'dashboard');
  expect(problems, problems.join('\n')).toEqual([]);
});

test('the console docs show every committed console screenshot, each served as an image', async ({ page }) => {
  await page.goto('/docs/console');
  const images = page.locator('img[src*="screens/console-"]');
  await expect(images).toHaveCount(6);
  for (const img of await images.all()) {
    const src = await img.getAttribute('src');
    const res = await page.request.get(new URL(src!, page.url()).href);
    expect(res.status(), src!).toBe(200);
    expect(res.headers()['content-type'], src!).toBe('image/png');
    await expect(img).toHaveJSProperty('complete', true);
    expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth), src!).toBeGreaterThan(600);
  }
});

test('every console and portal page passes axe in light and dark, for the role that sees it', async ({ page, browser, request }) => {
  test.setTimeout(180_000);
  const problems: string[] = [];
  const { auth, partnerId } = await newUser(request);
  const voucher = await someVoucher(request, auth);
  expect((await request.post('/me/claims', { headers: auth, data: { voucherId: voucher.id } })).status()).toBeLessThan(300);
  const endpoint = await (await request.post(`/admin/partners/${partnerId}/webhook-endpoints`, { headers: admin, data: { url: 'http://127.0.0.1:9/hooks' } })).json();
  const events = await (await request.get(`/admin/partners/${partnerId}/events`, { headers: admin })).json();
  const merchants = await (await request.get('/admin/merchants', { headers: admin })).json();
  const invite = await request.post('/admin/people', { headers: admin, data: { email: `x-${randomUUID().slice(0, 8)}@example.com`, role: 'designer', partnerId } });
  expect(invite.status()).toBe(201);

  const visit = async (p: Page, path: string) => {
    const res = await p.goto(path);
    expect(res?.status(), path).toBe(200);
    problems.push(...(await axeBoth(p)));
    // On a phone nothing is wider than the screen (tables scroll inside their own box).
    const desk = p.viewportSize()!;
    await p.setViewportSize({ width: 390, height: 844 });
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) problems.push(`${path}: ${overflow} px wider than a 390 px phone`);
    await p.setViewportSize(desk);
  };
  await visit(page, '/console/login');
  await signIn(page, await account(request, 'operator'), /\/console$/);
  for (const path of [
    '/console',
    '/console/review',
    '/console/partners',
    `/console/partners/${partnerId}`,
    `/console/partners/${partnerId}/integration`,
    `/console/partners/${partnerId}/theme`,
    '/console/merchants',
    `/console/merchants/${merchants[0].id}`,
    '/console/vouchers',
    `/console/vouchers/${voucher.id}`,
    '/console/orders',
    '/console/people',
    '/console/audit',
    '/console/account',
  ]) {
    await visit(page, path);
  }
  const missing = await page.goto('/console/vouchers/not-a-voucher');
  expect(missing?.status()).toBe(404);
  problems.push(...(await axeBoth(page)));

  const adminContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const adminPage = await adminContext.newPage();
  await signIn(adminPage, await account(request, 'partner_admin', partnerId), /\/portal$/);
  for (const path of [
    '/portal',
    '/portal/endpoints',
    `/portal/endpoints/${endpoint.id}`,
    '/portal/events',
    `/portal/events/${events.items[0].id}`,
    '/portal/catalog',
    '/portal/integration',
    '/portal/team',
    '/portal/theme',
    '/console/account',
  ]) {
    await visit(adminPage, path);
  }
  await adminContext.close();
  expect(problems, problems.join('\n')).toEqual([]);
});

test('a partner admin rotates a secret and invites a developer, who joins through the link', async ({ page, browser, request }) => {
  const problems: string[] = [];
  const { partnerId } = await newUser(request);
  await signIn(page, await account(request, 'partner_admin', partnerId), /\/portal$/);
  await expect(page.getByRole('navigation', { name: 'Sections' }).getByRole('link')).toHaveText([
    'Overview',
    'Webhooks',
    'Events',
    'Event catalog',
    'Integration',
    'Theme',
    'Team',
  ]);
  await page.getByLabel('Secret').selectOption('jwt');
  await page.getByRole('button', { name: 'Rotate' }).click();
  await expect(page.getByRole('heading', { name: 'New JWT secret — shown this once' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('the previous one keeps working for 24 hours');
  await expect(page.getByText('rotating: the previous one still verifies')).toBeVisible();

  await page.getByRole('link', { name: 'Team', exact: true }).click();
  const email = `dev-${randomUUID().slice(0, 8)}@example.com`;
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role').selectOption('partner_developer');
  await page.getByRole('button', { name: 'Make invitation link' }).click();
  const link = (await page.locator('code.secret').textContent())!.trim();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/invite\/inv_[A-Za-z0-9_-]+$/);
  problems.push(...(await axeBoth(page)));

  // The developer, in a browser of their own.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const dev = await context.newPage();
  await dev.goto(link);
  await expect(dev.getByText(`You are invited as partner developer of partner ${partnerId}.`)).toBeVisible();
  await expect(dev.getByLabel('Email')).toHaveValue(email);
  problems.push(...(await axeBoth(dev)));
  await dev.getByLabel('Password', { exact: true }).fill('a developer passphrase');
  await dev.getByLabel('The password again').fill('a developer passphrase');
  await dev.getByRole('button', { name: 'Make my account' }).click();
  await expect(dev).toHaveURL(/\/portal$/);
  await expect(dev.locator('.who a')).toHaveText(`${email} · partner developer`);
  // The link was for once.
  const again = await dev.goto(link);
  expect(again?.status()).toBe(404);
  await context.close();

  await page.reload();
  await expect(page.getByRole('cell', { name: email })).toBeVisible();
  expect(problems, problems.join('\n')).toEqual([]);
});
