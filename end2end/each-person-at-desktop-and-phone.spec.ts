import { expect, Page } from '@playwright/test';
import { expectAccessible, test } from './a11y';
import { MAIN_DATA, MAIN_ORIGIN } from './playwright.config';
import { OWNER, inviteAndAccept, navLayout, sidewaysScroll, signIn } from './helpers';

// The four people of the product, each walking their own pages at desktop and at phone width
// (in a workspace of their own),
// with one refusal each: the refused form comes back on the page it was sent from, with what
// was typed and every problem beside its field. Every page visited passes the accessibility
// check (axe-core) and nothing is wider than the window; a screenshot of each is kept in the
// test's output folder to be looked at.

const SIZES = [
  ['desktop', { width: 1366, height: 800 }],
  ['phone', { width: 390, height: 844 }],
] as const;

/** Checks the page as it stands: accessible, no sideways scroll, a screenshot kept. */
async function look(page: Page, shot: string) {
  await expectAccessible(page);
  expect(await sidewaysScroll(page), `sideways scroll on ${page.url()}`).toBe('');
  // Every item of the navigation is on screen; at desktop width (1366 px) in one row.
  const nav = await navLayout(page);
  expect(nav.outside, `navigation items off screen on ${page.url()}`).toEqual([]);
  if ((page.viewportSize()?.width ?? 0) >= 1366 && nav.rows > 0) expect(nav.rows, `navigation rows on ${page.url()}`).toBe(1);
  await page.screenshot({ path: test.info().outputPath(`${shot}.png`), fullPage: true });
}

async function visit(page: Page, path: string, heading: string, shot: string) {
  await page.goto(path);
  await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
  await look(page, shot);
}

test.use({ actionTimeout: 20_000 });

