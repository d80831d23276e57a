import { describe, expect, it } from 'vitest';
import { exampleFciName, parseFciName } from './mtg-fci.ts';
import { rejectionOf } from './testing.ts';

/** The parts of an FCI L1c chunk name that the tests vary. */
interface FciNameParts {
  satellite: string;
  part: 'BODY' | 'TRAIL';
  created: string;
  start: string;
  end: string;
  cycle: string;
  chunk: string;
}

/** Builds an FCI L1c name; every part defaults to the convention's example. */
const fciName = (overrides: Partial<FciNameParts> = {}): string => {
  const p: FciNameParts = {
    satellite: 'MTI1',
    part: 'BODY',
    created: '20261122101509',
    start: '20261122101007',
    end: '20261122101017',
    cycle: '0061',
    chunk: '0001',
    ...overrides,
  };
  return `W_XX-EUMETSAT-Darmstadt,IMG+SAT,${p.satellite}+FCI-1C-RRAD-FDHSI-FD--CHK-${p.part}---NC4E_C_EUMT_${p.created}_IDPFI_OPE_${p.start}_${p.end}_N_JLS_C_${p.cycle}_${p.chunk}.nc`;
};

describe('parseFciName', () => {
  it('reads the attributes of a body chunk', () => {
    // Prepare
    const name = fciName();

    // Act
    const attributes = parseFciName(name);

    // Assess
    expect(name).toBe(exampleFciName);
    expect(attributes).toEqual({
      kind: 'imager-chunk',
      convention: 'mtg-fci-l1c',
      satellite: 'MTI1',
      processingLevel: '1C',
      repeatCycle: 61,
      chunk: 1,
      sensingStart: '2026-11-22T10:10:07.000Z',
      sensingEnd: '2026-11-22T10:10:17.000Z',
      cycleId: '20261122-061',
      cycleStart: '2026-11-22T10:00:00.000Z',
      cycleEnd: '2026-11-22T10:10:00.000Z',
    });
  });

  it('reads a trailer as chunk 41 of its cycle', () => {
    // Prepare
    const name = fciName({ part: 'TRAIL', chunk: '0041', cycle: '0144' });

    // Act
    const attributes = parseFciName(name);

    // Assess
    expect(attributes).toMatchObject({ kind: 'imager-trailer', chunk: 41, repeatCycle: 144, cycleId: '20261122-144' });
  });

  it('accepts the first and last body chunks and the first cycle', () => {
    // Act
    const first = parseFciName(fciName({ chunk: '0001', cycle: '0001' }));
    const last = parseFciName(fciName({ chunk: '0040' }));

    // Assess
    expect(first).toMatchObject({ chunk: 1, repeatCycle: 1, cycleId: '20261122-001' });
    expect(last).toMatchObject({ kind: 'imager-chunk', chunk: 40 });
  });

  it('rejects a satellite outside MTI1..MTI4 and quotes the name and an example', () => {
    // Prepare
    const name = fciName({ satellite: 'MTI5' });

    // Act
    const error = rejectionOf(() => parseFciName(name));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain(JSON.stringify(name));
    expect(error.message).toContain('does not follow the MTG FCI L1c convention');
    expect(error.message).toContain(exampleFciName);
  });

  it('rejects chunk 0041 as a body chunk', () => {
    // Act
    const error = rejectionOf(() => parseFciName(fciName({ part: 'BODY', chunk: '0041' })));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toMatch(/Body chunk 0041 in ".*" is out of range; expected 0001 to 0040/);
  });

  it('rejects chunk 0000 as a body chunk', () => {
    // Act
    const error = rejectionOf(() => parseFciName(fciName({ chunk: '0000' })));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toMatch(/Body chunk 0000 .* expected 0001 to 0040/);
  });

  it('rejects a trailer that is not chunk 0041', () => {
    // Act
    const error = rejectionOf(() => parseFciName(fciName({ part: 'TRAIL', chunk: '0040' })));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toMatch(/Trailer ".*" has chunk 0040; expected 0041/);
  });

  it.each(['0000', '0145'])('rejects repeat cycle %s', (cycle) => {
    // Act
    const error = rejectionOf(() => parseFciName(fciName({ cycle })));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain(`Repeat cycle ${cycle}`);
    expect(error.message).toContain('expected 0001 to 0144');
  });

  it('rejects an impossible sensing date and says which format it expects', () => {
    // Prepare
    const name = fciName({ start: '20261131101007', end: '20261131101017' });

    // Act
    const error = rejectionOf(() => parseFciName(name));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('impossible timestamp');
    expect(error.message).toContain('20261131101007');
    expect(error.message).toContain('expected YYYYMMDDhhmmss in UTC');
  });

  it('rejects an impossible creation time', () => {
    // Act
    const error = rejectionOf(() => parseFciName(fciName({ created: '20261122246000' })));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('creation 20261122246000');
  });

  it('rejects a sensing end before its start and shows both', () => {
    // Act
    const error = rejectionOf(() => parseFciName(fciName({ start: '20261122101017', end: '20261122101007' })));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('ends sensing (20261122101007) before it starts (20261122101017)');
  });

  it('accepts a sensing end equal to its start', () => {
    // Act
    const attributes = parseFciName(fciName({ start: '20261122101007', end: '20261122101007' }));

    // Assess
    expect(attributes.sensingEnd).toBe(attributes.sensingStart);
  });

  it('dates the cycle by the day sensing starts', () => {
    // Act
    const attributes = parseFciName(fciName({ start: '20261231235955', end: '20270101000005', cycle: '0144' }));

    // Assess
    expect(attributes.cycleId).toBe('20261231-144');
  });
});
