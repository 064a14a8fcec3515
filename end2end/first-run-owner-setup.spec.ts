import { expect } from '@playwright/test';
import { test } from './a11y';
import { OWNER } from './helpers';

test('a founder opens the fresh app and creates the owner account and workspace', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await page.getByRole('link', { name: 'Set up BAA Tracker' }).click();
  await expect(page.getByRole('heading', { name: 'Set up BAA Tracker' })).toBeVisible();

  // The hydrated page adds a show/hide toggle to password fields.
  const pw = page.getByLabel('Password', { exact: true });
  await pw.fill('too short');
  const show = page.getByRole('button', { name: 'Show' }).first();
  await expect(show).toBeVisible();
  await show.click();
  await expect(pw).toHaveAttribute('type', 'text');

  // A short password is refused with a message and the typed values come back.
  await page.getByLabel('Company or workspace name').fill('Acme Health');
  await page.getByLabel('Your name').fill(OWNER.name);
  await page.getByLabel('Your e-mail').fill(OWNER.email);
  await page.getByLabel('Repeat the password').fill('too short');
  await page.getByRole('button', { name: 'Create owner account' }).click();
  await expect(page.getByText('use at least 12 characters')).toBeVisible();
  await expect(page.getByLabel('Your e-mail')).toHaveValue(OWNER.email);

  await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
  await page.getByLabel('Repeat the password').fill(OWNER.password);
  await page.getByRole('button', { name: 'Create owner account' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await expect(page.getByText('Your workspace is ready.')).toBeVisible();
  await expect(page.getByText('Acme Health').first()).toBeVisible();

  // Setup is offered once only.
  await page.goto('/setup');
  await expect(page.getByRole('heading', { name: 'Setup is done' })).toBeVisible();
});
