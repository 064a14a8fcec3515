import { expect } from '@playwright/test';
import { test } from './a11y';
import { FLY_TOKEN } from './playwright.config';
import { OWNER, signIn } from './helpers';

test('an owner connects a Fly org with a read-only token, syncs it, and sees the new services and findings', async ({ page }) => {
  // A workspace of its own, so the other journeys' inventory stays as they expect it.
  await signIn(page, OWNER.email, OWNER.password);
  await page.goto('/settings');
  await page.getByLabel('New workspace name').fill('Fly Live Demo');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByText('Workspace Fly Live Demo created; you are its owner.')).toBeVisible();

  await page.getByRole('link', { name: 'Integrations' }).click();
  await expect(page.getByRole('heading', { name: 'Integrations', level: 1 })).toBeVisible();
  await expect(page.getByText('fly tokens create readonly -o ORG')).toBeVisible();

  // A token the API refuses: a clear error, nothing stored, the token not echoed.
  const connect = page.getByRole('form', { name: 'Connect a Fly.io org' });
  await connect.getByLabel('Org slug').fill('acme-health');
  await connect.getByLabel('Read-only token').fill('FlyV1 fm2_not-the-right-token');
  await connect.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByText('The Fly.io API refused this token').first()).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Fly.io org acme-health' })).toHaveCount(0);
  expect(await page.content()).not.toContain('not-the-right-token');

  // The real one: checked with the API, stored encrypted, never shown again.
  await connect.getByLabel('Org slug').fill('acme-health');
  await connect.getByLabel('Read-only token').fill(FLY_TOKEN);
  await connect.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByText('Fly.io org acme-health connected')).toBeVisible();
  const card = page.getByRole('region', { name: 'Fly.io org acme-health' });
  await expect(card).toBeVisible();
  expect(await page.content()).not.toContain('fake-readonly-token');

  // Sync now: the plan is applied at once and shown.
  await card.getByRole('button', { name: 'Sync now: acme-health' }).click();
  await expect(page.getByText(/Fly\.io org acme-health synced: \d+ created, 0 updated/)).toBeVisible();
  const synced = page.getByRole('region', { name: 'Fly.io org acme-health' });
  await expect(synced).toContainText('ok');
  await expect(synced).toContainText(/\d+ apps and \d+ add-ons seen/);
  await expect(synced.getByRole('listitem').filter({ hasText: 'created service' }).first()).toBeVisible();

  // The new services are in the inventory, and the uncovered ones are findings.
  await page.goto('/inventory');
  await expect(page.getByRole('link', { name: /acme-uploads/ }).first()).toBeVisible();
  await expect(page.getByRole('link', { name: /acme-redis-prod/ }).first()).toBeVisible();
  await page.goto('/');
  await expect(page.getByRole('listitem').filter({ hasText: 'uncovered-service' }).first()).toBeVisible();

  // The owner is told, naming the add-on and its app.
  await page.goto('/notifications');
  await expect(page.getByRole('listitem').filter({ hasText: /is not covered by a BAA \(.* on app acme-api, Fly org acme-health\)/ }).first()).toBeVisible();

  // A second sync changes nothing.
  await page.goto('/integrations');
  await page.getByRole('button', { name: 'Sync now: acme-health' }).click();
  await expect(page.getByText('Fly.io org acme-health synced: 0 created, 0 updated')).toBeVisible();

  // The change is in the audit trail under the integration's name.
  await page.goto('/audit');
  await expect(page.getByRole('list', { name: 'Audit entries' }).getByText('integration:fly:acme-health').first()).toBeVisible();
});
