import { describe, expect, it } from 'vitest';
import type { CycleView } from '#functions/projector/logic.ts';
import { activityByStage, cycleCells, orderByFlow } from './views.ts';

/** A cycle's read model view, as the projector stores it. */
const view = (overrides: Partial<CycleView>): CycleView => ({
  kind: 'cycle',
  id: '20261122-061',
  stage: 'collecting',
  stages: {},
  day: '2026-11-22',
  updatedAt: '2026-11-22T10:10:00.000Z',
  waitingFor: [],
  events: 1,
  available: [],
  ingested: [],
  missing: [],
  duplicates: [],
  rejected: [],
  late: [],
  productIds: [],
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
    const open = cycleCells(view({ available: [1, 2, 3], ingested: [1, 2] }), 5);
    expect(open).toEqual({ cells: ['ingested', 'ingested', 'arrived', 'pending', 'pending'], forecast: 'pending' });
    const timer = { 'deadline.reached': '2026-11-22T10:15:00.000Z' };
    const closed = cycleCells(view({ available: [1, 2], ingested: [1, 2], stages: timer }), 4);
    expect(closed.cells).toEqual(['ingested', 'ingested', 'missing', 'missing']);
    expect(closed.forecast).toBe('missing');
    expect(cycleCells(view({ stage: 'missing' }), 2).cells).toEqual(['missing', 'missing']);
  });

  it('marks duplicates and late inputs over ingested, and the forecast the processing request used', () => {
    const { cells, forecast } = cycleCells(
      view({
        ingested: [1, 2, 3],
        duplicates: [{ slot: 2, count: 2 }],
        late: ['3'],
        fired: { at: 't', inputs: 4, degraded: false, missing: [], references: ['S1D11221200112218001'] },
      }),
      3,
    );
    expect(cells).toEqual(['ingested', 'duplicate', 'late']);
    expect(forecast).toBe('ingested');
  });

  it('calls the forecast missing when the request went without one, and in when trace found one', () => {
    const without = view({ fired: { at: 't', inputs: 40, degraded: true, missing: ['forecast'], references: [] } });
    expect(cycleCells(without, 1).forecast).toBe('missing');
    expect(cycleCells(view({ forecast: 'ecmwf/S1D11221200112218001' }), 1).forecast).toBe('ingested');
  });
});
