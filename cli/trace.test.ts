import { describe, expect, it } from 'vitest';
import { factsOf, groupFacts, viewOf, type CycleView, type FileView } from '#functions/projector/logic.ts';
import { chunkIngested, fileRejected } from '#shared/rules/testing.ts';
import { daysToSearch, entityOfArgument, formatTrace, nearest, whyOf } from './trace.ts';
import { countStages } from './status.ts';
import { stackProblemOf } from './errors.ts';

const viewsOf = (events: Parameters<typeof factsOf>[0][]) =>
  [...groupFacts(events.flatMap(factsOf)).values()].map(({ entity, facts }) => viewOf(entity, facts));

describe('trace', () => {
  it('tells a cycle id, a product id and an inbox key apart', () => {
    expect(entityOfArgument('20261122-061')).toEqual({ kind: 'cycle', id: '20261122-061' });
    expect(entityOfArgument('cycle-20261122-061')).toEqual({ kind: 'cycle', id: '20261122-061' });
    expect(entityOfArgument('70cf47380b9674f26bc8432dc68cdf0c')).toEqual({
      kind: 'product',
      id: '70cf47380b9674f26bc8432dc68cdf0c',
    });
    expect(entityOfArgument('s3://inbox/eumetsat/x.nc')).toEqual({ kind: 'file', id: 'eumetsat/x.nc' });
  });

  it('suggests the nearest known ids first', () => {
    expect(nearest('20261122-062', ['20261122-161', '20261122-061', '20261121-001'], 2)).toEqual([
      '20261122-061',
      '20261122-161',
    ]);
  });

  it('looks for neighbours on the day a cycle id or a chunk name carries', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(daysToSearch({ kind: 'cycle', id: '20261122-061' }, now)).toEqual(['2026-11-22']);
    expect(daysToSearch({ kind: 'product', id: 'ab' }, now)).toEqual(['2026-12-01', '2026-11-30']);
  });

  it('explains an ingested chunk by its cycle waiting for the chunks withheld', () => {
    // Prepare
    const events = [3, 4, 5].map((chunk) => chunkIngested({ chunk }));
    const views = viewsOf(events);
    const file = views.find((v) => v.kind === 'file') as FileView;
    const cycle = views.find((v) => v.kind === 'cycle') as CycleView;

    // Act
    const why = whyOf(file, cycle);

    // Assess
    expect(why).toEqual([
      `its cycle 20261122-061 is collecting, waiting for chunks 1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, ` +
        '25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40 and 41; a forecast valid for the cycle (the join needs one)',
    ]);
  });

  it("says a quarantined file's reason, and that an unknown one is unknown with the suggestions", () => {
    const [view] = viewsOf([fileRejected({ key: 'eumetsat/bad.nc' })]);
    expect(whyOf(view!)).toEqual(['quarantined: bad-name: File name does not follow the MTG FCI L1c convention']);
    expect(
      formatTrace({ found: false, entity: { kind: 'file', id: 'eumetsat/bad2.nc' }, suggestions: ['eumetsat/bad.nc'] }),
    ).toEqual(['no file "eumetsat/bad2.nc" in the status read model', '  did you mean: eumetsat/bad.nc']);
  });
});

describe('status', () => {
  it('counts views per kind and stage with the oldest still waiting', () => {
    const views = viewsOf([chunkIngested({ chunk: 1 }), chunkIngested({ chunk: 2 })]);
    expect(countStages(views)).toEqual([
      { kind: 'file', stage: 'ingested', count: 2 },
      {
        kind: 'cycle',
        stage: 'collecting',
        count: 1,
        oldestWaitingSince: '2026-11-22T10:00:40.000Z',
        oldestWaitingId: '20261122-061',
      },
    ]);
  });
});

describe('stack problems', () => {
  it('turns a refused connection, missing credentials and a missing table into exit 2 with how to fix it', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
    const credentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const table = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    expect(stackProblemOf(refused, 'x.json')?.message).toMatch(
      /does not answer .*it is not running; start it with `npm start -- --serve`/,
    );
    expect(stackProblemOf(credentials, 'x.json')?.message).toMatch(/No AWS credentials .* set AWS_ACCESS_KEY_ID/);
    expect(stackProblemOf(table, 'x.json')?.exitCode).toBe(2);
    expect(stackProblemOf(new Error('boom'), 'x.json')).toBeUndefined();
  });
});
