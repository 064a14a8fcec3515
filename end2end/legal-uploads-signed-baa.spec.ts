import { expect } from '@playwright/test';
import { test, watchA11y } from './a11y';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MAIN_DATA } from './playwright.config';
import { OWNER, inviteAndAccept, signIn } from './helpers';

/** A small valid PDF whose content varies with `note`. */
function pdf(note: string): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Note (${note}) >>`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

test('legal uploads a signed BAA, adds version 2, downloads version 1 intact; an auditor can download but not upload', async ({ page, browser }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baa-'));
  const v1 = path.join(dir, 'fly-baa-signed.pdf');
  const v2 = path.join(dir, 'fly-baa-signed-v2.pdf');
  fs.writeFileSync(v1, pdf('version one'));
  fs.writeFileSync(v2, pdf('version two'));
  const v1Hash = createHash('sha256').update(fs.readFileSync(v1)).digest('hex');

  // The owner records the agreement and brings in legal.
  await signIn(page, OWNER.email, OWNER.password);
  await page.goto('/agreements');
  const form = page.getByRole('form', { name: 'Record an agreement' });
  await form.getByLabel('Title').fill('Fly.io BAA (signed copy)');
  await form.getByLabel('Second party').selectOption({ label: 'Fly.io' });
  await form.getByRole('button', { name: 'Record agreement' }).click();
  // Another journey may already have recorded a Fly.io BAA of the same scope: the app warns,
  // and this one is recorded deliberately as a second agreement.
  const anyway = page.getByRole('button', { name: 'Record it anyway' });
  await expect(page.getByText('Agreement recorded.').or(anyway)).toBeVisible();
  if (await anyway.isVisible()) {
    await expect(page.getByRole('alert').filter({ hasText: 'same parties, kind and scope' }).first()).toBeVisible();
    await anyway.click();
    await expect(page.getByText('Agreement recorded.')).toBeVisible();
  }
  const { ctx, invitee: legal } = await inviteAndAccept(page, MAIN_DATA, 'lee@acme-health.example', 'Legal', 'Lee Legal', 'legal passphrase for lee 1');

  await legal.goto('/agreements');
  await legal.getByRole('link', { name: 'Fly.io BAA (signed copy)', exact: true }).click();
  await expect(legal.getByText('No signed copy uploaded yet.')).toBeVisible();
  const upload = legal.getByRole('form', { name: 'Upload the signed PDF' });
  await upload.getByLabel(/Signed PDF/).setInputFiles(v1);
  await upload.getByRole('button', { name: 'Upload' }).click();
  await expect(legal.getByText('Version 1 of the executed document is stored.')).toBeVisible();
  await expect(legal.getByRole('cell', { name: v1Hash })).toBeVisible();

  // Version 2 arrives by drag and drop and goes up with a progress bar (the script's XHR).
  const dropForm = legal.getByRole('form', { name: 'Upload the signed PDF' });
  const drop = async (name: string, bytes: number[] | number) => {
    const dt = await legal.evaluateHandle(({ name, bytes }) => {
      const data = typeof bytes === 'number' ? new Uint8Array(bytes) : new Uint8Array(bytes);
      const t = new DataTransfer();
      t.items.add(new File([data], name, { type: 'application/pdf' }));
      return t;
    }, { name, bytes });
    await dropForm.dispatchEvent('dragenter', { dataTransfer: dt });
    await expect(dropForm).toHaveClass(/dragging/);
    await dropForm.dispatchEvent('drop', { dataTransfer: dt });
  };
  // Too big: refused in the browser before anything is sent.
  await drop('huge.pdf', 26 * 1024 * 1024);
  await dropForm.getByRole('button', { name: 'Upload' }).click();
  await expect(dropForm.getByRole('status')).toContainText('over the 25.0 MB limit. Nothing was uploaded.');
  await drop('fly-baa-signed-v2.pdf', [...fs.readFileSync(v2)]);
  await expect(dropForm.getByRole('status')).toContainText('fly-baa-signed-v2.pdf');
  await expect(dropForm.getByRole('status')).toContainText('ready to upload');
  const [req] = await Promise.all([
    legal.waitForRequest((r) => r.url().endsWith('/actions/agreements/documents') && r.method() === 'POST'),
    dropForm.getByRole('button', { name: 'Upload' }).click(),
  ]);
  expect(req.headers()['x-upload']).toBe('xhr');
  await expect(legal.getByText('Version 2 of the executed document is stored.')).toBeVisible();
  await expect(legal.getByRole('cell', { name: 'fly-baa-signed-v2.pdf' })).toBeVisible();

  const row1 = legal.getByRole('row').filter({ hasText: v1Hash });
  const [download] = await Promise.all([legal.waitForEvent('download'), row1.getByRole('link').click()]);
  const saved = path.join(dir, 'downloaded.pdf');
  await download.saveAs(saved);
  expect(createHash('sha256').update(fs.readFileSync(saved)).digest('hex')).toBe(v1Hash);
  const agreementUrl = legal.url();
  await ctx.close();

  // The auditor (invited by the auditor journey) can download but sees no upload form.
  const actx = await browser.newContext();
  const auditor = await actx.newPage();
  watchA11y(auditor);
  await signIn(auditor, 'olu@audit-firm.example', 'auditor passphrase 2026!');
  await auditor.goto(agreementUrl);
  await expect(auditor.getByRole('cell', { name: v1Hash })).toBeVisible();
  await expect(auditor.getByRole('form', { name: 'Upload the signed PDF' })).toHaveCount(0);
  const [d2] = await Promise.all([auditor.waitForEvent('download'), auditor.getByRole('row').filter({ hasText: v1Hash }).getByRole('link').click()]);
  expect(createHash('sha256').update(fs.readFileSync(await d2.path())).digest('hex')).toBe(v1Hash);
  await actx.close();
});
