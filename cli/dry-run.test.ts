import { describe, expect, it } from 'vitest';
import type { CometEvent } from '#events/registry.ts';
import { loadPipelineRules } from '#functions/scheduler/rule-set.ts';
import { chunkIngested, fileAvailable, forecastIngested, productGenerated } from '#shared/rules/testing.ts';
import {
  dryRun,
  formatDecision,
  needsReferences,
  referenceEvents,
  referenceTypes,
  summarize,
  type Decision,
} from './dry-run.ts';

const ruleSet = loadPipelineRules();
// Cycle 61 of 2026-11-22: 10:00 to 10:10, deadline 10:15; chunk n is ingested at 10:00 + 20 n s.
const chunks = (slots: readonly number[]): CometEvent[] => slots.map((chunk) => chunkIngested({ chunk }));
const all = Array.from({ length: 41 }, (_, i) => i + 1);
const forecast = forecastIngested({ validTime: '2026-11-22T12:00:00.000Z' });
const afterEverything = new Date('2026-11-23T00:00:00.000Z');
const commands = (decisions: readonly Decision[], type: string) =>
  decisions.filter((d) => d.kind === 'command' && d.type === type);

describe('dryRun', () => {
  it('fires one complete processing request with 42 inputs when every chunk and the forecast (as context) are in', async () => {
    // Prepare
    const events = chunks(all).reverse();

    // Act
    const result = await dryRun(events, {
      ruleSet,
      minimumWaitSeconds: 60,
      context: [forecast],
      until: afterEverything,
    });

    // Assess
    expect(result.references).toBe(1);
    expect(result.decisions).toHaveLength(1);
    expect(result.decisions[0]).toMatchObject({
      kind: 'command',
      type: 'cometflow.processing.requested',
      target: 'process-bulk',
      inputs: 42,
      degraded: false,
      missing: [],
      subject: '20261122-061',
      correlationId: 'cycle-20261122-061',
      at: '2026-11-22T10:13:40.000Z',
    });
    expect(result.firedTimers).toEqual([{ joinKey: '20261122-061', at: '2026-11-22T10:15:00.000Z' }]);
    expect(result.pendingTimers).toEqual([]);
  });

  it('fires degraded at the deadline, listing the missing chunks, then reports a chunk that comes after it as late', async () => {
    // Prepare
    const present = all.filter((slot) => ![7, 21, 38].includes(slot));
    const late = chunkIngested({ chunk: 7, time: new Date('2026-11-22T10:20:00.000Z') });

    // Act
    const result = await dryRun([...chunks(present), forecast, late], {
      ruleSet,
      minimumWaitSeconds: 60,
      until: afterEverything,
    });

    // Assess
    const [fired] = commands(result.decisions, 'cometflow.processing.requested');
    expect(fired).toMatchObject({
      inputs: 39,
      degraded: true,
      missing: ['7', '21', '38'],
      at: '2026-11-22T10:15:00.000Z',
    });
    expect(result.decisions.filter((d) => d.kind === 'late')).toEqual([
      expect.objectContaining({
        joinKey: '20261122-061',
        slot: '7',
        at: '2026-11-22T10:20:00.000Z',
        closedBy: fired!.id,
      }),
    ]);
  });

  it('abandons a cycle with too few chunks at its deadline, with the reason', async () => {
    // Act
    const result = await dryRun([...chunks(all.slice(0, 10)), forecast], {
      ruleSet,
      minimumWaitSeconds: 60,
      until: afterEverything,
    });

    // Assess
    expect(result.decisions).toEqual([
      expect.objectContaining({ kind: 'abandoned', joinKey: '20261122-061', at: '2026-11-22T10:15:00.000Z' }),
    ]);
    expect((result.decisions[0] as Extract<Decision, { kind: 'abandoned' }>).reason).toMatch(
      /only 10 of 41 inputs arrived/,
    );
  });

  it('abandons a complete cycle whose forecast never came, since the rule does not process without it', async () => {
    // Act
    const result = await dryRun(chunks(all), { ruleSet, minimumWaitSeconds: 60, until: afterEverything });

    // Assess
    expect(result.decisions).toEqual([expect.objectContaining({ kind: 'abandoned', missing: ['forecast'] })]);
  });

  it('leaves a deadline that is not due by `until` pending, without deciding', async () => {
    // Act
    const result = await dryRun(chunks(all.slice(0, 10)), {
      ruleSet,
      minimumWaitSeconds: 60,
      until: new Date('2026-11-22T10:14:00.000Z'),
    });

    // Assess
    expect(result.decisions).toEqual([]);
    expect(result.pendingTimers).toEqual([{ joinKey: '20261122-061', dueAt: '2026-11-22T10:15:00.000Z' }]);
  });

  it('waits at least the minimum after the first chunk for a cycle whose deadline had passed when it arrived', async () => {
    // Prepare: the cycle's chunks arrive a day late.
    const base = Date.parse('2026-11-23T09:00:00.000Z');
    const events = all.slice(0, 10).map((chunk) => chunkIngested({ chunk, time: new Date(base + chunk * 1000) }));

    // Act
    const result = await dryRun(events, {
      ruleSet,
      minimumWaitSeconds: 120,
      until: new Date('2026-11-24T00:00:00.000Z'),
    });

    // Assess
    expect(result.firedTimers).toEqual([{ joinKey: '20261122-061', at: '2026-11-23T09:02:01.000Z' }]);
  });

  it("sends the forward rules' commands: ingest for an available file, delivery for a product", async () => {
    // Act
    const result = await dryRun([fileAvailable({ size: 1000 }), productGenerated()], {
      ruleSet,
      minimumWaitSeconds: 60,
    });

    // Assess
    expect(result.decisions.map((d) => d.kind === 'command' && `${d.type} -> ${d.target}`)).toEqual([
      'cometflow.ingest.requested -> ingest',
      'cometflow.delivery.requested -> deliver',
    ]);
    expect(summarize(result.decisions)).toBe('1 ingest.requested, 1 delivery.requested');
  });
});

