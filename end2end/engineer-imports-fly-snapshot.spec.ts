import { expect } from '@playwright/test';
import { test } from './a11y';
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES, MAIN_DATA } from './playwright.config';
import { inviteAndAccept, OWNER, sidewaysScroll, signIn } from './helpers';

// The acme-health snapshot as scripts/fly-snapshot.sh writes it (JSON where fly has it).
const SNAPSHOT = [
  'orgs-list.json', 'apps-list.json',
  'secrets-list--acme-api.json', 'secrets-list--acme-api-staging.json', 'secrets-list--acme-web.json', 'secrets-list--acme-worker.json',
  'storage-list.txt', 'redis-list.txt', 'redis-status--acme-redis-prod.txt',
  'ext-sentry-list.txt', 'ext-arcjet-list.txt', 'ext-vector-list.txt', 'ext-kubernetes-list.txt', 'ext-wafris-list.txt',
].map((f) => path.join(FIXTURES, f));

test('an engineer imports the acme-health fly snapshot, reviews the plan, applies it and sees the services and findings', async ({ page }) => {
  // A workspace of its own, so the other journeys' inventory stays as they expect it.
  await signIn(page, OWNER.email, OWNER.password);
  await page.goto('/settings');
  await page.getByLabel('New workspace name').fill('Fly Import Demo');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByText('Workspace Fly Import Demo created; you are its owner.')).toBeVisible();
  const eng = { email: 'sam@acme-health.example', name: 'Sam Engineer', password: 'engineer passphrase 2026' };
  const { ctx, invitee } = await inviteAndAccept(page, MAIN_DATA, eng.email, 'Engineer', eng.name, eng.password);

  await invitee.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).click();
  await expect(invitee.getByRole('heading', { name: 'Import', level: 1 })).toBeVisible();
  await invitee.getByLabel("Or the snapshot's files").setInputFiles(SNAPSHOT);
  await invitee.getByRole('button', { name: 'Preview import' }).click();

  // The preview: what would be created, and what could not be mapped with file and line.
  await expect(invitee.getByText('35 to create, 0 to change')).toBeVisible();
  const creates = invitee.getByRole('table', { name: 'To create' });
  await expect(creates.getByRole('row', { name: /fly:upstash-redis:redis:acme-redis-prod/ })).toBeVisible();
  await expect(creates.getByRole('row', { name: /acme-health-production/ }).first()).toBeVisible();
  const unmapped = invitee.getByRole('table', { name: 'Not mapped' });
  await expect(unmapped.getByRole('row', { name: /ext-wafris-list\.txt 3/ })).toBeVisible();
  await expect(unmapped.getByRole('row', { name: /secrets-list--acme-api\.json 28 DATABASE_URL/ })).toBeVisible();

  // Nothing changed yet.
  await invitee.goto('/inventory');
  await expect(invitee.getByRole('link', { name: 'acme-redis-prod' })).toHaveCount(0);
  await invitee.goBack();

  await invitee.getByRole('button', { name: 'Apply import' }).click();
  // What the import did to coverage: a warning with the first gap and one next step.
  const applied = invitee.getByRole('alert').filter({ hasText: /Import applied: 35 created, 0 changed\. \d+ of \d+ imported are not covered\./ });
  await expect(applied).toContainText('Next step:');
  await expect(applied.getByRole('link', { name: /^Open / })).toBeVisible();
  await expect(invitee.getByRole('listitem').filter({ hasText: 'uncovered-service' }).first()).toBeVisible();
  await expect(invitee.getByRole('listitem').filter({ hasText: 'platform-plan-ineligible' }).first()).toBeVisible();
  await invitee.goto('/inventory');
  await expect(invitee.getByRole('link', { name: 'Upstash Redis · acme-redis-prod', exact: true })).toBeVisible();
  await expect(invitee.getByRole('link', { name: /· acme-clinical-notes-index$/ })).toBeVisible();
  // Every app is a Fly.io service too (its Machines).
  await expect(invitee.getByRole('link', { name: 'Fly.io · acme-api', exact: true })).toBeVisible();

  // Two buckets in one org: the CLI cannot say which app uses which, so the links are
  // unconfirmed; the engineer confirms one and rejects the other, with a reason.
  await invitee.getByRole('link', { name: 'Tigris · acme-health-exports' }).click();
  const unconfirmed = invitee.getByRole('region', { name: 'Unconfirmed' });
  await expect(unconfirmed).toContainText('acme-api may use it');
  await unconfirmed.getByRole('button', { name: 'Confirm: acme-api uses it' }).click();
  await expect(invitee.getByText('Confirmed: acme-api uses this service.')).toBeVisible();
  await invitee.getByLabel('Why reject: acme-worker does not').fill('acme-worker only writes to patient-docs');
  await invitee.getByRole('button', { name: 'Reject: acme-worker does not' }).click();
  await expect(invitee.getByText('Rejected: acme-worker does not use this service.')).toBeVisible();
  await expect(invitee.getByRole('region', { name: 'Unconfirmed' })).toHaveCount(0);

  // The same snapshot again changes nothing.
  await invitee.goto('/import');
  await invitee.getByLabel("Or the snapshot's files").setInputFiles(SNAPSHOT);
  await invitee.getByRole('button', { name: 'Preview import' }).click();
  await expect(invitee.getByText('it matches the inventory, nothing would change')).toBeVisible();
  await expect(invitee.getByRole('button', { name: 'Apply import' })).toHaveCount(0);

  // A malformed file: refused with its file and line, nothing imported.
  await invitee.getByLabel("Or the snapshot's files").setInputFiles([
    ...SNAPSHOT.filter((f) => !f.endsWith('apps-list.json'))
      .map((f) => ({ name: path.basename(f), mimeType: 'text/plain', buffer: fs.readFileSync(f) })),
    { name: 'apps-list.json', mimeType: 'application/json', buffer: Buffer.from('[\n  {"Name": "a" "Status": "deployed"}\n]\n') },
  ]);
  await invitee.getByRole('button', { name: 'Preview import' }).click();
  await expect(invitee.getByRole('alert').filter({ hasText: 'apps-list.json line 2' }).first()).toContainText('Nothing was imported');

  // At desktop and phone width: the refused upload is kept; the file at fault can be skipped
  // and the rest previewed, and long error lines wrap instead of widening the page.
  const longLine = `[\n  {"Name": "${'x'.repeat(400)}" "Status": "deployed"}\n]\n`;
  for (const size of [{ width: 1366, height: 800 }, { width: 390, height: 844 }]) {
    await invitee.setViewportSize(size);
    await invitee.goto('/import');
    await invitee.getByLabel("Or the snapshot's files").setInputFiles([
      ...SNAPSHOT.filter((f) => !f.endsWith('apps-list.json'))
        .map((f) => ({ name: path.basename(f), mimeType: 'text/plain', buffer: fs.readFileSync(f) })),
      { name: 'apps-list.json', mimeType: 'application/json', buffer: Buffer.from(longLine) },
      // Picked without its folder (file pickers drop it): known by its name.
      { name: 'fly.staging.toml', mimeType: 'text/plain', buffer: Buffer.from("app = 'acme-api-staging'\nprimary_region = 'iad'\n") },
    ]);
    await invitee.getByRole('button', { name: 'Preview import' }).click();
    const refusedAlert = invitee.getByRole('alert').filter({ hasText: 'apps-list.json line 2' }).first();
    await expect(refusedAlert).toContainText('Nothing was imported');
    // Nothing wider than the window (the widest element is named if something is).
    expect(await sidewaysScroll(invitee)).toBe('');
    await refusedAlert.getByRole('button', { name: 'Skip apps-list.json and preview the rest' }).click();
    await expect(invitee.getByText('apps-list.json skipped; the rest of the upload is previewed below.')).toBeVisible();
    await expect(invitee.getByRole('heading', { name: 'Import plan' })).toBeVisible();
    await expect(invitee.getByRole('table', { name: 'Not mapped' }).getByText('fly.staging.toml')).toHaveCount(0);
  }
  await ctx.close();
});
