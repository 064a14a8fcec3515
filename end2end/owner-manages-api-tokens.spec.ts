import { expect } from '@playwright/test';
import { test } from './a11y';
import { OWNER, signIn } from './helpers';

test('an owner creates an API token, sees it once, uses it, and revokes it', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await page.getByRole('link', { name: 'API tokens' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens', level: 1 })).toBeVisible();

  const form = page.getByRole('form', { name: 'Make a token' });
  await form.getByLabel('Token name').fill('ci-deploy');
  await form.getByLabel('Scope').selectOption('read');
  await form.getByRole('button', { name: 'Make token' }).click();
  await expect(page.getByText('Token ci-deploy created. Copy it now: it is shown only once.')).toBeVisible();
  const token = await page.getByLabel('New API token').inputValue();
  expect(token).toMatch(/^baa_[A-Za-z0-9_-]{43}$/);

  // It works against the API, and its last use is shown.
  const ok = await page.request.get('/api/v1/coverage', { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).findings).toBeDefined();

  // Shown once: a reload no longer has it.
  await page.reload();
  await expect(page.getByLabel('New API token')).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);
  const row = page.getByRole('row', { name: /ci-deploy/ });
  await expect(row).toContainText('read');
  await expect(row).not.toContainText('never');

  await row.getByRole('button', { name: 'Revoke ci-deploy' }).click();
  await expect(page.getByText('Token revoked: it no longer works.')).toBeVisible();
  await expect(page.getByRole('row', { name: /ci-deploy/ })).toContainText('revoked');
  const refused = await page.request.get('/api/v1/coverage', { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe('unauthenticated');
});
