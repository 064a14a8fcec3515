import { expect } from '@playwright/test';
import { test, watchA11y } from './a11y';
import { MAIN_DATA, MAIN_ORIGIN } from './playwright.config';
import { OWNER, readMail, signIn } from './helpers';

const SLUG = 'acme-health-e2e';

test('an owner previews and publishes the trust page; a visitor reads it and subscribes', async ({ page, browser }) => {
  await signIn(page, OWNER.email, OWNER.password);
  const today = new Date().toISOString().slice(0, 10);
  // A PHI service so the page has a subcontractor: an app on Fly gets its Fly Machines service.
  for (const [action, form] of [
    ['/actions/orgs/save', { slug: 'acme-trust-prod', environment: 'production', plan: 'scale', effective_on: today }],
    ['/actions/apps/save', { name: 'acme-trust-api', org: 'acme-trust-prod', regions: 'iad', effective_on: today }],
  ] as const) {
    const res = await page.request.post(action, { form: { ...form }, headers: { origin: MAIN_ORIGIN }, maxRedirects: 0 });
    expect(res.status()).toBe(303);
  }

  await page.goto('/settings');
  const card = page.getByRole('region', { name: 'Public trust page' });
  await expect(card.getByText('Status: not public.')).toBeVisible();
  await card.getByLabel('Address (/trust/...)').fill(SLUG);
  await card.getByLabel('Company name').fill('Acme Health');
  await card.getByLabel('Contact e-mail').fill('privacy@acme-health.example');
  await card.getByRole('button', { name: 'Save trust page settings' }).click();
  await expect(page.getByText('Trust page settings saved. Preview it before publishing.')).toBeVisible();

  // Not public until published.
  const visitorCtx = await browser.newContext();
  const visitor = await visitorCtx.newPage();
  watchA11y(visitor);
  expect((await visitor.goto(`/trust/${SLUG}`))?.status()).toBe(404);

  await page.getByRole('link', { name: 'Preview exactly what will be public' }).click();
  await expect(page.getByText('This is exactly what the public page shows')).toBeVisible();
  await expect(page.getByRole('rowheader', { name: 'Fly.io' })).toBeVisible();
  await page.goto('/settings');
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('The trust page is public.')).toBeVisible();

  // The visitor: no sign-in, no JavaScript needed.
  await visitorCtx.close();
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const v = await noJs.newPage();
  watchA11y(v);
  const res = await v.goto(`/trust/${SLUG}`);
  expect(res?.status()).toBe(200);
  await expect(v.getByRole('heading', { level: 1, name: 'Acme Health: subcontractors that handle PHI' })).toBeVisible();
  await expect(v.getByRole('table', { name: 'Subcontractors that handle PHI' })).toBeVisible();
  await expect(v.getByRole('columnheader', { name: 'BAA in place since' })).toBeVisible();
  await expect(v.getByRole('rowheader', { name: 'Fly.io' })).toBeVisible();
  await expect(v.getByRole('link', { name: 'privacy@acme-health.example' })).toBeVisible();
  // Nothing private: app and org names are not shown.
  await expect(v.getByText('acme-trust-api')).toHaveCount(0);
  await expect(v.getByText('acme-trust-prod')).toHaveCount(0);
  // Accessibility basics (no axe in this project): language, one h1, landmarks, labelled fields,
  // no scripts.
  expect(await v.locator('html').getAttribute('lang')).toBe('en');
  await expect(v.locator('h1')).toHaveCount(1);
  await expect(v.getByRole('main')).toHaveCount(1);
  await expect(v.getByLabel('E-mail address')).toBeVisible();
  await expect(v.locator('script')).toHaveCount(0);
  const html = await res!.text();
  expect(html.length).toBeLessThan(8_000);

  // Feeds.
  const atom = await v.request.get(`/trust/${SLUG}/feed.atom`);
  expect(atom.headers()['content-type']).toContain('application/atom+xml');
  const json = await (await v.request.get(`/trust/${SLUG}/feed.json`)).json();
  expect(json.company).toBe('Acme Health');

  // Subscribe (double opt-in).
  await v.getByLabel('E-mail address').fill('compliance@clinic.example');
  await v.getByRole('button', { name: 'Subscribe' }).click();
  await expect(v.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  const mail = await readMail(MAIN_DATA, 'compliance@clinic.example');
  const m = mail.match(/https?:\/\/[^\s"<>]+\/trust\/[a-z0-9-]+\/confirm\?token=[0-9a-f]+/);
  expect(m).not.toBeNull();
  await v.goto(m![0].replace(/^https?:\/\/[^/]+/, ''));
  await expect(v.getByRole('heading', { name: 'Subscribed' })).toBeVisible();
  await noJs.close();

  // Unpublish: gone again.
  await page.goto('/settings');
  await page.getByRole('button', { name: 'Unpublish' }).click();
  await expect(page.getByText('The trust page is no longer public.')).toBeVisible();
  expect((await page.request.get(`/trust/${SLUG}`)).status()).toBe(404);
});
