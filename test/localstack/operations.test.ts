/**
 * The operator's view of a running stack, through the CLI's own entry point (`main`) on the
 * stack's description: the status read model that the projector keeps from the event store's
 * stream, `trace` saying what a cycle waits for, `rebuild-status` reproducing the read model,
 * and a trace of an unknown key suggesting the nearest one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/cometflow.ts';
import type { Trace, NotFound } from '../../cli/trace.ts';
import type { EntityView } from '../../functions/projector/logic.ts';
import { cycleFiles, uploadAll } from './support/cycles.ts';
import { clients, eventsOf, stack, uniqueCycle, waitFor } from './support/stack.ts';
import { EventTypes } from '../../events/registry.ts';

const { s3, documents } = clients();
const description = stack();
const stackFile = join(mkdtempSync(join(tmpdir(), 'cometflow-ops-')), 'stack.json');
writeFileSync(stackFile, JSON.stringify(description));

/** Runs the CLI against the stack under test; resolves to its exit code and output. */
async function cometflow(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    [...argv, '--stack', stackFile],
    {
      print: (l) => {
        out.push(l);
      },
      error: (l) => {
        err.push(l);
      },
    },
    process.env,
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const traceOf = async (what: string): Promise<Trace | NotFound> =>
  JSON.parse((await cometflow('trace', what, '--json')).out) as Trace | NotFound;

/** Every view of the status table whose key starts with one of `prefixes`, by key. */
async function viewsUnder(prefixes: readonly string[]): Promise<Map<string, EntityView>> {
  const views = new Map<string, EntityView>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: description.tables.status, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) {
      if (prefixes.some((p) => (item.pk as string).startsWith(p)) && item.view !== undefined)
        views.set(item.pk as string, item.view as EntityView);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return views;
}

describe('operations', () => {
  it('traces a cycle with chunks withheld as waiting for exactly those, then delivered; rebuild-status reproduces its views', async () => {
    // Prepare: a cycle of a past day without chunks 7 and 21; its deadline is the scheduler's
    // minimum wait after the first chunk, so the trace is read before it closes.
    const { day, repeatCycle } = uniqueCycle();
    const cycle = cycleFiles(day, repeatCycle);
    const cycleId = cycle.correlationId.replace(/^cycle-/, '');
    const withheld = [7, 21];

    // Act
    await uploadAll(s3, description.buckets.inbox!, [
      cycle.forecast,
      ...cycle.chunks.filter((_, i) => !withheld.includes(i + 1)),
    ]);
    const collecting = await waitFor("the cycle's 39 chunks in the read model", async () => {
      const trace = await traceOf(cycleId);
      return trace.found && trace.view.kind === 'cycle' && trace.view.ingested.length === 39 ? trace : undefined;
    });
    const fileTrace = await traceOf(cycle.chunks[0]!.key);
    const delivered = await waitFor(
      'the degraded cycle delivered',
      async () => {
        const trace = await traceOf(cycleId);
        return trace.found && trace.view.stage === 'delivered' ? trace : undefined;
      },
      240_000,
    );

    // Assess
    expect(collecting.found && collecting.view.stage).toBe('collecting');
    expect(collecting.found && collecting.why).toEqual(['waiting for chunks 7 and 21']);
    expect(fileTrace.found && fileTrace.view.stage).toBe('ingested');
    expect(fileTrace.found && fileTrace.why).toEqual([
      `its cycle ${cycleId} is collecting, waiting for chunks 7 and 21`,
    ]);
    expect(delivered.found && delivered.view.kind === 'cycle' && delivered.view.fired?.degraded).toBe(true);
    expect(delivered.found && delivered.why).toEqual([]);

    // Act: rebuild from the event store and read the views of this cycle again.
    const [productId] = delivered.found && delivered.view.kind === 'cycle' ? delivered.view.productIds : [];
    const prefixes = [
      `cycle#${cycleId}`,
      `product#${productId}`,
      ...cycle.chunks.map((c) => `file#${c.key}`),
      `file#${cycle.forecast.key}`,
    ];
    await waitFor('the product delivered in the read model', async () =>
      (await viewsUnder([`product#${productId}`])).get(`product#${productId}`)?.stage === 'delivered'
        ? true
        : undefined,
    );
    const before = await viewsUnder(prefixes);
    const rebuilt = await cometflow('rebuild-status', '--json');
    const after = await viewsUnder(prefixes);

    // Assess
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(rebuilt.out).events).toBeGreaterThan(0);
    expect(before.size).toBe(1 + 1 + 39 + 1);
    expect(after).toEqual(before);
  });

  it('says an unknown cycle is unknown and suggests the nearest known one, exiting 1', async () => {
    // Prepare: one chunk of a cycle, so the day has a known cycle.
    const { day, repeatCycle } = uniqueCycle();
    const cycle = cycleFiles(day, repeatCycle === 144 ? 143 : repeatCycle);
    const cycleId = cycle.correlationId.replace(/^cycle-/, '');
    await uploadAll(s3, description.buckets.inbox!, [cycle.chunks[0]!]);
    await waitFor('the cycle in the read model', async () => ((await traceOf(cycleId)).found ? true : undefined));
    const unknown = `${cycleId.slice(0, 9)}${String(Number(cycleId.slice(9)) + 1).padStart(3, '0')}`;

    // Act
    const result = await cometflow('trace', unknown);

    // Assess
    expect(result.code).toBe(1);
    expect(result.out).toContain(`no cycle "${unknown}" in the status read model`);
    expect(result.out).toContain(`did you mean: ${cycleId}`);
  });

  it('raises input.missing for a cycle of today never sent, at its due time, and traces the cycle as missing', async () => {
    // Prepare: the latest FCI cycle whose end plus the calendar's grace has passed.
    const { loadCalendar } = await import('../../functions/calendar/calendar.ts');
    const { dueWindows } = await import('../../functions/calendar/logic.ts');
    const calendar = loadCalendar();
    const fci = calendar.cycles.find((c) => c.name === 'fci-cycles')!;
    const window = dueWindows(fci, new Date(), calendar.lookbackMinutes).at(-1)!;

    // Act: the check runs every minute.
    const [missing] = await waitFor(
      'input.missing of the cycle',
      async () => {
        const events = await eventsOf(
          documents,
          description.tables.eventStore!,
          `cycle-${window.id}`,
          EventTypes.inputMissing,
        );
        return events.length > 0 ? events : undefined;
      },
      150_000,
    );
    const trace = await waitFor('the missing cycle in the read model', async () => {
      const found = await traceOf(window.id);
      return found.found && found.view.stage === 'missing' ? found : undefined;
    });
    const status = await cometflow('status', '--json');

    // Assess
    expect(missing!.data).toMatchObject({
      expectation: 'fci-cycles',
      expected: window.id,
      expectedFiles: 41,
      dueAt: window.dueAt,
    });
    expect(Date.parse(missing!.time)).toBeGreaterThanOrEqual(Date.parse(window.dueAt));
    expect(trace.found && trace.why[0]).toBe(
      `input-missing: the calendar expected 41 files by ${window.dueAt}; none came`,
    );
    expect(JSON.parse(status.out).alerts).toContainEqual(
      expect.objectContaining({ type: 'input.missing', subject: window.id }),
    );
  });
});
