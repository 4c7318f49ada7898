import { expect, test } from '@playwright/test';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { operatorToken } from '../playwright.config';
import { mint, mintWith } from './helpers';

// Every code sample in the docs (```js sample=NAME / ```python sample=NAME) is
// extracted from the docs' source and run against this Tessera: a sample that
// drifts from the product fails here.
type Sample = { file: string; lang: 'js' | 'python'; name: string; code: string };

function samples(): Sample[] {
  const dir = resolve(__dirname, '../../docs');
  const out: Sample[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/^```(js|python) sample=(\S+)\n([\s\S]*?)^```$/gm)) {
      out.push({ file, lang: m[1] as 'js' | 'python', name: m[2], code: m[3] });
    }
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'tessera-samples-'));

function run(s: Sample, env: Record<string, string>) {
  const path = join(work, `${s.name}-${randomUUID().slice(0, 6)}.${s.lang === 'js' ? 'mjs' : 'py'}`);
  writeFileSync(path, s.code);
  const [cmd, args] = s.lang === 'js' ? ['node', [path]] : ['python3', [path]];
  return spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
}

/** A free loopback port. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** A sample that is a server, running; `output()` is what it printed so far. */
type Served = { child: ChildProcess; output: () => string };

/** Starts a sample that is a server (a partner's backend, a webhook receiver) with `env`; resolves once it listens. */
async function serve(s: Sample, env: Record<string, string>): Promise<Served> {
  const path = join(work, `${s.name}-${randomUUID().slice(0, 6)}.${s.lang === 'js' ? 'mjs' : 'py'}`);
  writeFileSync(path, s.code);
  const child = spawn(s.lang === 'js' ? 'node' : 'python3', [path], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((ready, fail) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('listening')) ready();
    });
    child.on('exit', (code) => fail(new Error(`the ${s.lang} ${s.name} sample exited (${code}): ${stderr}`)));
  });
  return { child, output: () => `${stdout}${stderr}` };
}

