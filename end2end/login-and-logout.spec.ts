import { expect } from '@playwright/test';
import { test } from './a11y';
import { OWNER, signIn, signOut } from './helpers';

test('the owner signs in, a wrong password gets one plain message, and sign-out ends the session', async ({ page }) => {
  await signIn(page, OWNER.email, 'not the right password');
  await expect(page.getByRole('alert')).toHaveText('That e-mail and password do not match an account.');
  await expect(page.getByLabel('E-mail')).toHaveValue(OWNER.email);

  await signIn(page, 'nobody@acme-health.example', 'not the right password');
  await expect(page.getByRole('alert')).toHaveText('That e-mail and password do not match an account.');

  await signIn(page, OWNER.email, OWNER.password);
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await expect(page.getByText(`Welcome, ${OWNER.name}.`)).toBeVisible();

  await signOut(page);
  await expect(page.getByText('You are signed out.')).toBeVisible();
  await page.goto('/members');
  await expect(page).toHaveURL(/\/login\?next=%2Fmembers$/);
});

test('a deep link survives sign-in', async ({ page }) => {
  await page.goto('/settings');
  await expect(page).toHaveURL(/next=%2Fsettings/);
  await page.getByLabel('E-mail').fill(OWNER.email);
  await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
});
