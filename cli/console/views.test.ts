import { describe, expect, it } from 'vitest';
import type { CycleView } from '../cycle.ts';
import { activityByStage, cycleCells, orderByFlow } from './views.ts';

const view = (overrides: Partial<CycleView>): CycleView => ({
  joinKey: '20261122-061',
  correlationId: 'cycle-20261122-061',
  status: 'collecting',
  arrived: [],
  missing: [],
  duplicates: [],
  rejected: [],
  late: [],
  deadlines: [],
  products: [],
  events: 1,
  ...overrides,
});

describe('stage rows', () => {
  it('orders the queues as the pipeline runs them, unknown roles after, by name', () => {
    const roles = orderByFlow([
      { role: 'deliver' },
      { role: 'subscriberClimate' },
      { role: 'intake' },
      { role: 'processBulk' },
      { role: 'eventBus' },
      { role: 'ingestContainer' },
    ]).map((q) => q.role);
    expect(roles).toEqual(['intake', 'eventBus', 'ingestContainer', 'processBulk', 'deliver', 'subscriberClimate']);
  });

  it('counts events per publishing stage, failures apart', () => {
    const counts = activityByStage([
      { source: 'cometflow/intake', type: 'cometflow.file.available' },
      { source: 'cometflow/intake', type: 'cometflow.file.rejected' },
      { source: 'cometflow/intake', type: 'cometflow.file.available' },
      { source: 'cometflow/deliver', type: 'cometflow.delivery.compensated' },
    ]);
    expect(counts.get('intake')).toEqual({ done: 2, failed: 1 });
    expect(counts.get('deliver')).toEqual({ done: 0, failed: 1 });
  });
});

describe('cycleCells', () => {
  it('leaves slots pending while the join is open and calls them missing once it closed', () => {
    const open = cycleCells(view({ arrived: [1, 2] }), new Set([1, 2, 3]), 5);
    expect(open).toEqual({ cells: ['ingested', 'ingested', 'arrived', 'pending', 'pending'], forecast: 'pending' });
    const closed = cycleCells(view({ arrived: [1, 2], deadlines: ['2026-11-22T10:15:00.000Z'] }), new Set([1, 2]), 4);
    expect(closed.cells).toEqual(['ingested', 'ingested', 'missing', 'missing']);
    expect(closed.forecast).toBe('missing');
  });

  it('marks duplicates and late inputs over ingested', () => {
    const { cells, forecast } = cycleCells(
      view({
        arrived: [1, 2, 3],
        duplicates: [{ slot: 2, count: 2 }],
        late: [{ slot: '3', name: 'n', at: 't', closedBy: 'c' }],
        forecast: { name: 'S1D', key: 'k', sha256: 'a' },
        fired: { id: 'i', at: 't', inputs: 4, degraded: false, missing: [] },
      }),
      new Set(),
      3,
    );
    expect(cells).toEqual(['ingested', 'duplicate', 'late']);
    expect(forecast).toBe('ingested');
  });
});