test.describe('docs samples', () => {
  test.beforeEach(({}, info) => test.skip(info.project.name !== 'hydrated', 'one run is enough'));

  test('there are samples in both languages for every step', () => {
    const all = samples();
    for (const name of ['sign-request', 'add-webhook-endpoint', 'webhook-receiver', 'mint-jwt', 'claim-redeem', 'sso-endpoint', 'ledger-endpoint']) {
      expect(all.filter((s) => s.name === name).map((s) => s.lang).sort(), name).toEqual(['js', 'python']);
    }
    expect(execFileSync('python3', ['--version'], { encoding: 'utf8' })).toMatch(/Python 3/);
  });

  test('the SSO endpoint samples sign users in through Tessera', async ({ request }) => {
    const admin = { authorization: `Bearer ${operatorToken}` };
    for (const s of samples().filter((s) => s.name === 'sso-endpoint')) {
      const id = `sso-${s.lang}-${randomUUID().slice(0, 6)}`;
      expect((await request.post('/admin/partners', { headers: admin, data: { id, name: 'SSO sample' } })).ok()).toBeTruthy();
      const port = await freePort();
      const set = await request.put(`/admin/partners/${id}/integration`, { headers: admin, data: { baseUrl: `http://127.0.0.1:${port}/tessera` } });
      expect(set.ok(), await set.text()).toBeTruthy();
      const { child } = await serve(s, { PORT: String(port), TESSERA_INTEGRATION_SECRET: (await set.json()).secret });
      try {
        const known = await request.get(`/consumer?clientId=${id}&token=token-for-ana`, { maxRedirects: 0 });
        expect(known.status(), `${s.lang}: ${await known.text()}`).toBe(303);
        expect(known.headers()['set-cookie']).toContain('tessera_session=');
        const unknown = await request.get(`/consumer?clientId=${id}&token=someone-else`, { maxRedirects: 0 });
        expect(await unknown.text()).toContain('data-code="sso_refused"');
      } finally {
        child.kill();
      }
    }
  });

  test('the coins ledger samples take payment for a claim through Tessera, and keep the contract', async ({ request }) => {
    const admin = { authorization: `Bearer ${operatorToken}` };
    const merchant = await request.post('/admin/merchants', { headers: admin, data: { name: 'Ledger sample shop' } });
    expect(merchant.ok(), await merchant.text()).toBeTruthy();
    const merchantId = (await merchant.json()).id;
    for (const s of samples().filter((s) => s.name === 'ledger-endpoint')) {
      const id = `ledger-${s.lang}-${randomUUID().slice(0, 6)}`;
      const made = await request.post('/admin/partners', { headers: admin, data: { id, name: 'Ledger sample' } });
      expect(made.ok()).toBeTruthy();
      const { jwtSecret } = await made.json();
      const port = await freePort();
      const set = await request.put(`/admin/partners/${id}/integration`, { headers: admin, data: { baseUrl: `http://127.0.0.1:${port}/tessera` } });
      expect(set.ok(), await set.text()).toBeTruthy();
      const secret = (await set.json()).secret;
      // Coin vouchers only this test's user sees (a cohort of its own), so no other test meets them.
      const cohort = `ledger-${randomUUID().slice(0, 8)}`;
      const voucher = async (coinCost: number) => {
        const v = await request.post('/admin/vouchers', { headers: admin, data: { merchantId, title: `Costs ${coinCost}`, coinCost, cohorts: [cohort] } });
        expect(v.ok(), await v.text()).toBeTruthy();
        const vid = (await v.json()).id;
        expect((await request.post(`/admin/vouchers/${vid}/publish`, { headers: admin })).ok()).toBeTruthy();
        return vid;
      };
      const [affordable, tooDear] = [await voucher(300), await voucher(5000)];
      const { child } = await serve(s, { PORT: String(port), TESSERA_INTEGRATION_SECRET: secret });
      const ledger = (method: 'GET' | 'POST', path: string, data?: object, key = secret) =>
        request.fetch(`http://127.0.0.1:${port}/tessera/${path}`, { method, data, headers: { 'x-tessera-secret': key } });
      const balance = async () => (await (await ledger('GET', 'balance?userId=ledger-ana')).json()).totalCoins;
      try {
        const auth = { authorization: `Bearer ${mintWith(jwtSecret, id, 'ledger-ana', { cohorts: [cohort] })}` };
        const paid = await request.post('/me/claims', { headers: auth, data: { voucherId: affordable } });
        expect(paid.status(), `${s.lang}: ${await paid.text()}`).toBe(201);
        expect(await balance(), `${s.lang}: the claim was paid from the sample's ledger`).toBe(700);
        const refused = await request.post('/me/claims', { headers: auth, data: { voucherId: tooDear } });
        expect(refused.status(), `${s.lang}: ${await refused.text()}`).toBe(402);
        expect((await refused.json()).error.code).toBe('insufficient_coins');
        expect(await balance(), `${s.lang}: nothing taken for a refused claim`).toBe(700);

        // The rest of the contract, called as Tessera calls it.
        expect((await ledger('GET', 'balance?userId=ledger-ana', undefined, 'its_not_the_secret')).status()).toBe(401);
        const debit = { userId: 'ledger-ben', amount: 50, referenceId: `ref-${randomUUID()}`, note: 'test' };
        const first = await (await ledger('POST', 'debit', debit)).json();
        const again = await (await ledger('POST', 'debit', debit)).json();
        expect(first.status).toBe('SUCCESS');
        expect(again.transactionId, `${s.lang}: a retried debit answers the first one`).toBe(first.transactionId);
        expect((await (await ledger('GET', 'balance?userId=ledger-ben')).json()).totalCoins).toBe(950);
        const reverse = { userId: 'ledger-ben', amount: 50, referenceId: debit.referenceId, transactionId: first.transactionId };
        expect((await (await ledger('POST', 'reverse', reverse)).json()).status).toBe('SUCCESS');
        expect((await (await ledger('POST', 'reverse', reverse)).json()).status).toBe('ALREADY_REVERSED');
        expect((await (await ledger('GET', 'balance?userId=ledger-ben')).json()).totalCoins).toBe(1000);
        expect((await ledger('POST', 'reverse', { ...reverse, referenceId: 'never-debited' })).status()).toBe(404);
        expect((await ledger('POST', 'debit', { ...debit, referenceId: `ref-${randomUUID()}`, amount: 5000 })).status()).toBe(400);
      } finally {
        child.kill();
      }
    }
  });

  test('the Quickstart, followed in the order it is written, ends with verified webhooks', async ({ request, baseURL, browser }) => {
    test.setTimeout(120_000);
    const admin = { authorization: `Bearer ${operatorToken}` };
    for (const [lang, user, firstName] of [['js', 'quickstart-ana', 'Ana'], ['python', 'quickstart-ben', 'Ben']] as const) {
      // Step 0: a partner of one's own.
      const id = `quickstart-${lang}-${randomUUID().slice(0, 6)}`;
      const made = await request.post('/admin/partners', { headers: admin, data: { id, name: 'Quickstart' } });
      expect(made.ok()).toBeTruthy();
      const { apiSecret, jwtSecret } = await made.json();
      const env: Record<string, string> = { TESSERA_URL: baseURL!, TESSERA_PARTNER_ID: id, TESSERA_API_SECRET: apiSecret, TESSERA_JWT_SECRET: jwtSecret };
      const steps = samples().filter((s) => s.file === 'quickstart.md' && s.lang === lang);
      expect(steps.map((s) => s.name), 'the page is in this order').toEqual(['sign-request', 'add-webhook-endpoint', 'webhook-receiver', 'mint-jwt', 'claim-redeem']);
      const port = await freePort();
      let receiver: Served | undefined;
      try {
        for (const step of steps) {
          const where = `quickstart.md ${lang} ${step.name}`;
          if (step.name === 'webhook-receiver') {
            expect(env.WEBHOOK_SECRET, `${where}: the step before printed the endpoint's secret`).toMatch(/^whk_/);
            receiver = await serve(step, { PORT: String(port), WEBHOOK_SECRET: env.WEBHOOK_SECRET });
            continue;
          }
          const r = run(step, { ...env, WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks` });
          expect(r.status, `${where}:\n${r.stdout}\n${r.stderr}`).toBe(0);
          if (step.name === 'add-webhook-endpoint') env.WEBHOOK_SECRET = r.stdout.match(/^secret (\S+)$/m)?.[1] ?? '';
          if (step.name === 'mint-jwt') {
            // The printed link is whole and opens the webview signed in as the user.
            const link = r.stdout.match(/^open (\S+)$/m)?.[1] ?? '';
            expect(link.startsWith(`${baseURL}/consumer#token=`), `${where} printed ${r.stdout}`).toBeTruthy();
            const token = link.split('#token=')[1];
            expect(token.split('.'), 'a whole JWT').toHaveLength(3);
            const me = await request.get('/me', { headers: { authorization: `Bearer ${token}` } });
            expect((await me.json()).externalUserId).toBe(user);
            const browsing = await browser.newContext(); // a browser of the user's own, opening the link
            const page = await browsing.newPage();
            await page.goto(link);
            await expect.poll(() => page.url(), { message: 'the webview takes the token out of the address bar' }).not.toContain('token=');
            await expect(page.locator('.voucher-card').first()).toBeVisible();
            await browsing.close();
          }
        }
        // Step 6: the receiver verified the user's claim and redemption.
        await expect.poll(() => receiver!.output(), { timeout: 20_000, message: `${lang} receiver output` }).toMatch(/^verified CLAIM_CREATED \S+$/m);
        await expect.poll(() => receiver!.output(), { timeout: 20_000, message: `${lang} receiver output` }).toMatch(/^verified REDEMPTION_CREATED \S+$/m);
        const me = await request.get('/me', { headers: { authorization: `Bearer ${mint(jwtSecret, id, user)}` } });
        expect((await me.json()).firstName, 'step 1 provisioned the same user').toBe(firstName);
      } finally {
        receiver?.child.kill();
      }
    }
  });

  test('the webhook verifiers accept real deliveries of every scheme and refuse tampering', async ({ request }) => {
    const admin = { authorization: `Bearer ${operatorToken}` };
    const id = `docs-${randomUUID().slice(0, 8)}`;
    const made = await request.post('/admin/partners', { headers: admin, data: { id, name: 'Docs samples' } });
    expect(made.ok()).toBeTruthy();
    const { jwtSecret } = await made.json();

    // A real delivery of each signing scheme, received here, verified by
    // each verify sample; a tampered body and a wrong secret are refused.
    const got = new Map<string, { body: Buffer; headers: Record<string, string> }>();
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const scheme = req.url!.split('/').pop()!;
        if (!got.has(scheme)) got.set(scheme, { body: Buffer.concat(chunks), headers: req.headers as Record<string, string> });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    const schemes = ['tessera', 'standard-webhooks', 'hubble', 'spaaza'];
    const secrets: Record<string, string> = {};
    for (const scheme of schemes) {
      const endpoint = await request.post(`/admin/partners/${id}/webhook-endpoints`, {
        headers: admin,
        data: { url: `http://127.0.0.1:${port}/hook/${scheme}`, scheme, eventTypes: ['CLAIM_CREATED'] },
      });
      expect(endpoint.ok(), await endpoint.text()).toBeTruthy();
      secrets[scheme] = (await endpoint.json()).secret;
    }
    const auth = { authorization: `Bearer ${mint(jwtSecret, id, 'verifier-ana')}` };
    const vouchers = await (await request.get('/me/vouchers', { headers: auth })).json();
    expect((await request.post('/me/claims', { headers: auth, data: { voucherId: vouchers.items[0].id } })).status()).toBe(201);
    await expect.poll(() => got.size, { timeout: 15_000 }).toBe(4);
    receiver.close();

    const checks: [string, string, Record<string, string>][] = [
      ['tessera', 'verify-tessera', {}],
      ['standard-webhooks', 'verify-standard-webhooks', {}],
      ['hubble', 'verify-body', { WEBHOOK_SCHEME: 'hubble' }],
      ['spaaza', 'verify-body', { WEBHOOK_SCHEME: 'spaaza' }],
    ];
    const verifiers = samples().filter((s) => s.name.startsWith('verify-'));
    expect([...new Set(verifiers.map((s) => s.name))].sort()).toEqual([...new Set(checks.map((c) => c[1]))].sort());
    let ran = 0;
    for (const [scheme, name, extra] of checks) {
      const delivery = got.get(scheme)!;
      const bodyFile = join(work, `${scheme}.json`);
      const tampered = join(work, `${scheme}-tampered.json`);
      writeFileSync(bodyFile, delivery.body);
      writeFileSync(tampered, Buffer.from(delivery.body.toString().replace('CLAIM_CREATED', 'CLAIM_CREATEX')));
      const env = (file: string, secret: string) => ({
        ...extra,
        WEBHOOK_BODY_FILE: file,
        WEBHOOK_HEADERS: JSON.stringify(delivery.headers),
        WEBHOOK_SECRET: secret,
      });
      const otherSecret = scheme === 'standard-webhooks' ? 'whsec_' + Buffer.alloc(24, 7).toString('base64') : 'whk_not_the_secret_at_all';
      for (const s of verifiers.filter((s) => s.name === name)) {
        const ok = run(s, env(bodyFile, secrets[scheme]));
        expect(ok.status, `${s.file} ${s.lang} ${name} (${scheme}):\n${ok.stdout}\n${ok.stderr}`).toBe(0);
        expect(ok.stdout).toContain('verified CLAIM_CREATED');
        expect(run(s, env(tampered, secrets[scheme])).status, `${s.lang} ${name} accepted a tampered body`).not.toBe(0);
        expect(run(s, env(bodyFile, otherSecret)).status, `${s.lang} ${name} accepted another secret`).not.toBe(0);
        ran += 1;
      }
    }
    expect(ran).toBe(8);
  });
});