describe('references for the dry run', () => {
  it("looks for them only when an event feeds a join, among the join rules' event types", () => {
    expect(needsReferences(ruleSet, chunks([1]))).toBe(true);
    expect(needsReferences(ruleSet, [productGenerated()])).toBe(false);
    expect(referenceTypes(ruleSet)).toEqual(['cometflow.file.ingested']);
  });

  it('keeps the candidates that carry a reference and are not selected already', () => {
    // Prepare
    const other = forecastIngested({ validTime: '2026-11-22T18:00:00.000Z' });

    // Act
    const found = referenceEvents(ruleSet, [...chunks([1, 2]), forecast, other], new Set([other.id]));

    // Assess
    expect(found).toEqual([forecast]);
  });
});

describe('formatDecision', () => {
  it("says whether the store holds the decision already and shows a processing request's inputs", () => {
    // Prepare
    const decision: Decision = {
      kind: 'command',
      at: '2026-11-22T10:15:00.000Z',
      type: 'cometflow.processing.requested',
      target: 'process-bulk',
      id: 'abc',
      subject: '20261122-061',
      correlationId: 'cycle-20261122-061',
      delaySeconds: 0,
      inputs: 39,
      degraded: true,
      missing: ['7', '21', '38'],
    };

    // Act
    const lines = [formatDecision(decision, new Set(['abc'])), formatDecision(decision)];

    // Assess
    expect(lines).toEqual([
      '2026-11-22T10:15:00.000Z  command  cometflow.processing.requested -> process-bulk  subject 20261122-061  inputs 39  DEGRADED missing 7,21,38  id abc  [already in the store]',
      '2026-11-22T10:15:00.000Z  command  cometflow.processing.requested -> process-bulk  subject 20261122-061  inputs 39  DEGRADED missing 7,21,38  id abc  [new]',
    ]);
  });
});
