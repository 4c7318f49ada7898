import { defineConfig, devices } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// scripts/test sets these; the defaults let `npx playwright test` work after a
// debug build from the repository root.
const port = Number(process.env.E2E_PORT ?? 3210);
const baseURL = `http://127.0.0.1:${port}`;
// The people's screens (people.spec.ts) on a server of their own: an operator there
// publishes vouchers and merchants that the webview specs' counts and screenshots of
// the demo catalog must not see.
const consolePort = Number(process.env.E2E_CONSOLE_PORT ?? 3211);
const consoleURL = `http://127.0.0.1:${consolePort}`;
const bin = process.env.TESSERA_BIN ?? resolve(__dirname, '../target/debug/tessera');
const siteRoot = process.env.TESSERA_SITE_ROOT ?? resolve(__dirname, '../target/site');
const dataDir = mkdtempSync(join(tmpdir(), 'tessera-e2e-'));
// The admin API's token for this throwaway server (tests read it from here).
export const operatorToken = 'e2e-operator-token-0123456789abcdef';

const chromium = {
  ...devices['Pixel 7'],
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  },
};

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  // No retries: a flaky test is a bug (often a hydration race) to fix, not hide.
  retries: 0,
  workers: 2,
  reporter: [['list']],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'hydrated', use: { ...chromium }, testIgnore: /people\.spec\.ts/ },
    { name: 'ssr-only', use: { ...chromium, javaScriptEnabled: false }, testIgnore: /people\.spec\.ts/ },
    { name: 'console', use: { ...chromium, baseURL: consoleURL }, testMatch: /people\.spec\.ts/ },
  ],
  webServer: [
    // A fresh SQLite database with the demo catalog, on a port of its own.
    server(port, 'e2e.db'),
    // The same for the people's screens (people.spec.ts).
    server(consolePort, 'console.db'),
  ],
});

function server(listen: number, db: string) {
  return {
    command: `"${bin}" demo && exec "${bin}" serve`,
    url: `http://127.0.0.1:${listen}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      DATABASE_URL: `sqlite:${join(dataDir, db)}`,
      TESSERA_LISTEN: `127.0.0.1:${listen}`,
      TESSERA_SITE_ROOT: siteRoot,
      TESSERA_LOG_LEVEL: 'warn',
      TESSERA_OPERATOR_TOKEN: operatorToken,
      // /demo and its webhook receiver on this machine (demo.spec.ts).
      TESSERA_DEMO_PAGE: 'true',
      TESSERA_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8',
    },
  };
}
