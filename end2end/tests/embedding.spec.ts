import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { operatorToken } from '../playwright.config';

// A partner's web app on another origin frames the webview; only the origins
// the partner allowed may (CSP frame-ancestors), and no Referer leaves a page.
//
// The host page is served by a real local server (Chromium's Local Network
// Access rules let a loopback page frame a loopback webview). One server, two
// origins: http://localhost:<port> (allowed) and http://127.0.0.1:<port> (not).
let host: Server;
let hostPort = 0;

test.beforeAll(async ({ baseURL }) => {
  host = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>partner app</title>
<script>window.received = []; addEventListener('message', (e) => received.push({ origin: e.origin, data: e.data }));</script>
<iframe id="webview" src="${baseURL}/consumer?clientId=demo" width="400" height="700"></iframe>`);
  });
  await new Promise<void>((resolve) => host.listen(0, resolve));
  hostPort = (host.address() as AddressInfo).port;
});

test.afterAll(() => host?.close());

test.describe('embedding', () => {
  test('only an allowed origin can frame the webview', async ({ page, request, baseURL }, info) => {
    test.skip(info.project.name !== 'hydrated', 'one run is enough: framing does not depend on JavaScript');
    const allowed = `http://localhost:${hostPort}`;
    const put = await request.put('/admin/partners/demo/allowed-origins', {
      headers: { authorization: `Bearer ${operatorToken}` },
      data: { allowedOrigins: [allowed] },
    });
    expect(put.ok(), await put.text()).toBeTruthy();

    await page.goto(`${allowed}/`);
    await expect(page.frameLocator('#webview').locator('.voucher-card').first()).toBeVisible();
    // The host hears app_ready from the webview's exact origin (and the webview
    // addressed it to the host's exact origin: postMessage never uses "*").
    const webviewOrigin = new URL(baseURL!).origin;
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { received: unknown[] }).received))
      .toContainEqual({ origin: webviewOrigin, data: { type: 'action', action: 'app_ready' } });
    // Analytics events too (SPEC §6), from the same exact origin.
    const received = await page.evaluate(() => (window as unknown as { received: { origin: string }[] }).received);
    expect(received).toContainEqual({ origin: webviewOrigin, data: { type: 'analytics', event: 'visit_home', properties: {} } });
    expect(received.every((m) => m.origin === webviewOrigin)).toBe(true);

    const framed = page.waitForResponse((r) => r.url().startsWith(`${baseURL}/consumer`));
    await page.goto(`http://127.0.0.1:${hostPort}/`);
    const response = await framed;
    expect(response.headers()['content-security-policy']).toContain(`frame-ancestors 'self' ${allowed}`);
    // Chromium replaces a refused frame with its error page.
    await expect.poll(() => page.frames().find((f) => f !== page.mainFrame())?.url()).toBe('chrome-error://chromewebdata/');
    await expect(page.frameLocator('#webview').locator('.voucher-card')).toHaveCount(0);
  });

  test('without location.ancestorOrigins (Firefox) the bridge addresses each allowed origin, never "*"', async ({ page, baseURL }, info) => {
    test.skip(info.project.name !== 'hydrated', 'the bridge is JavaScript');
    // Chromium's Location.ancestorOrigins cannot be removed, so the choice is checked directly.
    await page.goto('/consumer');
    const own = new URL(baseURL!).origin;
    const targets = (allowed: string[], ancestors: string[] | undefined) =>
      page.evaluate(
        ([a, b]) => (window as unknown as { tesseraBridge: { targets: (a: string[], b: unknown, c: string) => string[] } }).tesseraBridge.targets(a as string[], b, location.origin),
        [allowed, ancestors] as const,
      );
    expect(await targets(['https://a.example', 'https://b.example'], undefined)).toEqual(['https://a.example', 'https://b.example', own]);
    expect(await targets([''], undefined)).toEqual([own]);
    expect(await targets(['https://a.example'], ['https://b.example'])).toEqual([]);
    expect(await targets(['https://a.example'], ['https://a.example'])).toEqual(['https://a.example']);
    expect(await targets([], [])).toEqual([]);
  });

  test('pages carry a nonce-based CSP and send no Referer', async ({ request }) => {
    const response = await request.get('/consumer');
    const csp = response.headers()['content-security-policy'];
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce, csp).toBeTruthy();
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await response.text();
    // Every script in the page carries this response's nonce.
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(response.headers()['referrer-policy']).toBe('no-referrer');
  });
});
