import { expect } from '@playwright/test';
import { test } from './a11y';
import { MAIN_DATA } from './playwright.config';
import { OWNER, inviteAndAccept, signIn } from './helpers';

// Runs after the founder's journeys (files run in name order): it reads the year they recorded.
test('an auditor reads a year of coverage: timelines, spans with reasons, and what changed', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  const { ctx, invitee: auditor } = await inviteAndAccept(
    page, MAIN_DATA, 'ines@audit-firm.example', 'Auditor (read-only)', 'Ines Auditor', 'auditor passphrase 2026!!');

  await auditor.getByRole('link', { name: 'Coverage over time' }).click();
  await expect(auditor.getByRole('heading', { name: 'Coverage over time', level: 1 })).toBeVisible();

  const to = new Date();
  const from = new Date(to.getTime() - 364 * 86_400_000);
  await auditor.getByLabel('From').fill(from.toISOString().slice(0, 10));
  await auditor.getByLabel('To').fill(to.toISOString().slice(0, 10));
  await auditor.getByRole('button', { name: 'Show' }).click();

  // The workspace was created days ago at most: the earlier days have no record, so the page
  // must not claim "covered every day".
  await expect(auditor.getByText('Not shown as covered every day.')).toBeVisible();
  await expect(auditor.getByText('Covered every day.', { exact: true })).toHaveCount(0);
  // A timeline picture (inline SVG) and a table of spans per service.
  await expect(auditor.getByRole('img').first()).toBeVisible();
  await expect(auditor.getByRole('columnheader', { name: 'Reason' }).first()).toBeVisible();
  await expect(auditor.getByRole('cell', { name: 'nothing recorded yet' }).first()).toBeVisible();
  await expect(auditor.getByRole('heading', { name: 'Agreements in force' })).toBeVisible();
  await expect(auditor.getByRole('heading', { name: /^What changed from / })).toBeVisible();
  await expect(auditor.getByRole('heading', { name: 'Who changed what' })).toBeVisible();

  // A period longer than three years is refused with a clear message, and the picker stays.
  await auditor.goto('/coverage/period?from=2020-01-01&to=' + to.toISOString().slice(0, 10));
  await expect(auditor.getByRole('alert')).toContainText('at most 1096 days');
  await expect(auditor.getByLabel('From')).toBeVisible();

  // The auditor changes nothing here: no forms but the period picker.
  await expect(auditor.locator('form[method="post"]')).toHaveCount(1); // sign out only
  await ctx.close();
});
