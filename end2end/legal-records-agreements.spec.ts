import { expect, Page } from '@playwright/test';
import { test } from './a11y';
import { OWNER, signIn } from './helpers';

// A refused agreement comes back exactly as it was filled in (the second party, the ticked
// boxes, the typed locations), with every problem beside its field and a summary on top; a
// status change asks for a date and a reason and then for confirmation. At desktop and phone
// width.
for (const [label, viewport, plan] of [
  ['desktop', { width: 1366, height: 800 }, 'Business'],
  ['phone', { width: 390, height: 844 }, 'Enterprise'],
] as const) {
  test(`legal records a Sentry BAA after fixing every refusal at once (${label})`, async ({ page }) => {
    await page.setViewportSize(viewport);
    await signIn(page, OWNER.email, OWNER.password);
    await page.goto('/agreements');
    const form = page.getByRole('form', { name: 'Record an agreement' });
    const title = `Sentry BAA (${label})`;
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Second party').selectOption({ label: 'Sentry' });
    // Three mistakes: a Fly.io plan on a Sentry BAA, a ticked clause without where it is
    // found, auto-renewal without the end of the first term.
    await form.getByLabel('Fly.io Scale (legacy)').check();
    await form.getByLabel('A (limits on use and disclosure)', { exact: true }).check();
    await form.getByLabel('Renews automatically at the end of each term').check();
    await form.getByRole('button', { name: 'Record agreement' }).click();

    const again = page.getByRole('form', { name: 'Record an agreement' });
    await expect(again.getByRole('alert').first()).toContainText('Nothing was saved: 3 things need fixing.');
    // Resubmitting as it stands would still file against Sentry, with the same boxes.
    await expect(again.getByLabel('Second party')).toHaveValue('vendor:sentry');
    await expect(again.getByLabel('Title')).toHaveValue(title);
    await expect(again.getByLabel('Renews automatically at the end of each term')).toBeChecked();
    await expect(again.getByLabel('Fly.io Scale (legacy)')).toBeChecked();
    await expect(again.getByLabel('A (limits on use and disclosure)', { exact: true })).toBeChecked();
    // Each error is next to its field and describes it.
    await expect(again.getByRole('group', { name: /Plans covered/ })).toHaveAccessibleDescription(/tick only Sentry's plans/);
    await expect(again.getByLabel('Expiry date')).toHaveAccessibleDescription(/auto-renewing agreement needs the end date/);
    await expect(again.getByLabel('Where A (limits on use and disclosure) is found')).toHaveAccessibleDescription(/is found/);
    await expect(page.getByText('Agreement recorded.')).toHaveCount(0);

    // Fixed, it is recorded against Sentry.
    await again.getByLabel('Fly.io Scale (legacy)').uncheck();
    await again.getByLabel(`Sentry ${plan}`).check();
    await again.getByLabel('Where A (limits on use and disclosure) is found').fill('§ 2.1');
    await again.getByLabel('Expiry date').fill('2027-12-31');
    await again.getByRole('button', { name: 'Record agreement' }).click();
    await expect(page.getByText('Agreement recorded.')).toBeVisible();
    const row = page.getByRole('row').filter({ hasText: title });
    await expect(row).toContainText('Sentry');

    // The same agreement again: a warning, not a silent duplicate.
    const form2 = page.getByRole('form', { name: 'Record an agreement' });
    await form2.getByLabel('Title').fill(title);
    await form2.getByLabel('Second party').selectOption({ label: 'Sentry' });
    await form2.getByLabel(`Sentry ${plan}`).check();
    await form2.getByLabel('Expiry date').fill('2027-12-31');
    await form2.getByLabel('Renews automatically at the end of each term').check();
    await form2.getByRole('button', { name: 'Record agreement' }).click();
    await expect(page.getByText('same parties, kind and scope').first()).toBeVisible();
    await expect(page.getByRole('button', { name: 'Record it anyway' })).toBeVisible();
    await expect(page.getByRole('row').filter({ hasText: title })).toHaveCount(1);

    // A status change starts from the current status and asks for confirmation.
    await changeStatus(page, title, 'terminated', 'moved to another error tracker');
    await expect(page.getByText('Status changed.')).toBeVisible();
    // Terminating it again is refused: nothing would change.
    await page.getByRole('form', { name: 'Change the status' }).getByLabel('New status').selectOption('terminated');
    await page.getByRole('form', { name: 'Change the status' }).getByLabel('Why').fill('again');
    await page.getByRole('form', { name: 'Change the status' }).getByRole('button', { name: 'Review the change' }).click();
    await expect(page.getByRole('form', { name: 'Change the status' }).getByLabel('New status')).toHaveAccessibleDescription(/already terminated/);
    await expect(page.getByRole('form', { name: 'Confirm the status change' })).toHaveCount(0);
  });
}

async function changeStatus(page: Page, title: string, status: string, why: string) {
  await page.getByRole('link', { name: `Change status of ${title}` }).click();
  const form = page.getByRole('form', { name: 'Change the status' });
  await expect(form.getByLabel('New status')).toHaveValue('signed');
  await form.getByLabel('New status').selectOption(status);
  await form.getByLabel('Why').fill(why);
  await form.getByRole('button', { name: 'Review the change' }).click();
  const confirm = page.getByRole('form', { name: 'Confirm the status change' });
  await expect(confirm).toContainText('from signed to terminated');
  await expect(confirm).toContainText(why);
  await confirm.getByRole('button', { name: 'Confirm the change' }).click();
}
