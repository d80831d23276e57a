import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { chunkIngested, fileRejected, productGenerated, shuffled } from '#shared/rules/testing.ts';
import {
  factsOf,
  groupFacts,
  nominalEndOf,
  viewOf,
  type CycleView,
  type EntityView,
  type FileView,
  type ProductView,
} from './logic.ts';

const all = Array.from({ length: 41 }, (_, i) => i + 1);

/** The views the events fold into, by `<kind>#<id>`. */
function project(events: readonly CometEvent[]): Map<string, EntityView> {
  const views = new Map<string, EntityView>();
  for (const [key, { entity, facts }] of groupFacts(events.flatMap(factsOf))) views.set(key, viewOf(entity, facts));
  return views;
}

const delivered = (productId: string, time: string): CometEvent =>
  wrap({
    type: EventTypes.productDelivered,
    source: 'cometflow/deliver',
    correlationId: 'cycle-20261122-061',
    time: new Date(time),
    data: {
      productId,
      productType: 'fci-cycle-statistics',
      distributed: [{ bucket: 'cometflow-distribution', key: `x/${productId}.json` }],
    },
  });

describe('the status projection', () => {
  it('says a cycle with chunks withheld waits for exactly those chunks and a forecast', () => {
    // Prepare
    const events = all.filter((c) => c !== 7 && c !== 21).map((chunk) => chunkIngested({ chunk }));

    // Act
    const cycle = project(events).get('cycle#20261122-061') as CycleView;

    // Assess
    expect(cycle.stage).toBe('collecting');
    expect(cycle.missing).toEqual([7, 21]);
    expect(cycle.waitingFor).toEqual(['chunks 7 and 21', 'a forecast valid for the cycle (the join needs one)']);
    expect(cycle.window).toEqual({ start: '2026-11-22T10:00:00.000Z', end: '2026-11-22T10:10:00.000Z' });
  });

  it('folds the same view whatever the order of the events and however often one is seen', () => {
    // Prepare
    const product = productGenerated();
    const events = [
      ...all.map((chunk) => chunkIngested({ chunk })),
      product,
      delivered(product.data.productId, '2026-11-22T10:16:30.000Z'),
    ];
    const replayed = shuffled([...events, ...events.slice(0, 5)], 7);

    // Act
    const once = project(events);
    const again = project(replayed);

    // Assess
    expect([...again.entries()].sort()).toEqual([...once.entries()].sort());
    expect(once.get('cycle#20261122-061')?.stage).toBe('delivered');
  });

  it("measures a delivered product's timeliness from its cycle's nominal end", () => {
    // Prepare
    const product = productGenerated();

    // Act
    const view = project([product, delivered(product.data.productId, '2026-11-22T10:16:30.000Z')]).get(
      `product#${product.data.productId}`,
    ) as ProductView;

    // Assess
    expect(view.stage).toBe('delivered');
    expect(view.productType).toBe('fci-cycle-statistics');
    // Cycle 61 ends at 10:10:00; delivered at 10:16:30.
    expect(view.timelinessSeconds).toBe(390);
    expect(view.waitingFor).toEqual([]);
  });

  it("keeps a quarantined file's reason as its last error", () => {
    // Prepare
    const rejected = fileRejected({ key: 'eumetsat/not-a-chunk.nc' });

    // Act
    const view = project([rejected]).get('file#eumetsat/not-a-chunk.nc') as FileView;

    // Assess
    expect(view.stage).toBe('quarantined');
    expect(view.lastError).toEqual({ at: rejected.time, code: 'bad-name', reason: rejected.data.reason });
    expect(view.quarantineKey).toBe('eumetsat/not-a-chunk.nc');
  });

  it('tells a file ingested with its archive key', () => {
    // Prepare
    const ingested = chunkIngested({ chunk: 3 });

    // Act
    const view = project([ingested]).get(`file#${ingested.data.source.key}`) as FileView;

    // Assess
    expect(view.stage).toBe('ingested');
    expect(view.archiveKey).toBe(ingested.data.ingested.key);
    expect(view.correlationId).toBe('cycle-20261122-061');
  });

  it('marks a cycle the calendar found missing, until a chunk comes', async () => {
    // Prepare
    const { checkCalendar } = await import('#functions/calendar/logic.ts');
    const { loadCalendar } = await import('#functions/calendar/calendar.ts');
    const missing = (
      await checkCalendar(loadCalendar(), {
        now: () => new Date('2026-11-22T10:15:30Z'),
        hasArrived: async () => false,
        arrivedBetween: async () => true,
      })
    ).find((event) => event.subject === '20261122-061');

    // Act
    const alone = project([missing!]).get('cycle#20261122-061') as CycleView;
    const later = project([missing!, chunkIngested({ chunk: 1 })]).get('cycle#20261122-061') as CycleView;

    // Assess
    expect(alone.stage).toBe('missing');
    expect(alone.lastError).toEqual({
      at: missing!.time,
      code: 'input-missing',
      reason: 'the calendar expected 41 files by 2026-11-22T10:15:00.000Z; none came',
    });
    expect(alone.waitingFor).toEqual(['its 41 files: none came by 2026-11-22T10:15:00.000Z (input.missing)']);
    expect(later.stage).toBe('collecting');
  });

  it('adds nothing for an event stored with a claim-check reference instead of its data', () => {
    const { data: _, ...stored } = chunkIngested({ chunk: 1 });
    expect(factsOf({ ...stored, dataref: 's3://claims/x' } as unknown as CometEvent)).toEqual([]);
  });

  it('places a cycle, a lightning window and a forecast run at their nominal end', () => {
    expect(nominalEndOf('cycle-20261122-061')).toBe('2026-11-22T10:10:00.000Z');
    expect(nominalEndOf('forecast-2026-11-22T06:00:00.000Z')).toBe('2026-11-22T06:00:00.000Z');
    expect(nominalEndOf('li-mti1-li-lfl-20261122101000')).toBe('2026-11-22T10:10:30.000Z');
    expect(nominalEndOf('upload-eumetsat/x')).toBeUndefined();
  });
});
