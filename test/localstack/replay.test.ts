/**
 * Replay of a cycle on a running stack, through the CLI's own functions: a dry run prints the
 * decisions and sends nothing; a real replay of a cycle that already produced its product
 * yields no second product; the cycle's read model, folded from the store, tells the same story.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '../../events/registry.ts';
import { factsOf, groupFacts, viewOf, type CycleView } from '../../functions/projector/logic.ts';
import { queueDepth, type QueueDepth } from '../../cli/dlq.ts';
import { runReplay, type CliContext } from '../../cli/replay.ts';
import { clientsFor, destroyClients } from '../../cli/stack.ts';
import { cycleFiles, deliveredManifests, uploadAll } from './support/cycles.ts';
import { clients, eventsOf, stack, uniqueCycle, waitFor } from './support/stack.ts';

const { s3, sqs, documents } = clients();
const description = stack();
const { buckets, queues, tables } = description;
const { day, repeatCycle } = uniqueCycle();
const cycle = cycleFiles(day, repeatCycle);
const { correlationId } = cycle;

/** The CLI's clients, counting the SendMessage calls they make. */
const cli = clientsFor({ description, sdkCredentials: false });
let sendMessages = 0;
cli.sqs.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'SendMessageCommand') sendMessages += 1;
    return next(args);
  },
  { step: 'initialize', name: 'countSendMessage' },
);

const context = (lines: string[]): CliContext => ({
  description,
  clients: cli,
  print: (line) => {
    lines.push(line);
  },
});
const total = (depth: QueueDepth): number => depth.visible + depth.inFlight + depth.delayed;
const ofType = (events: readonly CometEvent[], type: string): CometEvent[] => events.filter((e) => e.type === type);

async function manifestKeys(productType: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: buckets.products,
        Prefix: `${productType}/${correlationId}/`,
        ContinuationToken: token,
      }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key!).filter((key) => key.endsWith('.manifest.json')));
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return keys;
}

describe('replay of a cycle that produced its product', () => {
  beforeAll(async () => {
    // A whole cycle and its forecast, then its product; then its deadline timer, so that nothing
    // of this cycle is left in flight on the event bus.
    await uploadAll(s3, buckets.inbox!, [cycle.forecast, ...cycle.chunks]);
    await deliveredManifests(s3, documents, tables.eventStore!, buckets.products!, correlationId);
    await waitFor(
      `deadline.reached in ${correlationId}`,
      async () => {
        const timers = await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.deadlineReached);
        return timers.length > 0 ? timers : undefined;
      },
      150_000,
    );
  });

  afterAll(() => destroyClients(cli));

  it('prints the decisions of a dry run, one processing request with 42 inputs, and sends nothing', async () => {
    // Prepare
    const lines: string[] = [];
    const storedBefore = await eventsOf(documents, tables.eventStore!, correlationId);
    const busBefore = await queueDepth(sqs, queues.eventBus!);
    const sendsBefore = sendMessages;

    // Act
    const summary = await runReplay(
      { selection: { kind: 'correlation', correlationId }, dryRun: true, rate: 20 },
      context(lines),
    );

    // Assess
    const processing = lines.filter((line) => line.includes(`command  ${EventTypes.processingRequested} -> `));
    expect(processing).toHaveLength(1);
    expect(processing[0]).toMatch(/ inputs 42 {2}complete /);
    expect(processing[0]).toMatch(/\[already in the store\]$/);
    expect(lines.filter((line) => line.includes(`command  ${EventTypes.ingestRequested} -> ingest `))).toHaveLength(41);
    expect(lines.filter((line) => line.includes(`command  ${EventTypes.deliveryRequested} -> deliver `))).toHaveLength(
      1,
    );
    expect(lines.some((line) => / abandon | late /.test(line))).toBe(false);
    expect(lines.at(-1)).toBe('DRY RUN: nothing was sent');
    expect(summary.sent).toBe(0);
    expect(summary.selected.map((e) => e.type)).not.toContain(EventTypes.processingRequested);
    expect(sendMessages).toBe(sendsBefore);
    expect(total(await queueDepth(sqs, queues.eventBus!))).toBe(total(busBefore));
    expect((await eventsOf(documents, tables.eventStore!, correlationId)).map((e) => e.id)).toEqual(
      storedBefore.map((e) => e.id),
    );
  });

  it('replays the cycle into the event bus without a second product or delivery', async () => {
    // Prepare
    const lines: string[] = [];
    const storedBefore = await eventsOf(documents, tables.eventStore!, correlationId);
    const dlqBefore = await queueDepth(sqs, queues.eventBusDlq!);
    const sendsBefore = sendMessages;

    // Act: a high cap; then wait for the bus to drain and the store to hold still.
    const summary = await runReplay(
      { selection: { kind: 'correlation', correlationId }, dryRun: false, rate: 500 },
      context(lines),
    );
    await waitFor(
      'the event bus to drain',
      async () => {
        const depth = await queueDepth(sqs, queues.eventBus!);
        return depth.visible + depth.inFlight === 0 ? depth : undefined;
      },
      120_000,
    );
    let previous = -1;
    const stored = await waitFor(
      'the event store to hold still',
      async () => {
        await new Promise((r) => setTimeout(r, 1500));
        const events = await eventsOf(documents, tables.eventStore!, correlationId);
        const settled = events.length === previous;
        previous = events.length;
        return settled ? events : undefined;
      },
      60_000,
    );

    // Assess
    expect(summary.sent).toBe(summary.selected.length);
    expect(summary.selected.length).toBe(41 + 41 + 1 + 1);
    expect(sendMessages - sendsBefore).toBe(summary.selected.length);
    expect(lines.at(-1)).toMatch(new RegExp(`^replayed ${summary.selected.length} events in `));
    expect(ofType(stored, EventTypes.processingRequested)).toHaveLength(1);
    const generated = ofType(stored, EventTypes.productGenerated) as CometEvent<typeof EventTypes.productGenerated>[];
    expect(generated).toHaveLength(1);
    expect(ofType(stored, EventTypes.productDelivered)).toHaveLength(1);
    expect(stored.map((e) => e.id)).toEqual(storedBefore.map((e) => e.id));
    expect(await manifestKeys(generated[0]!.data.productType)).toEqual([generated[0]!.data.manifest.key]);
    expect(total(await queueDepth(sqs, queues.eventBusDlq!))).toBe(total(dlqBefore));
  });

  it("folds the stored events into the read model's view: 41 chunks, none missing, fired in full", async () => {
    // Prepare
    const stored = await eventsOf(documents, tables.eventStore!, correlationId);
    const joinKey = correlationId.replace(/^cycle-/, '');

    // Act: the projector's fold, as `rebuild-status` runs it over the store.
    const { facts } = groupFacts(stored.flatMap(factsOf)).get(`cycle#${joinKey}`)!;
    const view = viewOf({ kind: 'cycle', id: joinKey }, facts) as CycleView;

    // Assess
    expect(view.id).toBe(joinKey);
    expect(view.ingested).toHaveLength(41);
    expect(view.missing).toEqual([]);
    expect(view.fired).toMatchObject({ inputs: 42, degraded: false, missing: [] });
    expect(view.abandoned).toBeUndefined();
    expect(view.late).toEqual([]);
    expect(view.fired?.references).toEqual([cycle.forecast.key.slice(cycle.forecast.key.indexOf('/') + 1)]);
    expect(view.productIds).toHaveLength(1);
    expect(view.stage).toBe('delivered');
  });
});
