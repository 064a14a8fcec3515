import { expect } from '@playwright/test';
import { test } from './a11y';
import { MAIN_DATA } from './playwright.config';
import { OWNER, inviteAndAccept, readMail, signIn } from './helpers';

// Runs after the founder journey (file order): it adds a service of its own and reads only it.
test('an engineer adds Tigris with no Tigris BAA: the finding, a notice in the app and the mail', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  const { ctx, invitee: eng } = await inviteAndAccept(page, MAIN_DATA, 'eve@acme-health.example', 'Engineer', 'Eve Engineer', 'engineer passphrase for eve 1');

  await eng.goto('/inventory');
  const app = eng.getByRole('form', { name: 'Add an app' });
  await app.getByLabel('App name').fill('acme-patient-portal');
  await app.getByLabel('Regions').fill('iad');
  await app.getByRole('button', { name: 'Save app' }).click();
  await expect(eng.getByText('App acme-patient-portal saved.')).toBeVisible();

  const svc = eng.getByRole('form', { name: 'Add a service' });
  await svc.getByLabel('Name').fill('acme-patient-files');
  await svc.getByLabel('Vendor and plan').selectOption('tigris|standard');
  await svc.getByLabel('App', { exact: true }).selectOption('acme-patient-portal');
  await svc.getByLabel('Handles PHI?').selectOption('yes');
  await svc.getByRole('button', { name: 'Add service' }).click();
  // Told at once, on the page.
  await expect(eng.getByRole('alert').filter({ hasText: 'acme-patient-files is saved but not covered.' })).toContainText('Next step:');

  // The notice waits in the app, counted in the navigation.
  const nav = eng.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: /Notifications/ })).toContainText('1');
  await nav.getByRole('link', { name: /Notifications/ }).click();
  const notice = eng.getByRole('listitem').filter({ hasText: 'acme-patient-files is not covered by a BAA' });
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('Next step:');

  // The finding is on the service page the notice links to.
  await notice.getByRole('link', { name: 'acme-patient-files is not covered by a BAA' }).click();
  await expect(eng.getByRole('heading', { name: 'acme-patient-files' })).toBeVisible();
  await expect(eng.getByText('uncovered-service').first()).toBeVisible();

  // The mail went out too, with a link to the service.
  const mail = await readMail(MAIN_DATA, 'eve@acme-health.example');
  expect(mail).toContain('acme-patient-files is not covered by a BAA');
  expect(mail).toMatch(/http:\/\/127\.0\.0\.1:3100\/services\/[A-Za-z0-9_-]+/);

  // Reading it clears the count.
  await eng.goto('/notifications');
  await eng.getByRole('button', { name: 'Mark as read' }).first().click();
  await expect(eng.getByText('Marked as read.')).toBeVisible();
  await expect(eng.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Notifications/ })).not.toContainText('1');

  // Preferences: mail off for this kind, saved.
  await eng.getByLabel('A service I or others added or changed is not covered — by mail').uncheck();
  await eng.getByRole('button', { name: 'Save preferences' }).click();
  await expect(eng.getByText('Notification preferences saved.')).toBeVisible();
  await expect(eng.getByLabel('A service I or others added or changed is not covered — by mail')).not.toBeChecked();
  await ctx.close();
});
