/**
 * The operator console in a real Chromium, against the running stack: the overview lists the
 * stack's stages; a cycle uploaded during the test fills its row and turns delivered; a message
 * poisoned into a dead-letter queue shows there and the redrive button (after confirming) empties
 * it and its product is delivered once; the trace of a withheld chunk shows it missing; requests
 * from another Host or Origin are refused; a key containing `<script>` is shown as text. Page
 * load and update latency are measured and printed (never asserted: they depend on the machine).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventTypes } from '../../events/registry.ts';
import { startConsole, type RunningConsole } from '../../cli/console/server.ts';
import { liWindowOf } from '../../cli/console/views.ts';
import { liCorrelationOf, liStreamOf } from '../../shared/conventions/mtg-li.ts';
import { liFile } from '../../shared/samples/provider-files.ts';
import { launchBrowser, screenshotDir, type Browser } from './support/browser.ts';
import { cycleFiles, uploadAll, type CycleFiles } from './support/cycles.ts';
import { poisonedRequest } from './support/poison.ts';
import { clients, eventsOf, stack, uniqueCycle, waitFor } from './support/stack.ts';

const { s3, sqs, documents } = clients();
const description = stack();
const { buckets, queues, tables } = description;

/** The part of the page's DOM the functions run in the browser use (this file is compiled without the DOM library). */
declare const document: {
  querySelector(selector: string): { readonly textContent: string | null } | null;
  querySelectorAll(selector: string): { readonly length: number };
  readonly documentElement: { readonly dataset: { readonly theme?: string }; readonly scrollWidth: number };
  readonly activeElement: { readonly textContent: string | null } | null;
  readonly body: object;
};
declare function getComputedStyle(element: object): { readonly backgroundColor: string };
declare const innerWidth: number;

/**
 * The WCAG contrast ratio of each element's text against the background it is drawn on (the
 * nearest ancestor's opaque background), for the elements `selector` matches. Run in the page.
 */
