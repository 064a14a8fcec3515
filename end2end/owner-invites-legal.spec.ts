import { expect } from '@playwright/test';
import { test } from './a11y';
import { MAIN_DATA } from './playwright.config';
import { OWNER, inviteAndAccept, signIn, signOut } from './helpers';

test('the owner invites a legal colleague, who accepts by e-mail link and signs in', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  const legal = { email: 'dana@acme-health.example', name: 'Dana Legal', password: 'legal team passphrase 2026' };
  const { ctx, invitee } = await inviteAndAccept(page, MAIN_DATA, legal.email, 'Legal', legal.name, legal.password);
  await expect(invitee.getByText('You are Legal in Acme Health.')).toBeVisible();
  await signOut(invitee);
  await signIn(invitee, legal.email, legal.password);
  await expect(invitee.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await ctx.close();

  // The link works once.
  await page.goto('/members');
  await expect(page.getByRole('row', { name: /dana@acme-health.example.*Legal/ }).first()).toBeVisible();
  await expect(page.getByRole('row', { name: /dana@acme-health.example.*accepted/ })).toBeVisible();
});
