import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CometEvent } from '#events/registry.ts';
import { factsOf, groupFacts, viewOf, type CycleView } from '#functions/projector/logic.ts';
import { cycleRow } from './data.ts';

/** A catalog sample, at `time`, in cycle 20261122-061. */
const sample = (folder: string, file: string, time: string): CometEvent => {
  const path = join(import.meta.dirname, '..', '..', 'events', folder, 'samples', file);
  const event = JSON.parse(readFileSync(path, 'utf8')) as CometEvent & { data: Record<string, unknown> };
  const data = 'joinKey' in event.data ? { ...event.data, joinKey: '20261122-061' } : event.data;
  return { ...event, time, correlationid: 'cycle-20261122-061', data } as CometEvent;
};

/** The cycle's view as the projector folds it. */
const viewOfEvents = (events: readonly CometEvent[]): CycleView => {
  const { entity, facts } = groupFacts(events.flatMap(factsOf)).get('cycle#20261122-061')!;
  return viewOf(entity, facts) as CycleView;
};

describe('cycleRow', () => {
  it('measures the pipeline from the first chunk in, not from a timer stamped with its nominal deadline', () => {
    // Prepare: a timer of a past cycle (its time is the deadline), a chunk ingested now, the delivery 12 s later.
    const view = viewOfEvents([
      sample('deadline.reached', 'cycle-timer.json', '2026-08-03T03:45:00.000Z'),
      sample('file.ingested', 'imager-chunk.json', '2026-12-01T10:00:00.000Z'),
      sample('product.delivered', 'cycle-statistics.json', '2026-12-01T10:00:12.000Z'),
    ]);

    // Act
    const row = cycleRow(view, { timelinessSeconds: 431 } as Parameters<typeof cycleRow>[1]);

    // Assess
    expect(row.pipelineSeconds).toBe(12);
    expect(row.timelinessSeconds).toBe(431);
    expect(row.deliveredAt).toBe('2026-12-01T10:00:12.000Z');
    expect(row.view.stage).toBe('delivered');
    expect(row.cells.filter((c) => c === 'ingested')).toHaveLength(1);
    // The timer closed the join: the 40 other slots are missing, not pending.
    expect(row.cells.filter((c) => c === 'missing')).toHaveLength(40);
    expect(row.lastEventAt).toBe('2026-12-01T10:00:12.000Z');
  });
});
