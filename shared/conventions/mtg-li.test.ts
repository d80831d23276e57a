import { describe, expect, it } from 'vitest';
import { FileAttributesSchema } from '#events/registry.ts';
import { identifyInboxKey } from './inbox.ts';
import { exampleLiName, liCorrelationOf, parseLiName } from './mtg-li.ts';
import { rejectionOf } from './testing.ts';

/** The parts of an LI Level-2 name that the tests vary. */
interface LiNameParts {
  satellite: string;
  type: string;
  created: string;
  start: string;
  end: string;
  cycle: string;
  count: string;
}

/** Builds an LI Level-2 name; every part defaults to the convention's example. */
const liName = (overrides: Partial<LiNameParts> = {}): string => {
  const p: LiNameParts = {
    satellite: 'MTI1',
    type: 'LFL',
    created: '20261122101100',
    start: '20261122101000',
    end: '20261122101030',
    cycle: '0062',
    count: '0001',
    ...overrides,
  };
  return `W_XX-EUMETSAT-Darmstadt,IMG+SAT,${p.satellite}+LI-2-${p.type}--FD--CHK-BODY---NC4E_C_EUMT_${p.created}_L2PF_OPE_${p.start}_${p.end}_N__T_${p.cycle}_${p.count}.nc`;
};

describe('parseLiName', () => {
  it('reads the attributes of a flash file', () => {
    // Prepare
    const name = liName();

    // Act
    const attributes = parseLiName(name);

    // Assess
    expect(name).toBe(exampleLiName);
    expect(attributes).toEqual({
      kind: 'lightning',
      convention: 'mtg-li-l2',
      satellite: 'MTI1',
      productType: 'LFL',
      repeatCycle: 62,
      count: 1,
      sensingStart: '2026-11-22T10:10:00.000Z',
      sensingEnd: '2026-11-22T10:10:30.000Z',
      stream: 'mti1-li-lfl',
    });
    expect(FileAttributesSchema.parse(attributes)).toEqual(attributes);
    expect(liCorrelationOf(attributes)).toBe('li-mti1-li-lfl-20261122101000');
  });

  it('reads an accumulated-flash file as its own stream', () => {
    // Act
    const attributes = parseLiName(
      liName({ type: 'AF', satellite: 'MTI2', start: '20261122101930', end: '20261122102000', count: '0020' }),
    );

    // Assess
    expect(attributes).toMatchObject({
      productType: 'AF',
      stream: 'mti2-li-af',
      count: 20,
      sensingEnd: '2026-11-22T10:20:00.000Z',
    });
  });

  it('is chosen by identifyInboxKey for an eumetsat key naming the LI instrument', () => {
    // Act
    const file = identifyInboxKey(`eumetsat/${exampleLiName}`, new Date());

    // Assess
    expect(file).toMatchObject({ provider: 'eumetsat', attributes: { convention: 'mtg-li-l2' } });
  });

  it('rejects a broken name and quotes an example', () => {
    // Act
    const error = rejectionOf(() => parseLiName(exampleLiName.replace('-BODY-', '-BODI-')));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('does not follow the MTG LI Level-2 convention');
    expect(error.message).toContain(exampleLiName);
  });

  it('rejects an unknown product type, naming the known ones', () => {
    // Act
    const error = rejectionOf(() => parseLiName(liName({ type: 'XYZ' })));

    // Assess
    expect(error.message).toContain('LI product type "XYZ"');
    expect(error.message).toContain('is unknown; expected one of LE, LEF, LGR, LFL, AF, AFA, AFR');
  });

  it('rejects a window longer than 30 s', () => {
    // Act
    const error = rejectionOf(() => parseLiName(liName({ end: '20261122101045' })));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('covers 45 s');
    expect(error.message).toContain('exactly 30 s');
  });

  it('rejects a window that ends before it starts', () => {
    // Act
    const error = rejectionOf(() => parseLiName(liName({ end: '20261122100930' })));

    // Assess
    expect(error.message).toContain('ends sensing (20261122100930) at or before it starts (20261122101000)');
  });

  it('rejects an impossible timestamp', () => {
    // Act
    const error = rejectionOf(() => parseLiName(liName({ start: '20261131101000', end: '20261131101030' })));

    // Assess
    expect(error.message).toContain('impossible timestamp');
  });

  it('rejects a repeat cycle or count out of range', () => {
    // Act
    const cycle = rejectionOf(() => parseLiName(liName({ cycle: '0145' })));
    const count = rejectionOf(() => parseLiName(liName({ count: '0021' })));
    const zero = rejectionOf(() => parseLiName(liName({ count: '0000' })));

    // Assess
    expect(cycle.message).toContain('Repeat cycle 0145');
    expect(count.message).toContain('Count 0021');
    expect(zero.message).toContain('expected 0001 to 0020');
  });

  it('rejects a sensing start outside its repeat cycle', () => {
    // Act
    const error = rejectionOf(() => parseLiName(liName({ cycle: '0061' })));

    // Assess
    expect(error.message).toContain(
      'lies outside repeat cycle 0061 (2026-11-22T10:00:00.000Z to 2026-11-22T10:10:00.000Z)',
    );
  });
});
