import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { samplesOf } from '#events/catalog.ts';
import { loadPipelineRules } from '#functions/scheduler/rule-set.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { chunkIngested, forecastIngested, productGenerated } from '#shared/rules/testing.ts';
import { completeJoin, type CollectedInput } from '#shared/rules/index.ts';
import { factsOf, groupFacts, ranges, viewOf, type CycleView } from '#functions/projector/logic.ts';
import { cycleCorrelation, deliveredAt, formatCycle } from './cycle.ts';

const ruleSet = loadPipelineRules();
const forecast = forecastIngested({ validTime: '2026-11-22T12:00:00.000Z' });
const chunks = (slots: readonly number[]): CometEvent<typeof EventTypes.fileIngested>[] =>
  slots.map((chunk) => chunkIngested({ chunk }));
const all = Array.from({ length: 41 }, (_, i) => i + 1);

/** The processing request the join rule builds for these chunks (and the forecast). */
function processingFor(
  ingested: readonly CometEvent<typeof EventTypes.fileIngested>[],
  mode: 'complete' | 'deadline',
): CometEvent {
  const collected: CollectedInput[] = ingested.map((e) => ({
    slot: String('chunk' in e.data.attributes ? e.data.attributes.chunk : 0),
    name: e.data.name,
    ...e.data.ingested,
  }));
  const decision = completeJoin(
    ruleSet,
    'join-fci-cycle',
    {
      joinKey: '20261122-061',
      windowStart: '2026-11-22T10:00:00.000Z',
      windowEnd: '2026-11-22T10:10:00.000Z',
      correlationId: 'cycle-20261122-061',
      collected,
      references: { forecast: { ...forecast.data.ingested, name: forecast.data.name } },
    },
    { id: 'cause', correlationid: 'cycle-20261122-061', time: '2026-11-22T10:15:00.000Z' },
    mode,
  );
  if (decision.kind !== 'fire') throw new Error(`expected the join to fire; it decided ${decision.kind}`);
  return decision.command;
}

const delivered = (productId: string): CometEvent =>
  wrap({
    type: EventTypes.productDelivered,
    source: 'cometflow/deliver',
    correlationId: 'cycle-20261122-061',
    time: new Date('2026-11-22T10:16:30.000Z'),
    data: {
      productId,
      productType: 'fci-cycle-statistics',
      distributed: [{ bucket: 'cometflow-distribution', key: `fci-cycle-statistics/${productId}.json` }],
    },
  });

/** The read model's fold of a cycle's events (what the projector stores and `rebuild-status` recomputes). */
function fold(events: readonly CometEvent[], id = '20261122-061'): CycleView {
  const group = groupFacts(events.flatMap(factsOf)).get(`cycle#${id}`);
  return viewOf({ kind: 'cycle', id }, group?.facts ?? {}) as CycleView;
}

describe("a cycle's read model (the projector's fold, which `cycle` prints)", () => {
  it('tells a complete cycle: 41 chunks, none missing, fired in full with the forecast, its product delivered', () => {
    // Prepare
    const product = productGenerated();
    const events = [delivered(product.data.productId), product, processingFor(chunks(all), 'complete'), ...chunks(all)];

    // Act
    const view = fold(events);

    // Assess
    expect(view).toMatchObject({
      id: '20261122-061',
      stage: 'delivered',
      window: { start: '2026-11-22T10:00:00.000Z', end: '2026-11-22T10:10:00.000Z' },
      missing: [],
      duplicates: [],
      late: [],
      fired: { inputs: 42, degraded: false, missing: [], references: [forecast.data.name] },
      productIds: [product.data.productId],
    });
    expect(deliveredAt(view)).toBe('2026-11-22T10:16:30.000Z');
    expect(view.ingested).toEqual(all);
    expect(view.abandoned).toBeUndefined();
  });

  it("tells a degraded cycle: the missing chunks, the fired request's missing list, a late chunk and a duplicate", () => {
    // Prepare
    const present = chunks(all.filter((slot) => ![7, 21].includes(slot)));
    const processing = processingFor(present, 'deadline');
    const reupload = chunkIngested({ chunk: 3, id: 'f'.repeat(32), time: new Date('2026-11-22T10:12:00.000Z') });
    const [sample] = samplesOf(EventTypes.inputLate).map((s) => s.event as CometEvent<typeof EventTypes.inputLate>);
    const late = { ...sample!, data: { ...sample!.data, joinKey: '20261122-061' } };

    // Act
    const view = fold([...present, reupload, processing, late]);

    // Assess
    expect(view.stage).toBe('processing (degraded)');
    expect(view.missing).toEqual([7, 21]);
    expect(view.fired).toMatchObject({ degraded: true, missing: ['7', '21'], inputs: 40 });
    expect(view.duplicates).toEqual([{ slot: 3, count: 2 }]);
    expect(view.late).toHaveLength(1);
  });

  it('tells an abandoned cycle with its reason', () => {
    // Prepare
    const [abandoned] = samplesOf(EventTypes.cycleAbandoned).map(
      (s) => s.event as CometEvent<typeof EventTypes.cycleAbandoned>,
    );

    // Act
    const view = fold([...chunks([1, 2, 3]), abandoned!], abandoned!.data.joinKey);

    // Assess
    expect(view.stage).toBe('abandoned');
    expect(view.abandoned?.reason).toBe(abandoned!.data.reason);
    expect(view.fired).toBeUndefined();
  });

  it('is the same whatever the order of the events, so rebuilding it is folding again', () => {
    // Prepare
    const events = [processingFor(chunks(all), 'complete'), ...chunks(all)];

    // Act
    const forward = fold(events);
    const backward = fold([...events].reverse());

    // Assess
    expect(backward).toEqual(forward);
  });
});

describe('cycle helpers', () => {
  it('accepts only YYYYMMDD-NNN as a cycle id', () => {
    expect(cycleCorrelation('20261122-061')).toBe('cycle-20261122-061');
    expect(() => cycleCorrelation('cycle-20261122-061')).toThrow(/expected YYYYMMDD-NNN/);
  });

  it('prints slots as ranges', () => {
    expect(ranges([1, 2, 3, 5, 7, 8])).toBe('1-3, 5, 7-8');
    expect(ranges([])).toBe('none');
  });

  it('prints one fact a line, with what the cycle waits for', () => {
    const lines = formatCycle(fold([...chunks(all.slice(0, 40))]));
    expect(lines[0]).toBe('cycle 20261122-061 (cycle-20261122-061): collecting, folded from 40 stored events');
    expect(lines).toContain('  ingested     40/41 chunks: 1-40');
    expect(lines).toContain('  missing      41');
    expect(lines).toContain('  waiting for  chunk 41; a forecast valid for the cycle (the join needs one)');
  });

  it('names the references the processing request used', () => {
    const lines = formatCycle(fold([processingFor(chunks(all), 'complete'), ...chunks(all)]));
    expect(lines).toContain(`  references   ${forecast.data.name}`);
  });
});
