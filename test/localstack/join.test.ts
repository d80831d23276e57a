/**
 * The scheduler's join rule on a running stack: one product per repeat cycle from its 41
 * chunks and a forecast, whatever the order, duplicates and concurrency; degraded or abandoned
 * at the deadline; late chunks reported. The local stack runs two scheduler environments
 * concurrently (like two Lambda instances), each taking batches of up to 10 events.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent, type EventData } from '../../events/registry.ts';
import { cycleFiles, deliveredManifests, uploadAll } from './support/cycles.ts';
import { clients, eventsOf, sha256, stack, uniqueCycle, waitFor } from './support/stack.ts';
import { shuffled } from '../../shared/testing/random.ts';

const { s3, documents } = clients();
const { buckets, tables } = stack();

describe('join of a repeat cycle', () => {
  it('yields exactly one product from 41 chunks and a forecast uploaded shuffled, a tenth of them twice, concurrently', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const cycle = cycleFiles(day, repeatCycle);
    const files = [cycle.forecast, ...cycle.chunks];
    const uploads = shuffled([...files, ...files.filter((_, i) => i % 10 === 3)], repeatCycle);

    // Act: eight uploads in flight at a time, so the scheduler sees concurrent batches.
    await uploadAll(s3, buckets.inbox!, uploads, 8);
    const manifests = await deliveredManifests(
      s3,
      documents,
      tables.eventStore!,
      buckets.products!,
      cycle.correlationId,
    );
    await new Promise((r) => setTimeout(r, 3000));

    // Assess
    expect(manifests).toHaveLength(1);
    const [manifest] = manifests as [(typeof manifests)[number]];
    expect(manifest.degraded).toBe(false);
    expect(manifest.inputs).toHaveLength(42);
    const expected = new Map(files.map((f) => [f.key.slice(f.key.indexOf('/') + 1), sha256(f.body)]));
    expect(new Map(manifest.inputs.map((i) => [i.name, i.sha256]))).toEqual(expected);
    expect(
      await eventsOf(documents, tables.eventStore!, cycle.correlationId, EventTypes.processingRequested),
    ).toHaveLength(1);
    expect(
      await eventsOf(documents, tables.eventStore!, cycle.correlationId, EventTypes.productDelivered),
    ).toHaveLength(1);
  });

  it('closes incomplete cycles at their deadline: degraded when 80 % arrived, abandoned below, late chunks reported', async () => {
    // Prepare: two cycles of a past day, so their deadlines are the scheduler's minimum wait
    // after their first chunk. One misses 3 chunks, the other has 10 of 41.
    const { day, repeatCycle } = uniqueCycle();
    const degraded = cycleFiles(day, repeatCycle);
    const other = repeatCycle === 144 ? repeatCycle - 1 : repeatCycle + 1;
    const abandoned = cycleFiles(day, other);
    const missing = [7, 21, 38];
    const held = degraded.chunks.filter((_, i) => missing.includes(i + 1));

    // Act
    await uploadAll(s3, buckets.inbox!, [
      degraded.forecast,
      ...degraded.chunks.filter((c) => !held.includes(c)),
      ...abandoned.chunks.slice(0, 10),
    ]);
    const [manifest] = await deliveredManifests(
      s3,
      documents,
      tables.eventStore!,
      buckets.products!,
      degraded.correlationId,
      240_000,
    );
    const [gaveUp] = await waitFor(
      'cycle.abandoned',
      async () => {
        const events = await eventsOf(
          documents,
          tables.eventStore!,
          abandoned.correlationId,
          EventTypes.cycleAbandoned,
        );
        return events.length > 0 ? (events as CometEvent<typeof EventTypes.cycleAbandoned>[]) : undefined;
      },
      120_000,
    );
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: held[0]!.key, Body: held[0]!.body }));
    const [late] = await waitFor('input.late', async () => {
      const events = await eventsOf(documents, tables.eventStore!, degraded.correlationId, EventTypes.inputLate);
      return events.length > 0 ? (events as CometEvent<typeof EventTypes.inputLate>[]) : undefined;
    });

    // Assess
    expect(manifest!.degraded).toBe(true);
    expect(manifest!.missing).toEqual(missing.map(String));
    expect(manifest!.inputs).toHaveLength(42 - missing.length);
    const abandonedData: EventData<typeof EventTypes.cycleAbandoned> = gaveUp!.data;
    expect(abandonedData.arrivedCount).toBe(10);
    expect(abandonedData.reason).toMatch(/only 10 of 41 inputs arrived/);
    expect(late!.data.slot).toBe(String(missing[0]));
    expect(
      await eventsOf(documents, tables.eventStore!, degraded.correlationId, EventTypes.productDelivered),
    ).toHaveLength(1);
  });
});
