import { defineConfig } from '@playwright/test';
import * as path from 'path';

// Two servers from the same build, each with a fresh data folder: the main one, and one with a
// one-minute idle timeout for the automatic-logoff journey. Mail goes to .eml files in the data
// folder (no SMTP_URL), which the specs read to follow invitation links.
// CARGO_TARGET_DIR is followed (as cargo does), and E2E_PORT moves both servers (E2E_PORT and
// E2E_PORT + 1), so two checkouts can run their journeys side by side.
const root = path.resolve(__dirname, '..');
const target = path.resolve(root, process.env.CARGO_TARGET_DIR ?? 'target');
const bin = process.env.BAA_BIN ?? path.join(target, 'debug/baa-tracker');
export const MAIN_DATA = path.join(target, 'e2e/main');
export const IDLE_DATA = path.join(target, 'e2e/idle');
const MAIN_PORT = Number(process.env.E2E_PORT ?? 3100);
const IDLE_PORT = MAIN_PORT + 1;
export const MAIN_ORIGIN = `http://127.0.0.1:${MAIN_PORT}`;
export const FIXTURES = path.join(root, 'fixtures/fly');
// The fake Fly.io GraphQL API (tools/fly-fake, built with the app: `cargo build -p fly-fake`),
// with its built-in acme-health world and token; the main server's FLY_API_URL points at it.
const FLY_FAKE_PORT = MAIN_PORT + 10;
export const FLY_FAKE_ORIGIN = `http://127.0.0.1:${FLY_FAKE_PORT}`;
export const FLY_TOKEN = 'FlyV1 fm2_fake-readonly-token-for-tests';
const flyFakeBin = process.env.FLY_FAKE_BIN ?? path.join(target, 'debug/fly-fake');
// A fixed test key (base64 of 32 bytes): tokens connected in the journeys are sealed with it.
const SECRET_KEY = 'KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=';

const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

function server(port: number, data: string, extra: string) {
  return {
    command: `rm -rf ${data} && mkdir -p ${data} && ${extra} DATA_DIR=${data} SITE_ROOT=${target}/site BIND_ADDR=127.0.0.1:${port} RUST_LOG=warn ${bin} serve`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
  };
}

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: { launchOptions, trace: 'off', screenshot: 'only-on-failure' },
  webServer: [
    {
      command: `${flyFakeBin} --port ${FLY_FAKE_PORT}`,
      url: `${FLY_FAKE_ORIGIN}/_fake/world`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    server(MAIN_PORT, MAIN_DATA, `FLY_API_URL=${FLY_FAKE_ORIGIN}/graphql BAA_SECRET_KEY=${SECRET_KEY}`),
    server(IDLE_PORT, IDLE_DATA, 'SESSION_IDLE_MINUTES=1'),
  ],
  projects: [
    { name: 'first-run', testMatch: 'first-run-owner-setup.spec.ts', use: { baseURL: `http://127.0.0.1:${MAIN_PORT}` } },
    {
      name: 'journeys',
      testIgnore: ['first-run-owner-setup.spec.ts', 'idle-logout.spec.ts'],
      dependencies: ['first-run'],
      use: { baseURL: `http://127.0.0.1:${MAIN_PORT}` },
    },
    { name: 'idle', testMatch: 'idle-logout.spec.ts', use: { baseURL: `http://127.0.0.1:${IDLE_PORT}` } },
  ],
});
