import { describe, expect, it } from 'vitest';
import type { CycleView, FileView, ProductView } from '#functions/projector/logic.ts';
import { liCorrelationOf } from '#shared/conventions/mtg-li.ts';
import {
  activityByStage,
  calendarAlerts,
  cycleCells,
  liStrips,
  liWindowOf,
  orderByFlow,
  timelinessAlerts,
  windowState,
} from './views.ts';

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

  it('reads a view written before duplicates and references were kept (an older status item)', () => {
    const { duplicates: _, ...old } = view({ ingested: [1] });
    const fired = { at: 't', inputs: 42, degraded: false, missing: [] } as unknown as CycleView['fired'];
    expect(cycleCells({ ...old, fired } as CycleView, 2)).toEqual({
      cells: ['ingested', 'missing'],
      forecast: 'ingested',
    });
  });

  it('calls the forecast missing when the request went without one, and in when trace found one', () => {
    const without = view({ fired: { at: 't', inputs: 40, degraded: true, missing: ['forecast'], references: [] } });
    expect(cycleCells(without, 1).forecast).toBe('missing');
    expect(cycleCells(view({ forecast: 'ecmwf/S1D11221200112218001' }), 1).forecast).toBe('ingested');
  });
});

describe('lightning strips', () => {
  const file = (stage: string): FileView => ({ kind: 'file', stage, id: 'eumetsat/x.nc' }) as FileView;
  const product = (stage: string, timelinessSeconds?: number): ProductView =>
    ({
      kind: 'product',
      stage,
      id: 'p1',
      ...(timelinessSeconds === undefined ? {} : { timelinessSeconds }),
    }) as ProductView;

  it("places a window in its repeat cycle by its correlation, as the LI name's cycle and count do", () => {
    // 10:10:30 is the second window of cycle 62 (10:10-10:20).
    const correlation = liCorrelationOf({ stream: 'mti1-li-lfl', sensingStart: '2026-11-22T10:10:30.000Z' });
    expect(liWindowOf(correlation)).toEqual({
      stream: 'mti1-li-lfl',
      start: '2026-11-22T10:10:30.000Z',
      cycleId: '20261122-062',
      count: 2,
    });
    expect(liWindowOf('li-mti1-li-lfl-20261122235930')).toMatchObject({ cycleId: '20261122-144', count: 20 });
    expect(liWindowOf('cycle-20261122-061')).toBeUndefined();
  });

  it("tells a window by its product's stage once it has one, else by its file's", () => {
    expect(windowState(undefined, undefined)).toBe('pending');
    expect(windowState(file('available'), undefined)).toBe('arrived');
    expect(windowState(file('ingested'), undefined)).toBe('ingested');
    expect(windowState(file('quarantined'), undefined)).toBe('rejected');
    expect(windowState(file('ingested'), product('generated'))).toBe('generated');
    expect(windowState(file('ingested'), product('delivered'))).toBe('delivered');
    expect(windowState(undefined, product('compensated'))).toBe('failed');
  });

  it('draws all 20 windows of a stream and cycle, latest strip first, with the timeliness of each delivered one', () => {
    const strips = liStrips(
      [
        {
          correlationId: 'li-mti1-li-lfl-20261122101030',
          lastEventAt: '2026-12-01T10:00:05.000Z',
          file: file('ingested'),
          product: product('delivered', 4.2),
        },
        {
          correlationId: 'li-mti1-li-lfl-20261122101100',
          lastEventAt: '2026-12-01T10:00:09.000Z',
          file: file('available'),
        },
        { correlationId: 'li-mti1-li-af-20261122101000', lastEventAt: '2026-12-01T09:00:00.000Z' },
      ],
      5,
    );
    expect(strips.map((s) => `${s.stream} ${s.cycleId}`)).toEqual([
      'mti1-li-lfl 20261122-062',
      'mti1-li-af 20261122-062',
    ]);
    const [lfl] = strips;
    expect(lfl!.windows).toHaveLength(20);
    expect(lfl!.windows.slice(0, 4).map((w) => w.state)).toEqual(['pending', 'delivered', 'arrived', 'pending']);
    expect(lfl!.windows[1]).toMatchObject({
      start: '2026-11-22T10:10:30.000Z',
      timelinessSeconds: 4.2,
      productId: 'p1',
    });
    expect(lfl!.windows[19]!.start).toBe('2026-11-22T10:19:30.000Z');
    expect(lfl!.lastEventAt).toBe('2026-12-01T10:00:09.000Z');
    expect(liStrips([], 5)).toEqual([]);
  });
});

describe('alerts', () => {
  it("turns the day's calendar alerts that status lists into one alert per type, latest subjects first", () => {
    const alerts = calendarAlerts([
      {
        type: 'input.missing',
        subject: '20261201-100',
        at: '2026-12-01T16:46:00.000Z',
        detail: '41 files due by 16:45',
      },
      {
        type: 'input.missing',
        subject: '20261201-101',
        at: '2026-12-01T16:56:00.000Z',
        detail: '41 files due by 16:55',
      },
      { type: 'provider.silent', subject: 'ecmwf', at: '2026-12-01T16:50:00.000Z', detail: 'nothing since 04:50' },
    ]);
    expect(alerts).toEqual([
      {
        severity: 'critical',
        kind: 'input.missing',
        text: '2 input(s) missing today; latest 20261201-101 at 2026-12-01T16:56:00.000Z: 41 files due by 16:55',
        subjects: ['20261201-101', '20261201-100'],
      },
      expect.objectContaining({ kind: 'provider.silent', subjects: ['ecmwf'] }),
    ]);
  });

  it('raises one timeliness alert per product type with products over its budget, naming the worst', () => {
    const product = (id: string, productType: string, timelinessSeconds: number): ProductView =>
      ({ kind: 'product', id, productType, timelinessSeconds, correlationId: `cycle-${id}` }) as ProductView;
    const alerts = timelinessAlerts(
      [
        product('a', 'fci-cycle-statistics', 400),
        product('b', 'fci-cycle-statistics', 1800),
        product('c', 'fci-cycle-statistics', 950),
        product('d', 'lightning-window', 5),
        product('e', 'unbudgeted', 1e9),
      ],
      { 'fci-cycle-statistics': 900, 'lightning-window': 120 },
    );
    expect(alerts).toEqual([
      {
        severity: 'warning',
        kind: 'timeliness over budget',
        text:
          'fci-cycle-statistics: 2 of 3 product(s) delivered in the last hour took longer than the 900 s budget; ' +
          'worst 30.0 min (cycle-b)',
        subjects: ['b', 'c'],
      },
    ]);
  });
});
