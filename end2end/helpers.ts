import { expect, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { watchA11y } from './a11y';

export const OWNER = { email: 'priya@acme-health.example', name: 'Priya Raman', password: 'correct horse battery staple' };

/** Decodes one MIME part body (quoted-printable or base64). */
function decodePart(headers: string, body: string): string {
  if (/content-transfer-encoding:\s*base64/i.test(headers)) {
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  if (/content-transfer-encoding:\s*quoted-printable/i.test(headers)) {
    return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  }
  return body;
}

/** The text of the newest mail to `to` in a data folder's mail outbox files, waiting for it. */
export async function readMail(dataDir: string, to: string): Promise<string> {
  const dir = path.join(dataDir, 'mail');
  let found = '';
  await expect(async () => {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
    const mine = files
      .map((f) => ({ f, t: fs.statSync(f).mtimeMs, s: fs.readFileSync(f, 'utf8') }))
      .filter((m) => new RegExp(`^To: .*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(m.s))
      .sort((a, b) => b.t - a.t);
    expect(mine.length).toBeGreaterThan(0);
    const raw = mine[0].s;
    // Every paragraph of a part is decoded with that part's headers (the last header block
    // before it), not only the first paragraph after them.
    let headers = '';
    found = raw
      .split(/\r?\n\r?\n/)
      .map((chunk) => {
        if (/^content-type:/im.test(chunk) && /^(content-|--)/i.test(chunk.trimStart())) {
          headers = chunk;
          return chunk;
        }
        return decodePart(headers, chunk);
      })
      .join('\n');
  }).toPass({ timeout: 15_000 });
  return found;
}

/** The first link into the app found in a mail. */
export function linkIn(mail: string, pathPrefix: string): string {
  const m = mail.match(new RegExp(`https?://[^\\s"<>]+${pathPrefix}[A-Za-z0-9_-]+`));
  if (!m) throw new Error(`no ${pathPrefix} link in mail:\n${mail}`);
  return m[0];
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
}

/** Owner invites `email` as `role`; the invitee accepts in a fresh browser context. */
export async function inviteAndAccept(page: Page, dataDir: string, email: string, roleLabel: string, name: string, password: string) {
  await page.goto('/members');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: roleLabel });
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByText(`Invitation sent to ${email}.`)).toBeVisible();
  const mail = await readMail(dataDir, email);
  const link = linkIn(mail, '/invite/');
  const browser = page.context().browser();
  if (!browser) throw new Error('no browser');
  const ctx = await browser.newContext();
  const invitee = await ctx.newPage();
  watchA11y(invitee);
  await invitee.goto(link);
  await expect(invitee.getByText('You are invited to')).toBeVisible();
  await invitee.getByLabel('Your name').fill(name);
  await invitee.getByLabel('Choose a password').fill(password);
  await invitee.getByLabel('Repeat the password').fill(password);
  await invitee.getByRole('button', { name: 'Create account and join' }).click();
  await expect(invitee.getByText('Welcome! You joined the workspace.')).toBeVisible();
  return { ctx, invitee };
}

/** How the main navigation sits: the rows its items take, and the items not wholly inside
 * the window (cut off, or reached only by scrolling sideways). */
export async function navLayout(page: Page): Promise<{ rows: number; outside: string[] }> {
  return page.evaluate(() => {
    const items = [...document.querySelectorAll('nav[aria-label="Main"] li')];
    const tops = new Set(items.map((li) => Math.round(li.getBoundingClientRect().top)));
    const outside = items
      .filter((li) => { const r = li.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth + 0.5; })
      .map((li) => li.textContent?.trim() ?? '');
    return { rows: tops.size, outside };
  });
}

/** The element that makes the page scroll sideways ('' when it does not): the last one reaching
 * past the window that is not inside a scrolling or clipping box (a wide table in its own
 * scroll box is fine). */
export async function sidewaysScroll(page: Page): Promise<string> {
  return page.evaluate(() => {
    if (document.documentElement.scrollWidth <= window.innerWidth) return '';
    const clipped = (e: Element) => {
      for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== 'visible') return true;
      }
      return false;
    };
    const over = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !clipped(e));
    const e = over[over.length - 1];
    return `${document.documentElement.scrollWidth}px: ${e?.tagName}.${e?.className} ${e?.id}: ${e?.textContent?.slice(0, 60)}`;
  });
}
