import { test as base, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

// The automated accessibility check (axe-core) on every page the journeys visit.
//
// Every spec imports `test` from here: an automatic fixture runs axe on each page the test's
// page loads (every navigation, every post/redirect/get answer, error states included), and the
// test fails at its end with the list of violations, each with the page and the elements at
// fault. Pages opened in other browser contexts (an invitee's) are watched with `watchA11y`.
// A check that a navigation interrupts is retried on the next load; a journey that needs one page
// checked for certain calls `expectAccessible`.

/** WCAG 2.1 A and AA, the level the product promises. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export type Violation = { url: string; rule: string; help: string; targets: string[] };

/** The violations on the page as it is now (none for a page that is not HTML). */
export async function violations(page: Page): Promise<Violation[]> {
  const html = await page.evaluate(() => document.contentType === 'text/html').catch(() => false);
  if (!html) return [];
  const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const at = new URL(page.url());
  return results.violations.map((v) => ({
    url: at.pathname + at.search,
    rule: v.id,
    help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
  }));
}

/** Fails now when the page has any violation (after any check already under way). */
export async function expectAccessible(page: Page) {
  const found = current ? await current.check(page) : await violations(page);
  expect(describe(found ?? []), 'accessibility violations (axe-core, WCAG 2.1 AA)').toBe('');
}

function describe(found: Violation[]): string {
  return found.map((v) => `${v.url}: ${v.rule} (${v.help}) at ${v.targets.join(', ')}`).join('\n');
}

/** A check that takes longer than this was stopped by a navigation or a closed page. */
const CHECK_MS = 15_000;

/** What one test's watched pages found. Checks run one at a time (axe refuses to run twice at
 * once in a page). */
export class A11yLog {
  found: Violation[] = [];
  checked = 0;
  private queue: Promise<unknown> = Promise.resolve();

  /** Queues a check of `page` as it is when its turn comes; undefined when it could not run. */
  check(page: Page): Promise<Violation[] | undefined> {
    const run = this.queue.then(async () => {
      if (page.isClosed()) return undefined;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), CHECK_MS); });
      try {
        const v = await Promise.race([violations(page), timeout]);
        if (v) {
          this.checked += 1;
          this.found.push(...v);
        }
        return v;
      } catch {
        // The page went on (a click, a redirect) while it was being checked, or closed.
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    });
    this.queue = run;
    return run;
  }

  watch(page: Page) {
    page.on('load', () => void this.check(page));
  }

  async settle() {
    await this.queue;
  }

  /** One line per distinct violation (rule and page), for the failure message. */
  report(): string {
    const seen = new Set<string>();
    return describe(this.found.filter((v) => {
      const key = `${v.url} ${v.rule}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }));
  }
}

let current: A11yLog | undefined;

/** Watches a page of another browser context (an invitee's) for the running test. */
export function watchA11y(page: Page) {
  current?.watch(page);
}

export const test = base.extend<{ a11y: A11yLog }>({
  a11y: [
    async ({ page }, use, testInfo) => {
      const log = new A11yLog();
      current = log;
      log.watch(page);
      await use(log);
      await log.settle();
      current = undefined;
      testInfo.annotations.push({ type: 'a11y', description: `${log.checked} page loads checked` });
      expect(log.report(), `accessibility violations (axe-core, WCAG 2.1 AA) on ${log.checked} page loads`).toBe('');
    },
    { auto: true },
  ],
});
