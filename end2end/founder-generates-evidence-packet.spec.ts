import { expect } from '@playwright/test';
import { test } from './a11y';
import * as fs from 'fs';
import { OWNER, signIn } from './helpers';

test('the founder generates an evidence packet for today and downloads the PDF and the bundle', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Evidence packets' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Evidence packets' })).toBeVisible();

  const form = page.getByRole('form', { name: 'Generate an evidence packet' });
  const today = await form.getByLabel('As of').inputValue();
  expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  await form.getByRole('button', { name: 'Generate packet' }).click();
  await expect(page.getByText(`Generating the evidence packet as of ${today}.`)).toBeVisible();

  // The page refreshes itself while the packet is made; it ends done with the PDF, bundle and
  // manifest hashes and the key that signed the manifest.
  const row = page.locator('tr[data-packet]').first();
  await expect(row).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(row.getByRole('rowheader')).toHaveText(today);
  await expect(row.locator('code')).toHaveCount(4);
  await expect(page.getByRole('heading', { name: 'Signing key' })).toBeVisible();

  const pdfDownload = page.waitForEvent('download');
  // Downloads are buttons: the POST records the download, then the browser saves the file.
  await row.getByRole('button', { name: 'PDF' }).click();
  const pdf = await pdfDownload;
  expect(pdf.suggestedFilename()).toMatch(new RegExp(`^evidence-packet-.*-${today}\\.pdf$`));
  const pdfBytes = fs.readFileSync((await pdf.path())!);
  expect(pdfBytes.length).toBeGreaterThan(1000);
  expect(pdfBytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

  const zipDownload = page.waitForEvent('download');
  await row.getByRole('button', { name: /Bundle/ }).click();
  const zip = await zipDownload;
  expect(zip.suggestedFilename()).toMatch(new RegExp(`^evidence-bundle-.*-${today}\\.zip$`));
  const zipBytes = fs.readFileSync((await zip.path())!);
  expect(zipBytes.length).toBeGreaterThan(1000);
  expect(zipBytes.subarray(0, 2).toString('latin1')).toBe('PK');
});
