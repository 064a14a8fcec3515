import { expect } from '@playwright/test';
import { test } from './a11y';
import { OWNER } from './helpers';

// This server signs out after 1 minute without activity.
test('an unattended screen is signed out after the idle timeout', async ({ page }) => {
  test.setTimeout(150_000);
  await page.goto('/setup');
  await page.getByLabel('Company or workspace name').fill('Idle Clinic');
  await page.getByLabel('Your name').fill(OWNER.name);
  await page.getByLabel('Your e-mail').fill(OWNER.email);
  await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
  await page.getByLabel('Repeat the password').fill(OWNER.password);
  await page.getByRole('button', { name: 'Create owner account' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();

  // No activity: the page leaves by itself, and the server has ended the session too.
  await expect(page).toHaveURL(/\/login/, { timeout: 100_000 });
  await expect(page.getByText(/signed out after .* without activity/)).toBeVisible();
  await page.goto('/members');
  await expect(page).toHaveURL(/\/login\?next=%2Fmembers$/);
});
