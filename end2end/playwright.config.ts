import { defineConfig } from '@playwright/test';
import * as path from 'path';

// Two servers from the same build, each with a fresh data folder: the main one, and one with a
// one-minute idle timeout for the automatic-logoff journey. Mail goes to .eml files in the data
// folder (no SMTP_URL), which the specs read to follow invitation links.
const root = path.resolve(__dirname, '..');
const bin = process.env.BAA_BIN ?? path.join(root, 'target/debug/baa-tracker');
export const MAIN_DATA = path.join(root, 'target/e2e/main');
export const IDLE_DATA = path.join(root, 'target/e2e/idle');

const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

function server(port: number, data: string, extra: string) {
  return {
    command: `rm -rf ${data} && mkdir -p ${data} && ${extra} DATA_DIR=${data} SITE_ROOT=${root}/target/site BIND_ADDR=127.0.0.1:${port} RUST_LOG=warn ${bin} serve`,
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
  webServer: [server(3100, MAIN_DATA, ''), server(3101, IDLE_DATA, 'SESSION_IDLE_MINUTES=1')],
  projects: [
    { name: 'first-run', testMatch: 'first-run-owner-setup.spec.ts', use: { baseURL: 'http://127.0.0.1:3100' } },
    {
      name: 'journeys',
      testIgnore: ['first-run-owner-setup.spec.ts', 'idle-logout.spec.ts'],
      dependencies: ['first-run'],
      use: { baseURL: 'http://127.0.0.1:3100' },
    },
    { name: 'idle', testMatch: 'idle-logout.spec.ts', use: { baseURL: 'http://127.0.0.1:3101' } },
  ],
});
