import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CometEvent } from '#events/registry.ts';
import type { StoredEvent } from '../event-store.ts';
import { cycleRow } from './data.ts';

const sample = (folder: string, file: string, time: string): StoredEvent => {
  const path = join(import.meta.dirname, '..', '..', 'events', folder, 'samples', file);
  const event = { ...JSON.parse(readFileSync(path, 'utf8')), time } as CometEvent;
  return { correlationId: event.correlationid, time, id: event.id, type: event.type, source: event.source, event };
};

describe('cycleRow', () => {
  it('measures the pipeline from the first chunk in, not from a timer stamped with its nominal deadline', () => {
    // Prepare: a timer of a past cycle (its time is the deadline), a chunk ingested now, the delivery 12 s later.
    const stored = [
      sample('deadline.reached', 'cycle-timer.json', '2026-08-03T03:45:00.000Z'),
      sample('file.ingested', 'imager-chunk.json', '2026-12-01T10:00:00.000Z'),
      sample('product.delivered', 'cycle-statistics.json', '2026-12-01T10:00:12.000Z'),
    ];

    // Act
    const row = cycleRow(stored);

    // Assess
    expect(row.pipelineSeconds).toBe(12);
    expect(row.view.status).toBe('delivered');
    expect(row.cells.filter((c) => c === 'ingested')).toHaveLength(1);
    // The timer closed the join: the 40 other slots are missing, not pending.
    expect(row.cells.filter((c) => c === 'missing')).toHaveLength(40);
    expect(row.lastEventAt).toBe('2026-12-01T10:00:12.000Z');
  });
});
