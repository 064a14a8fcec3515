import { expect } from '@playwright/test';
import { test } from './a11y';
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES } from './playwright.config';
import { OWNER, signIn } from './helpers';

const SECRET = 'hunter2-very-secret';
// acme-api's fly.toml: plain HTTP allowed (line 4 on), a password in [env] (line 9).
const FLY_TOML = [
  'app = "acme-api"',
  'primary_region = "iad"',
  '',
  '[http_service]',
  '  internal_port = 8080',
  '  force_https = false',
  '',
  '[env]',
  `  DATABASE_PASSWORD = "${SECRET}"`,
  '',
].join('\n');

test('an owner imports a fly.toml, sees the platform safeguards beside the verdict, and approves an exception', async ({ page }) => {
  // A workspace of its own, so the other journeys' inventory stays as they expect it.
  await signIn(page, OWNER.email, OWNER.password);
  await page.goto('/settings');
  await page.getByLabel('New workspace name').fill('Safeguards Demo');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByText('Workspace Safeguards Demo created; you are its owner.')).toBeVisible();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).click();
  await page.getByLabel("Or the snapshot's files").setInputFiles([
    ...['orgs-list.json', 'apps-list.json'].map((name) => ({
      name, mimeType: 'application/json', buffer: fs.readFileSync(path.join(FIXTURES, name)),
    })),
    { name: 'fly.toml', mimeType: 'text/plain', buffer: Buffer.from(FLY_TOML) },
  ]);
  await page.getByRole('button', { name: 'Preview import' }).click();
  await page.getByRole('button', { name: 'Apply import' }).click();
  await expect(page.getByText(/Import applied/)).toBeVisible();

  // The dashboard: failures with file, line and next step; the value itself is never shown.
  await page.goto('/');
  const section = page.getByRole('region', { name: 'Platform safeguards' });
  await expect(section).toBeVisible();
  const checks = section.getByRole('table', { name: 'Platform safeguard checks' });
  const secret = checks.getByRole('row', { name: /secret-in-config/ });
  await expect(secret).toContainText('failed');
  await expect(secret).toContainText('fly.toml line 9');
  await expect(secret).toContainText('fly secrets set');
  await expect(checks.getByRole('row', { name: /transport-unencrypted/ })).toContainText('failed');
  await expect(section).toContainText(/not verifiable from the data/i);
  await expect(page.getByText(SECRET)).toHaveCount(0);

  // Settings: an exception needs a reason; then it is approved and shown.
  await page.goto('/settings');
  const exceptions = page.getByRole('region', { name: 'Platform safeguard exceptions' });
  await exceptions.getByLabel('Rule').selectOption('transport-unencrypted');
  await exceptions.getByLabel('App', { exact: true }).fill('acme-api');
  await exceptions.getByLabel('Reason').fill('TLS is terminated by our own load balancer');
  await exceptions.getByRole('button', { name: 'Approve exception' }).click();
  await expect(page.getByText('Exception for transport-unencrypted on acme-api approved.')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Approved exceptions' })).toContainText('Priya Raman');

  // Back on the dashboard it passes by exception, with the reason.
  await page.goto('/');
  const transport = page.getByRole('table', { name: 'Platform safeguard checks' }).getByRole('row', { name: /transport-unencrypted/ });
  await expect(transport).toContainText('passed by exception');
  await expect(transport).toContainText('TLS is terminated by our own load balancer');

  // The service page shows the app's checks beside its verdict.
  await page.goto('/inventory');
  await page.getByRole('link', { name: 'Fly.io · acme-api', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Platform safeguards' })).toContainText('secret-in-config');
});
