import { expect } from '@playwright/test';
import { test } from './a11y';
import { OWNER, signIn } from './helpers';

// A long list is narrowed and ordered from its own form (a plain GET form: it works without
// JavaScript and from the keyboard), the choice stays in the URL and in the form, and the audit
// trail can be read in the chain's order.
test('legal finds a customer agreement by name, orders by expiry and reads the audit trail oldest first', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 800 });
  await signIn(page, OWNER.email, OWNER.password);
  const tag = Date.now().toString(36);
  // A workspace of its own: the other journeys' lists and counts are untouched.
  await page.goto('/settings');
  await page.getByLabel('New workspace name').fill(`Lists ${tag}`);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByText(`Workspace Lists ${tag} created; you are its owner.`)).toBeVisible();
  const quill = `Quill Clinic ${tag}`;
  const birch = `Birch Health ${tag}`;
  await page.goto('/agreements');
  for (const [name, expiry] of [[quill, '2028-06-30'], [birch, '2027-01-31']]) {
    const party = page.getByRole('form', { name: 'Add a customer or subcontractor' });
    await party.getByLabel('Customer or subcontractor name').fill(name);
    await party.getByRole('button', { name: 'Add party' }).click();
    const form = page.getByRole('form', { name: 'Record an agreement' });
    await form.getByLabel('Title').fill(`BAA with ${name}`);
    await form.getByLabel('Second party').selectOption({ label: name });
    await form.getByLabel('Expiry date').fill(expiry);
    await form.getByRole('button', { name: 'Record agreement' }).click();
    await expect(page.getByText('Agreement recorded.')).toBeVisible();
  }

  // Searched by the customer's name, typed in any case, sent with Enter.
  const search = page.getByRole('form', { name: 'Search and sort agreements' });
  await search.getByLabel('Search agreements').fill(`quill clinic ${tag.toUpperCase()}`);
  await search.getByLabel('Search agreements').press('Enter');
  await expect(page).toHaveURL(/[?&]q=quill/);
  await expect(page.getByRole('link', { name: `BAA with ${quill}`, exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: `BAA with ${birch}`, exact: true })).toHaveCount(0);
  await expect(page.getByText('Showing 1–1 of 1')).toBeVisible();

  // Both of them, soonest expiry first; the form shows what was chosen.
  await search.getByLabel('Search agreements').fill(tag);
  await search.getByLabel('Sort by').selectOption({ label: 'expires soonest' });
  await search.getByRole('button', { name: 'Search' }).click();
  const titles = page.getByRole('table').getByRole('link', { name: new RegExp(`^BAA with .* ${tag}$`) });
  await expect(titles).toHaveText([`BAA with ${birch}`, `BAA with ${quill}`]);
  await expect(search.getByLabel('Sort by')).toHaveValue('expiry');
  await expect(search.getByLabel('Search agreements')).toHaveValue(tag);

  // Clear brings the whole list back.
  await search.getByRole('link', { name: 'Clear' }).click();
  await expect(page).toHaveURL(/\/agreements$/);
  await expect(page.getByRole('form', { name: 'Search and sort agreements' }).getByLabel('Search agreements')).toHaveValue('');

  // The audit trail from its first entry.
  await page.goto('/audit');
  const filter = page.getByRole('form', { name: 'Filter the audit trail' });
  await filter.getByLabel('Order').selectOption({ label: 'oldest first' });
  await filter.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/order=oldest/);
  await expect(page.getByRole('list', { name: 'Audit entries' }).locator('.audit-seq').first()).toHaveText('#1');
  await expect(filter.getByLabel('Order')).toHaveValue('oldest');
});