const CONTRASTS = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const linear = (v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  const lum = ([r, g, b]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  const background = (e) => {
    for (let n = e; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const selector = 'th, td, caption, p, a, label, .role, .legend span, h1, h2';
  return [...document.querySelectorAll(selector)].filter((e) => e.textContent.trim() !== '' && !e.closest('button'))
    .map((e) => {
      const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))].sort((x, y) => y - x);
      return { text: e.textContent.trim().slice(0, 40), ratio: (a + 0.05) / (b + 0.05) };
    });
})()`;

/** What the tests measured, printed at the end. */
const measured: string[] = [];

let console_: RunningConsole;
let browser: Browser;
let folder: string;
const refused: string[] = [];
let withheld: { cycle: CycleFiles; chunk: number; uploadedAt: number };

/** Resolves to the time (ms since the epoch) the page first matched `selector`, as the page's own clock saw it. */
async function seenAt(page: Page, selector: string, timeoutMs: number): Promise<number> {
  const handle = await page.waitForFunction(
    (s) => {
      const found = document.querySelector(s) !== null;
      return found ? Date.now() : undefined;
    },
    selector,
    { timeout: timeoutMs, polling: 100 },
  );
  return (await handle.jsonValue()) as number;
}

const shot = async (page: Page, name: string): Promise<void> => {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
};

beforeAll(async () => {
  // The console reads the stack the way the CLI does: from a description file (`--stack`).
  folder = mkdtempSync(join(tmpdir(), 'cometflow-console-test-'));
  const file = join(folder, 'stack.json');
  writeFileSync(file, JSON.stringify(description));
  console_ = await startConsole({
    source: { flags: { stack: file }, root: folder, env: process.env },
    liveIntervalMs: 500,
    log: (line) => {
      if (line.includes('refused')) refused.push(line);
    },
  });
  browser = await launchBrowser();
  // A cycle with chunk 7 withheld, uploaded first: its deadline passes while the other tests run.
  const { day, repeatCycle } = uniqueCycle();
  const cycle = cycleFiles(day, repeatCycle);
  withheld = { cycle, chunk: 7, uploadedAt: Date.now() };
  await uploadAll(s3, buckets.inbox!, [cycle.forecast, ...cycle.chunks.filter((_, i) => i + 1 !== 7)]);
  // Its 40 chunks ingested before the other tests load the stack, so that the deadline (60 s
  // after the first chunk) finds only chunk 7 missing. On a loaded machine a chunk may still be
  // ingested after the deadline: it is then late, which the trace test waits out.
  await waitFor(
    "the withheld cycle's 40 chunks ingested",
    async () => {
      const ingested = await eventsOf(documents, tables.eventStore!, cycle.correlationId, EventTypes.fileIngested);
      return ingested.length >= 40 ? ingested : undefined;
    },
    180_000,
  );
});

afterAll(async () => {
  await browser?.close();
  await console_?.close();
  rmSync(folder, { recursive: true, force: true });
  process.stdout.write(`console measurements\n${measured.map((m) => `  ${m}`).join('\n')}\n`);
});

describe('operator console in Chromium', () => {
  it("loads the overview with the stack's stages and lanes", async () => {
    // Prepare
    const page = await browser.context.newPage();
    const expected = Object.keys(queues)
      .filter((role) => !role.endsWith('Dlq'))
      .sort();

    // Act
    const started = Date.now();
    await page.goto(console_.url);
    const shown = await seenAt(page, '[data-testid="stages"] tbody tr', 30_000);
    const navigation = await page.evaluate(
      () =>
        (performance.getEntriesByType('navigation' as never)[0] as unknown as { domContentLoadedEventEnd: number })
          .domContentLoadedEventEnd,
    );

    // Assess
    const roles = await page
      .locator('[data-testid="stages"] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-role')));
    expect([...roles].sort()).toEqual(expected);
    await expect(page.locator('[data-role="eventBus"] th').textContent()).resolves.toContain('scheduler');
    await expect(page.title()).resolves.toBe('cometflow console');
    measured.push(
      `overview: DOMContentLoaded ${navigation.toFixed(0)} ms, ` +
        `stages shown ${shown - started} ms after navigation started`,
    );
    await shot(page, 'console-overview');
    // Text is readable: at least 4.5:1 against its background (WCAG AA), in the light theme and the dark one.
    const light = (await page.evaluate(CONTRASTS)) as { text: string; ratio: number }[];
    expect(light.length).toBeGreaterThan(20);
    expect(light.filter((c) => c.ratio < 4.5)).toEqual([]);
    // The dark theme, chosen in the header, is kept and darkens the page.
    await page.getByLabel('theme').selectOption('dark');
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number) as [number, number, number];
    expect(r + g + b).toBeLessThan(150);
    const dark = (await page.evaluate(CONTRASTS)) as { text: string; ratio: number }[];
    expect(dark.filter((c) => c.ratio < 4.5)).toEqual([]);
    const least = (all: { ratio: number }[]): string => Math.min(...all.map((c) => c.ratio)).toFixed(2);
    measured.push(
      `contrast: least text contrast ${least(light)}:1 light, ${least(dark)}:1 dark (${light.length} texts)`,
    );
    await shot(page, 'console-overview-dark');
    await page.getByLabel('theme').selectOption('system');
    await page.close();
  });

  it('fills a cycle uploaded during the test, chunk by chunk, and turns it delivered', async () => {
    // Prepare
    const page = await browser.context.newPage();
    await page.goto(`${console_.url}#/cycles`);
    await page.waitForSelector('h2#cycles-title');
    const { day, repeatCycle } = uniqueCycle();
    const cycle = cycleFiles(day, repeatCycle);
    const joinKey = cycle.correlationId.slice('cycle-'.length);
    const row = `tr[data-cycle="${joinKey}"]`;

    // Act: half the chunks first, then the rest with the forecast.
    await uploadAll(s3, buckets.inbox!, cycle.chunks.slice(0, 20));
    await page.waitForFunction(
      (r) => document.querySelectorAll(`${r} .cell[data-state="ingested"]`).length >= 10,
      row,
      { timeout: 60_000 },
    );
    await shot(page, 'console-cycles-filling');
    const partly = await page.locator(`${row} .cell[data-state="pending"]`).count();
    await uploadAll(s3, buckets.inbox!, [...cycle.chunks.slice(20), cycle.forecast]);
    const shownDelivered = await seenAt(page, `${row}[data-status="delivered"]`, 120_000);

    // Assess: every chunk and the forecast ingested, delivered, and the page saw it.
    expect(partly).toBeGreaterThan(0);
    const states = await page
      .locator(`${row} .cell`)
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-state')));
    expect(states).toEqual(Array.from({ length: 42 }, () => 'ingested'));
    const [delivered] = await eventsOf(documents, tables.eventStore!, cycle.correlationId, EventTypes.productDelivered);
    expect(delivered).toBeDefined();
    // It fits a 1366 px laptop screen: no horizontal scrolling.
    const [pageWidth, viewport] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
    expect(viewport).toBe(1366);
    expect(pageWidth).toBeLessThanOrEqual(viewport!);
    // Update latency: from the time the delivery event carries to the page showing it.
    measured.push(
      `cycles: delivered shown ${shownDelivered - Date.parse(delivered!.time)} ms after product.delivered's time`,
    );
    await shot(page, 'console-cycles');
    await page.close();
  });

  it('shows at the top of the overview the input.missing the calendar raised for a cycle never sent', async () => {
    // Prepare: the latest FCI cycle of today whose end plus the calendar's grace has passed; nothing sends it.
    const { loadCalendar } = await import('../../functions/calendar/calendar.ts');
    const { dueWindows } = await import('../../functions/calendar/logic.ts');
    const calendar = loadCalendar();
    const fci = calendar.cycles.find((c) => c.name === 'fci-cycles')!;
    const due = dueWindows(fci, new Date(), calendar.lookbackMinutes).at(-1)!;
    const page = await browser.context.newPage();
    const openedAt = Date.now();
    await page.goto(console_.url);

    // Act: the check runs every minute.
    const [missing] = await waitFor(
      `input.missing of cycle ${due.id}`,
      async () => {
        const events = await eventsOf(documents, tables.eventStore!, `cycle-${due.id}`, EventTypes.inputMissing);
        return events.length > 0 ? events : undefined;
      },
      150_000,
    );
    const link = `[data-testid="alerts"] li[data-kind="input.missing"] a[data-subject="${due.id}"]`;
    const shownAt = await seenAt(page, link, 60_000);

    // Assess: the alert names the cycle, links to its trace, and sits above the stage table.
    const alert = page.locator('[data-testid="alerts"] li[data-kind="input.missing"]');
    await expect(alert.textContent()).resolves.toMatch(/input\(s\) missing today; latest /);
    await expect(alert.textContent()).resolves.toContain(due.id);
    const [alerts, stages] = await Promise.all([
      page.getByTestId('alerts').boundingBox(),
      page.getByTestId('stages').boundingBox(),
    ]);
    expect(alerts!.y).toBeLessThan(stages!.y);
    await page.locator(link).click();
    await page
      .getByTestId('trace-state')
      .filter({ hasText: /^missing$/ })
      .waitFor({ timeout: 30_000 });
    // The event may be older than the page (the check ran before the test): count from whichever came later.
    const from = Math.max(Date.parse(missing!.time), openedAt);
    measured.push(
      `alerts: input.missing of ${due.id} shown ${shownAt - from} ms after its time or the page's opening, the later`,
    );
    await page.goto(console_.url);
    await page.locator(link).waitFor();
    await shot(page, 'console-alerts');
    await page.close();
  });

  it("draws a lightning stream's 30 s windows as a strip and turns each delivered as its product is", async () => {
    // Prepare: the three windows before now, on a stream no other test uses (a stream's head only moves forward).
    const page = await browser.context.newPage();
    await page.goto(`${console_.url}#/cycles`);
    await page.getByTestId('lightning').or(page.getByText('No lightning (LI) window')).first().waitFor();
    const satellite = 'MTI2';
    const stream = liStreamOf(satellite, 'AFA');
    const last = Math.floor(Date.now() / 30_000) * 30_000 - 30_000;
    const windows = [last - 60_000, last - 30_000, last].map((start) => {
      const file = liFile('AFA', new Date(start), 4096, satellite);
      const correlationId = liCorrelationOf({ stream, sensingStart: new Date(start).toISOString() });
      return { file, correlationId, at: liWindowOf(correlationId)! };
    });
    const cell = (w: (typeof windows)[number], state: string): string =>
      `tr[data-stream="${stream}"][data-cycle="${w.at.cycleId}"] .cell[data-window="${w.at.count}"][data-state="${state}"]`;

    // Act
    await uploadAll(
      s3,
      buckets.inbox!,
      windows.map((w) => w.file),
    );
    const shown = [];
    for (const w of windows) shown.push(await seenAt(page, cell(w, 'delivered'), 120_000));

    // Assess: each window's cell is its product, delivered once; the other windows of the strip are not.
    for (const w of windows) {
      const delivered = await eventsOf(documents, tables.eventStore!, w.correlationId, EventTypes.productDelivered);
      expect(delivered).toHaveLength(1);
    }
    const strip = `tr[data-stream="${stream}"][data-cycle="${windows.at(-1)!.at.cycleId}"] .cell`;
    const states = await page.locator(strip).evaluateAll((cells) => cells.map((c) => c.getAttribute('data-state')));
    expect(states).toHaveLength(20);
    expect(states[windows.at(-1)!.at.count - 1]).toBe('delivered');
    const [lastDelivered] = await eventsOf(
      documents,
      tables.eventStore!,
      windows.at(-1)!.correlationId,
      EventTypes.productDelivered,
    );
    measured.push(
      `lightning: window ${windows.at(-1)!.at.count} shown delivered ${shown.at(-1)! - Date.parse(lastDelivered!.time)} ms ` +
        "after product.delivered's time",
    );
    await shot(page, 'console-lightning');
    await page.close();
  });

  it('shows poisoned messages in their DLQ, reruns one after a dry run and redrives the rest once confirmed; each product is delivered once', async () => {
    // Prepare: two processing requests whose input is not in the archive yet fail on every receive.
    const poisoned = (index: number) => poisonedRequest(buckets.archive!, `console-poison${index}`);
    const [rerun, redriven] = [poisoned(1), poisoned(2)];
    const page = await browser.context.newPage();
    await page.goto(`${console_.url}#/failures`);
    const cell = page.getByTestId('dead-letters').getByTestId('dlq-processDlq');
    // A stack shared with other runs may already hold dead letters here: count from what is there.
    const before = Number(await cell.textContent());
    const held = (count: number) =>
      page.waitForFunction(
        (n) => document.querySelector('[data-testid="dead-letters"] [data-testid="dlq-processDlq"]')?.textContent === n,
        String(count),
        { timeout: 120_000 },
      );

    // Act 1: poison both, wait for the DLQ on the page, fix the causes.
    for (const p of [rerun, redriven])
      await sqs.send(new SendMessageCommand({ QueueUrl: queues.process, MessageBody: JSON.stringify(p.command) }));
    await held(before + 2);
    await shot(page, 'console-dead-letters');
    for (const p of [rerun, redriven])
      await s3.send(new PutObjectCommand({ Bucket: p.input.bucket, Key: p.input.key, Body: p.body }));

    // Act 2: the failure of the first, as `failures` lists it; a dry run of its rerun, then the rerun.
    const records = page.getByTestId('failure-records');
    await records.getByLabel('concerning').fill(rerun.correlationId);
    await records.getByRole('button', { name: 'Show failures' }).click();
    const row = records.locator('[data-testid="failure-list"] tbody tr');
    await row.first().waitFor({ timeout: 30_000 });
    await expect(row.count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toContain('in processDlq');
    await row.getByRole('checkbox').check();
    await records.getByRole('button', { name: 'Rerun 1 selected: dry run' }).click();
    const plan = page.getByTestId('rerun-plan');
    await plan.waitFor({ timeout: 30_000 });
    await expect(plan.textContent()).resolves.toMatch(/would rerun\s+processDlq/);
    await expect(plan.textContent()).resolves.toContain('dry run: 1 would be moved back to their queues, 0 refused');
    await shot(page, 'console-rerun-dry-run');
    // The dry run moved nothing.
    await expect(cell.textContent()).resolves.toBe(String(before + 2));
    await plan.getByRole('button', { name: 'Rerun 1' }).click();
    await page.getByTestId('confirm').getByRole('button', { name: 'Rerun' }).click();
    await page.getByTestId('rerun-result').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('rerun-result').textContent()).resolves.toContain(
      'moved 1 message(s) back to their queues, 0 refused',
    );
    await held(before + 1);

    // Act 3: the rest redriven from the DLQ's button. Cancelled with Escape first: nothing moves.
    const dlqRow = page.locator('[data-testid="dead-letters"] tr[data-role="processDlq"]');
    const button = dlqRow.getByRole('button', { name: 'Redrive processDlq to process' });
    await button.click();
    const dialog = page.getByTestId('confirm');
    await expect(dialog.textContent()).resolves.toContain(
      `Move the ${before + 1} message(s) in processDlq back to process?`,
    );
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await new Promise((r) => setTimeout(r, 1500));
    await expect(dlqRow.getByTestId('dlq-processDlq').textContent()).resolves.toBe(String(before + 1));
    // Confirmed from the keyboard: the dialog opens on Cancel, Tab reaches Redrive.
    await button.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    // The dialog is opened modal by an effect after it renders: wait for focus to land in it.
    await page
      .waitForFunction(() => document.activeElement?.textContent !== 'Redrive', undefined, { timeout: 5000 })
      .catch(() => undefined);
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Cancel');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dlqRow.getByRole('status').waitFor({ timeout: 30_000 });

    // Assess
    await expect(dlqRow.getByRole('status').textContent()).resolves.toContain(
      `moved ${before + 1} message(s) from processDlq back to process`,
    );
    await held(0);
    for (const p of [rerun, redriven]) {
      await waitFor(
        `product.delivered of ${p.correlationId}`,
        async () => {
          const events = await eventsOf(documents, tables.eventStore!, p.correlationId, EventTypes.productDelivered);
          return events.length > 0 ? events : undefined;
        },
        120_000,
      );
    }
    await new Promise((r) => setTimeout(r, 3000));
    for (const p of [rerun, redriven]) {
      expect(await eventsOf(documents, tables.eventStore!, p.correlationId, EventTypes.productGenerated)).toHaveLength(
        1,
      );
      expect(await eventsOf(documents, tables.eventStore!, p.correlationId, EventTypes.productDelivered)).toHaveLength(
        1,
      );
    }
    await page.close();
  });

  it('reconciles today when asked and finds an object planted only in the archive, filtered by its check', async () => {
    // Prepare
    const planted = `console-reconcile/${randomBytes(6).toString('hex')}/planted.nc`;
    await s3.send(new PutObjectCommand({ Bucket: buckets.archive!, Key: planted, Body: 'planted' }));
    const page = await browser.context.newPage();
    try {
      // Act
      await page.goto(`${console_.url}#/reconcile`);
      // No grace: the object was planted a moment ago, within the default grace of what is in flight.
      await page.getByLabel('grace (s)').fill('0');
      await page.getByRole('button', { name: 'Reconcile' }).click();
      await page.getByTestId('reconcile').waitFor({ timeout: 120_000 });
      await page.getByLabel('check').selectOption('only-in-archive');

      // Assess
      await expect(page.getByTestId('reconcile-verdict').textContent()).resolves.toMatch(/inconsistenc/);
      const rows = page.locator('[data-testid="findings"] tbody tr');
      const checks = await rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-check')));
      expect(new Set(checks)).toEqual(new Set(['only-in-archive']));
      await expect(rows.filter({ hasText: planted }).count()).resolves.toBe(1);
      await shot(page, 'console-reconcile');
    } finally {
      await page.close();
      await s3.send(new DeleteObjectCommand({ Bucket: buckets.archive!, Key: planted }));
    }
  });

  it('traces a withheld chunk: waiting for it, then missing once the deadline closed the cycle', async () => {
    // Prepare
    const page = await browser.context.newPage();
    const key = withheld.cycle.chunks[withheld.chunk - 1]!.key;
    const joinKey = withheld.cycle.correlationId.slice('cycle-'.length);

    // Act: trace the key that never came, typed into the search as an operator would.
    await page.goto(`${console_.url}#/trace`);
    await page.getByLabel('Inbox key, file name, cycle id or product id').fill(key);
    await page.getByRole('button', { name: 'Trace' }).click();
    await page.getByTestId('trace').waitFor({ timeout: 30_000 });
    const missingAt = await seenAt(page, '[data-testid="file-state"][data-state="missing"]', 240_000);
    // Settled: no slot but the withheld one without its chunk (one ingested after the close turns late).
    await page
      .waitForFunction(
        () =>
          document.querySelectorAll('[data-testid="trace"] .cell[data-state="missing"]:not([data-slot])').length < 2,
        undefined,
        { timeout: 120_000, polling: 250 },
      )
      .catch(() => undefined);

    // Assess
    await expect(page.getByTestId('why').textContent()).resolves.toContain(
      `this file never arrived; it is chunk ${withheld.chunk} of cycle ${joinKey}: missing`,
    );
    const cells = await page
      .locator('[data-testid="trace"] .cell[data-state]:not([data-slot])')
      .evaluateAll((c) => c.map((e) => e.getAttribute('data-state')));
    expect(cells).toHaveLength(41);
    expect(cells.flatMap((state, i) => (state === 'missing' ? [i + 1] : []))).toEqual([withheld.chunk]);
    measured.push(
      `trace: chunk ${withheld.chunk} shown missing ` +
        `${((missingAt - withheld.uploadedAt) / 1000).toFixed(1)} s after its cycle's upload began`,
    );
    await shot(page, 'console-trace');

    // A cycle of the same day that never had a file: not found, with the day's known cycles suggested.
    const [day, number] = joinKey.split('-') as [string, string];
    const unknown = `${day}-${String((Number(number) % 144) + 1).padStart(3, '0')}`;
    await page.getByLabel('Inbox key, file name, cycle id or product id').fill(unknown);
    await page.getByRole('button', { name: 'Trace' }).click();
    await page.getByTestId('not-found').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('not-found').textContent()).resolves.toContain(`no cycle "${unknown}"`);
    await expect(page.getByTestId('not-found').getByRole('link').allTextContents()).resolves.toContain(joinKey);
    await page.close();
  });

  it('refuses requests whose Host or Origin is not its own', async () => {
    // Prepare
    const raw = (method: string, path: string, headers: Record<string, string>): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: console_.port, method, path, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(method === 'POST' ? JSON.stringify({ queue: 'processDlq', confirm: 'processDlq' }) : undefined);
      });
    const own = `127.0.0.1:${console_.port}`;

    // Act
    const rebound = await raw('GET', '/api/overview', { host: `rebind.example:${console_.port}` });
    const crossSite = await raw('POST', '/api/redrive', {
      host: own,
      origin: 'http://evil.example',
      'content-type': 'application/json',
    });
    const noOrigin = await raw('POST', '/api/redrive', { host: own, 'content-type': 'application/json' });
    const formPost = await raw('POST', '/api/redrive', {
      host: own,
      origin: `http://${own}`,
      'content-type': 'text/plain',
    });
    // A page of another origin tries it from the browser, as a form-like request needing no preflight.
    const other = createServer((_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>other site</title>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
    const otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const page = await browser.context.newPage();
    await page.goto(`${otherOrigin}/`);
    const fromPage = await page.evaluate(async (url) => {
      try {
        const response = await fetch(`${url}api/redrive`, {
          method: 'POST',
          mode: 'no-cors',
          body: '{"queue":"processDlq","confirm":"processDlq"}',
        });
        return response.type;
      } catch (error) {
        // Cross-Origin-Resource-Policy: the browser withholds even the opaque answer from the other page.
        return (error as Error).name;
      }
    }, console_.url);
    await page.close();
    other.close();

    // Assess
    expect(rebound).toBe(421);
    expect(crossSite).toBe(403);
    expect(noOrigin).toBe(403);
    expect(formPost).toBe(415);
    // The other page learns nothing (the browser blocks the answer), and the console refused the request by its Origin.
    expect(fromPage).toBe('TypeError');
    expect(refused.some((line) => line.includes(`Origin "${otherOrigin}" is not this console`))).toBe(true);
    expect(refused.filter((line) => line.includes('POST /api/redrive'))).toHaveLength(4);
  });

  it('shows a key containing <script> as text, never as markup', async () => {
    // Prepare: intake rejects the name; its failure carries the key.
    const tag = randomBytes(4).toString('hex');
    const key = `eumetsat/<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">-${tag}.nc`;
    const page = await browser.context.newPage();

    // Act
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: key, Body: Buffer.alloc(2048, 1) }));
    await page.goto(`${console_.url}#/failures`);
    await page.getByLabel('contains').fill(tag);
    const cell = page.locator('[data-testid="failures"] td.key', { hasText: tag });
    await cell.waitFor({ timeout: 60_000 });
    await page.goto(`${console_.url}#/trace?${new URLSearchParams({ q: key }).toString()}`);
    await page.getByTestId('trace').waitFor({ timeout: 30_000 });

    // Assess: the key is the text of the trace's subject; no script or image came of it.
    await expect(page.getByTestId('trace-state').textContent()).resolves.toBe('quarantined');
    const subjects = await page.locator('[data-testid="trace"] .subject').allTextContents();
    expect(subjects).toContain(key);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1);
    await page.close();
  });
});
