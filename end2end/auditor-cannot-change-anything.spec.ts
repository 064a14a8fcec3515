import { expect } from '@playwright/test';
import { test } from './a11y';
import { MAIN_DATA, MAIN_ORIGIN } from './playwright.config';
import { inviteAndAccept, OWNER, sidewaysScroll, signIn } from './helpers';

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

  // The audit trail, at desktop and phone width: filter by chosen values (a plain GET form),
  // expand an entry to its before/after, follow it to its subject; sign-ins are listed.
  for (const size of [{ width: 1366, height: 800 }, { width: 390, height: 844 }]) {
    await auditor.setViewportSize(size);
    await auditor.goto('/audit');
    const filter = auditor.getByRole('form', { name: 'Filter the audit trail' });
    await filter.getByLabel('Action').selectOption('login.succeeded');
    await filter.getByLabel('Actor').selectOption('olu@audit-firm.example');
    await filter.getByRole('button', { name: 'Filter' }).click();
    await expect(auditor).toHaveURL(/action=login\.succeeded/);
    const entries = auditor.getByRole('list', { name: 'Audit entries' });
    await expect(entries.getByRole('listitem').first()).toContainText('login.succeeded');
    await expect(entries.getByRole('listitem').filter({ hasNotText: 'olu@audit-firm.example' })).toHaveCount(0);
    await expect(auditor.getByText(/Page 1, 50 per page/)).toBeVisible();

    // The role change the owner made when inviting: before and after, linked to the members page.
    await auditor.getByRole('link', { name: 'Clear the filter' }).click();
    await auditor.getByRole('form', { name: 'Filter the audit trail' }).getByLabel('Subject kind').selectOption('user');
    await auditor.getByRole('form', { name: 'Filter the audit trail' }).getByRole('button', { name: 'Filter' }).click();
    const first = auditor.getByRole('list', { name: 'Audit entries' }).getByRole('listitem').first();
    await first.locator('summary').click();
    await expect(first.getByText('Reason:')).toBeVisible();
    // Nothing wider than the window (the widest element is named if something is).
    expect(await sidewaysScroll(auditor)).toBe('');
    await first.getByRole('link').first().click();
    await expect(auditor.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();

    await auditor.goto('/audit');
    await auditor.getByRole('link', { name: 'Show sign-ins' }).click();
    await expect(auditor.getByRole('list', { name: 'Audit entries' })).toContainText('login.succeeded');
  }
  await ctx.close();
});