for (const [label, viewport] of SIZES) {
  test(`founder, legal, engineer and auditor each walk their pages, refusals included (${label})`, async ({ page }) => {
    test.setTimeout(300_000);
    await page.setViewportSize(viewport);
    await signIn(page, OWNER.email, OWNER.password);
    // A workspace of its own, so the other journeys' counts are untouched.
    await page.goto('/settings');
    await page.getByLabel('New workspace name').fill(`People (${label})`);
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await expect(page.getByText(`Workspace People (${label}) created; you are its owner.`)).toBeVisible();
    const people = [] as { ctx: { close(): Promise<void> } }[];
    const join = async (who: string, role: string, name: string) => {
      const p = await inviteAndAccept(page, MAIN_DATA, `${who}-${label}@acme-health.example`, role, name, `${who} passphrase ${label} 2026`);
      people.push(p);
      await p.invitee.setViewportSize(viewport);
      return p.invitee;
    };
    const eng = await join('eng', 'Engineer', `Eng ${label}`);
    const legal = await join('legal', 'Legal', `Legal ${label}`);
    const auditor = await join('aud', 'Auditor (read-only)', `Auditor ${label}`);

    // --- Engineer: adds an app and a service; a service that handles no PHI needs a reason.
    await visit(eng, '/inventory', 'Inventory', `${label}-engineer-inventory`);
    const org = eng.getByRole('form', { name: 'Add or change an org' });
    await org.getByLabel('Org slug').fill(`people-${label}`);
    // What the Compliance Package changes is said live as it is ticked.
    await expect(org.getByText('Without the Compliance Package, BAA-eligible plans: Scale (legacy), Enterprise (legacy).')).toBeVisible();
    await org.getByLabel('Compliance Package').check();
    await expect(org.getByText(/With the Compliance Package ticked, BAA-eligible plans: Pay As You Go, /)).toBeVisible();
    await expect(org.getByText(/Without the Compliance Package/)).toBeHidden();
    await org.getByLabel('Compliance Package').uncheck();
    await org.getByLabel('Fly.io plan').selectOption('scale');
    await org.getByRole('button', { name: 'Save org' }).click();
    await expect(eng.getByText(`Org people-${label} saved.`)).toBeVisible();
    const app = eng.getByRole('form', { name: 'Add an app' });
    await app.getByLabel('App name').fill(`portal-${label}`);
    await app.getByLabel('Regions').fill('iad');
    await app.getByRole('button', { name: 'Save app' }).click();
    await expect(eng.getByText(`App portal-${label} saved.`)).toBeVisible();

    const service = `reports-${label}`;
    let svc = eng.getByRole('form', { name: 'Add a service' });
    await svc.getByLabel('Name').fill(service);
    await svc.getByLabel('Vendor and plan').selectOption('upstash-redis|pay-as-you-go');
    await svc.getByLabel('App', { exact: true }).selectOption(`portal-${label}`);
    await svc.getByLabel('Handles PHI?').selectOption('no');
    await svc.getByLabel('If no: on what basis').selectOption('other');
    await svc.getByRole('button', { name: 'Add service' }).click();
    // Refused on the inventory, in the form it came from, as it was typed.
    svc = eng.getByRole('form', { name: 'Add a service' });
    await expect(svc.getByRole('alert').first()).toContainText('Nothing was saved');
    await expect(svc.getByLabel('Name')).toHaveValue(service);
    await expect(svc.getByLabel('Handles PHI?')).toHaveValue('no');
    await expect(svc.getByLabel('Details (required for another reason)')).toHaveAccessibleDescription(/.+/);
    await look(eng, `${label}-engineer-service-refused`);
    // It handles PHI after all: saved, and told at once that it is not covered.
    await svc.getByLabel('Handles PHI?').selectOption('yes');
    await svc.getByRole('button', { name: 'Add service' }).click();
    const told = eng.getByRole('alert').filter({ hasText: `${service} is saved but not covered.` });
    await expect(told).toContainText('Next step:');
    await look(eng, `${label}-engineer-service-warned`);
    await told.getByRole('link', { name: `Open ${service}` }).click();
    await expect(eng.getByRole('heading', { name: service }).first()).toBeVisible();

    // On its own page, "no PHI" without a reason is refused there, not on the inventory.
    const change = eng.getByRole('form', { name: 'Change this service' });
    await change.getByLabel('Handles PHI?').selectOption('no');
    await change.getByLabel('If no: on what basis').selectOption('other');
    await change.getByRole('button', { name: 'Save change' }).click();
    await expect(eng).toHaveURL(/\/services\//);
    const again = eng.getByRole('form', { name: 'Change this service' });
    await expect(again.getByRole('alert').first()).toContainText('Nothing was saved');
    await expect(again.getByLabel('Handles PHI?')).toHaveValue('no');
    await expect(again.getByLabel('Details (required for another reason)')).toHaveAccessibleDescription(/.+/);
    await look(eng, `${label}-engineer-service-page-refused`);
    await visit(eng, '/import', 'Import', `${label}-engineer-import`);
    await visit(eng, '/notifications', 'Notifications', `${label}-engineer-notifications`);

    // --- Legal: records an agreement, then a clause checklist missing a location is refused
    // row by row, keeping what was typed.
    await visit(legal, '/agreements', 'Agreements', `${label}-legal-agreements`);
    const form = legal.getByRole('form', { name: 'Record an agreement' });
    const title = `Upstash Redis BAA (${label})`;
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Second party').selectOption({ label: 'Upstash Redis' });
    await form.getByLabel('Accounts covered', { exact: false }).fill(`acme-${label}`);
    await form.getByRole('button', { name: 'Record agreement' }).click();
    await expect(legal.getByText(`Agreement recorded. ${title}`)).toBeVisible();
    await legal.getByRole('link', { name: title, exact: true }).click();
    await expect(legal.getByRole('heading', { name: title }).first()).toBeVisible();
    await look(legal, `${label}-legal-agreement`);
    const clauses = legal.getByRole('form', { name: 'Clause checklist' });
    await clauses.getByLabel('A (limits on use and disclosure)', { exact: true }).check();
    await clauses.getByLabel('B (safeguards)', { exact: true }).check();
    await clauses.getByLabel('Where B (safeguards) is found').fill('§ 4.2');
    await clauses.getByRole('button', { name: /Save/ }).click();
    const refused = legal.getByRole('form', { name: 'Clause checklist' });
    await expect(refused.getByLabel('Where A (limits on use and disclosure) is found')).toHaveAccessibleDescription(/is found/);
    await expect(refused.getByLabel('Where B (safeguards) is found')).toHaveValue('§ 4.2');
    await expect(refused.getByLabel('B (safeguards)', { exact: true })).toBeChecked();
    await look(legal, `${label}-legal-clauses-refused`);

    // --- Founder (the owner): the dashboard, coverage over time, and a packet asked for a
    // period that ends before it starts.
    await visit(page, '/', 'Dashboard', `${label}-founder-dashboard`);
    await visit(page, '/coverage/period', 'Coverage over time', `${label}-founder-period`);
    await visit(page, '/vendors', 'Vendors', `${label}-founder-vendors`);
    await visit(page, '/packets', 'Evidence packets', `${label}-founder-packets`);
    const packet = page.getByRole('form', { name: 'Generate an evidence packet' });
    await packet.getByLabel('As of').fill('2026-03-01');
    await packet.getByLabel('Period from (optional)').fill('2026-06-01');
    await packet.getByRole('button', { name: 'Generate packet' }).click();
    // Refused beside the field, with both dates as they were typed.
    const packetAgain = page.getByRole('form', { name: 'Generate an evidence packet' });
    await expect(packetAgain.getByLabel('Period from (optional)')).toHaveValue('2026-06-01');
    await expect(packetAgain.getByLabel('As of')).toHaveValue('2026-03-01');
    await expect(packetAgain.getByLabel('Period from (optional)')).toHaveAccessibleDescription(/must end on or after/);
    await look(page, `${label}-founder-packet-refused`);

    // --- Auditor: reads every page, is offered no change, and a hand-made change is refused.
    for (const [path, heading] of [
      ['/', 'Dashboard'], ['/inventory', 'Inventory'], ['/agreements', 'Agreements'],
      ['/audit', 'Audit trail'], ['/packets', 'Evidence packets'],
    ] as const) {
      await visit(auditor, path, heading, `${label}-auditor-${path.replace(/\W/g, '') || 'dashboard'}`);
    }
    await auditor.goto('/inventory');
    await expect(auditor.getByRole('form', { name: 'Add a service' })).toHaveCount(0);
    await auditor.goto('/agreements');
    await expect(auditor.getByRole('form', { name: 'Record an agreement' })).toHaveCount(0);
    const res = await auditor.request.post('/actions/services/save', {
      form: { name: `sneaky-${label}`, vendor_plan: 'tigris|standard', phi: 'no', phi_basis: 'other', phi_reason: 'none' },
      headers: { origin: MAIN_ORIGIN },
      maxRedirects: 0,
    });
    expect(res.status()).toBe(403);
    await auditor.goto('/inventory');
    await expect(auditor.getByText(`sneaky-${label}`)).toHaveCount(0);

    for (const p of people) await p.ctx.close();
  });
}
