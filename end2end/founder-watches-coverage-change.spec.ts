import { expect, Page } from '@playwright/test';
import { test } from './a11y';
import { OWNER, signIn } from './helpers';

async function coverage(page: Page) {
  await page.goto('/');
  return page.getByRole('region', { name: 'Coverage' });
}

async function recordAgreement(page: Page, fields: { title: string; a?: string; b: string; kind?: string; extendsTo?: string }) {
  await page.goto('/agreements');
  const form = page.getByRole('form', { name: 'Record an agreement' });
  await form.getByLabel('Title').fill(fields.title);
  if (fields.a) await form.getByLabel('First party').selectOption({ label: fields.a });
  await form.getByLabel('Second party').selectOption({ label: fields.b });
  if (fields.kind) await form.getByLabel('Kind').selectOption({ label: fields.kind });
  if (fields.extendsTo) await form.getByLabel('Extends to vendors (platform agreements)').fill(fields.extendsTo);
  await form.getByLabel('Effective date').fill('2026-01-01');
  await form.getByRole('button', { name: 'Record agreement' }).click();
  // The confirmation says what the agreement does to coverage.
  await expect(page.getByText(`Agreement recorded. ${fields.title}`)).toBeVisible();
}

test('a founder sets up a world and watches the findings change as agreements are added and a plan is upgraded', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await page.getByRole('link', { name: 'Inventory' }).click();

  const org = page.getByRole('form', { name: 'Add or change an org' });
  await org.getByLabel('Org slug').fill('acme-health-production');
  await org.getByLabel('Fly.io plan').selectOption('scale');
  await org.getByRole('button', { name: 'Save org' }).click();
  await expect(page.getByText('Org acme-health-production saved.')).toBeVisible();

  const app = page.getByRole('form', { name: 'Add an app' });
  await app.getByLabel('App name').fill('acme-api');
  await app.getByLabel('Regions').fill('iad');
  await app.getByRole('button', { name: 'Save app' }).click();
  await expect(page.getByText('App acme-api saved.')).toBeVisible();

  // The uploads bucket comes through Fly (an extension); the Sentry account is our own.
  for (const [name, plan, org] of [['acme-uploads', 'tigris|standard', 'acme-health-production'], ['acme-errors', 'sentry|team', '']]) {
    const svc = page.getByRole('form', { name: 'Add a service' });
    await svc.getByLabel('Name').fill(name);
    await svc.getByLabel('Vendor and plan').selectOption(plan);
    await svc.getByLabel('App', { exact: true }).selectOption('acme-api');
    await svc.getByLabel('Provisioned through Fly org').selectOption(org);
    await svc.getByLabel('Handles PHI?').selectOption('yes');
    await svc.getByRole('button', { name: 'Add service' }).click();
    // The engineer is told at once that it is not covered, with a link and the next step:
    // a warning, never a green confirmation.
    const told = page.getByRole('alert').filter({ hasText: `${name} is saved but not covered.` });
    await expect(told).toContainText('Next step:');
    await expect(told.getByRole('link', { name: `Open ${name}` })).toBeVisible();
  }

  // The app itself runs on Fly Machines, Fly.io's own compute: a third PHI service (unknown PHI).
  await expect(await coverage(page)).toContainText('0 / 3');
  await expect(page.getByRole('listitem').filter({ hasText: 'uncovered-service' })).toHaveCount(3);

  // A Fly.io BAA covers the app's Machines, but not the extensions.
  await recordAgreement(page, { title: 'Fly.io BAA', b: 'Fly.io' });
  await expect(page.getByRole('alert').filter({ hasText: 'Fly.io BAA now covers 1 service' })).toContainText('acme-uploads');
  await expect(await coverage(page)).toContainText('1 / 3');

  // Fly.io extends its BAA to Tigris extensions: the uploads bucket is covered.
  await recordAgreement(page, { title: 'Fly.io – Tigris extension terms', a: 'Fly.io', b: 'Tigris', kind: 'Platform agreement (covers extensions)', extendsTo: 'tigris' });
  await expect(await coverage(page)).toContainText('2 / 3');

  // A Sentry BAA, but the Team plan is not eligible.
  await recordAgreement(page, { title: 'Sentry BAA', b: 'Sentry' });
  // It covers nothing yet, and says why: the near miss is the plan.
  const miss = page.getByRole('alert').filter({ hasText: 'Sentry BAA covers 0 services' });
  await expect(miss).toContainText('Business');
  await expect(miss.getByRole('link', { name: 'Open acme-errors' })).toBeVisible();
  await coverage(page);
  const ineligible = page.getByRole('listitem').filter({ hasText: 'plan-ineligible' });
  await expect(ineligible).toContainText('Business');

  // The engineer upgrades Sentry to Business: everything is covered.
  await page.goto('/inventory');
  await page.getByRole('link', { name: 'Sentry · acme-errors', exact: true }).click();
  const change = page.getByRole('form', { name: 'Change this service' });
  await change.getByLabel('Plan').selectOption('sentry|business');
  await change.getByRole('button', { name: 'Save change' }).click();
  await expect(await coverage(page)).toContainText('3 / 3');
  await expect(page.getByRole('listitem').filter({ hasText: 'plan-ineligible' })).toHaveCount(0);
  await expect(page.locator('.graph-wrap svg')).toContainText('Tigris');
});
