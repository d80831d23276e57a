import { describe, expect, it } from 'vitest';
import type { CycleView } from '../cycle.ts';
import { activityByStage, cycleCells, nearest, stageOfRole, stageRoles, stageSpans } from './views.ts';

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
  it('names the stage and lane of every queue role', () => {
    expect(stageOfRole('eventBus')).toEqual({ stage: 'scheduler' });
    expect(stageOfRole('processBulk')).toEqual({ stage: 'process', lane: 'bulk' });
    expect(stageOfRole('ingestContainer')).toEqual({ stage: 'ingest-container' });
    expect(stageOfRole('subscriberClimate')).toEqual({ stage: 'subscriber-climate' });
  });

  it('lists the queues that are not dead-letter queues in the order the pipeline runs them', () => {
    const roles = stageRoles({
      deliver: 'd',
      subscriberClimate: 's',
      eventBusDlq: 'x',
      intake: 'i',
      processBulk: 'p',
      eventBus: 'e',
    });
    expect(roles).toEqual(['intake', 'eventBus', 'processBulk', 'deliver', 'subscriberClimate']);
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

describe('nearest', () => {
  it('suggests the known ids closest to an unknown one, containing ones first', () => {
    const known = ['cycle-20261122-061', 'cycle-20261122-062', 'forecast-2026-11-22T12:00:00.000Z', 'upload-nasa/x'];
    expect(nearest('20261122-061', known, 2)).toEqual(['cycle-20261122-061', 'cycle-20261122-062']);
    expect(nearest('cycle-20261122-06', known, 1)).toEqual(['cycle-20261122-061']);
  });
});

describe('stageSpans', () => {
  it('puts commands on the stage they command and leaves deadline timers off the time line', () => {
    const spans = stageSpans([
      { time: '2026-01-01T00:00:00.000Z', type: 'cometflow.deadline.reached', source: 'cometflow/scheduler', id: 'd' },
      { time: '2026-12-01T10:00:01.000Z', type: 'cometflow.file.available', source: 'cometflow/intake', id: 'a' },
      { time: '2026-12-01T10:00:02.000Z', type: 'cometflow.ingest.requested', source: 'cometflow/scheduler', id: 'b' },
      { time: '2026-12-01T10:00:03.500Z', type: 'cometflow.file.ingested', source: 'cometflow/ingest', id: 'c' },
    ]);
    expect(spans).toEqual([
      {
        stage: 'intake',
        first: '2026-12-01T10:00:01.000Z',
        last: '2026-12-01T10:00:01.000Z',
        count: 1,
        types: ['file.available'],
      },
      {
        stage: 'ingest',
        first: '2026-12-01T10:00:02.000Z',
        last: '2026-12-01T10:00:03.500Z',
        count: 2,
        types: ['ingest.requested', 'file.ingested'],
      },
    ]);
  });
});
