import { test, expect } from '@playwright/test';
import { MAIN_DATA, MAIN_ORIGIN } from './playwright.config';
import { OWNER, inviteAndAccept, signIn } from './helpers';

test('an auditor reads members and settings but cannot change anything', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  const { ctx, invitee: auditor } = await inviteAndAccept(
    page, MAIN_DATA, 'olu@audit-firm.example', 'Auditor (read-only)', 'Olu Auditor', 'auditor passphrase 2026!');

  await auditor.goto('/members');
  await expect(auditor.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
  await expect(auditor.getByText('Only owners can invite people, change roles or remove members.')).toBeVisible();
  await expect(auditor.getByRole('button', { name: 'Send invitation' })).toHaveCount(0);
  await expect(auditor.getByRole('button', { name: 'Change role' })).toHaveCount(0);

  await auditor.goto('/settings');
  await expect(auditor.getByText('Only owners can change workspace settings.')).toBeVisible();
  await expect(auditor.getByRole('button', { name: 'Save settings' })).toHaveCount(0);

  // Even a hand-made request is refused on the server.
  const res = await auditor.request.post('/actions/members/invite', {
    form: { email: 'mallory@example.com', role: 'owner' },
    headers: { origin: MAIN_ORIGIN },
    maxRedirects: 0,
  });
  expect(res.status()).toBe(403);
  const res2 = await auditor.request.post('/actions/settings', {
    form: { name: 'Hacked', require_2fa: '' },
    headers: { origin: MAIN_ORIGIN },
    maxRedirects: 0,
  });
  expect(res2.status()).toBe(403);
  await page.goto('/members');
  await expect(page.getByText('mallory@example.com')).toHaveCount(0);
  await ctx.close();
});
