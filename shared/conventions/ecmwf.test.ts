import { describe, expect, it } from 'vitest';
import { exampleEcmwfName, parseEcmwfName } from './ecmwf.ts';
import { rejectionOf } from './testing.ts';

/** Builds an ECMWF dissemination name from analysis and valid `MMDDHHMM`. */
const ecmwfName = (analysis: string, valid: string): string => `S1D${analysis}${valid}1`;

describe('parseEcmwfName', () => {
  it('reads analysis and valid time in the year of the upload', () => {
    // Prepare
    const uploadedAt = new Date('2026-11-22T13:00:00Z');

    // Act
    const attributes = parseEcmwfName(exampleEcmwfName, uploadedAt);

    // Assess
    expect(attributes).toEqual({
      kind: 'forecast',
      convention: 'ecmwf-dissemination',
      stream: 'S1D',
      analysisTime: '2026-11-22T12:00:00.000Z',
      validTime: '2026-11-22T18:00:00.000Z',
    });
  });

  it('puts a 31 December analysis uploaded on 1 January in the previous year', () => {
    // Prepare
    const uploadedAt = new Date('2027-01-01T00:30:00Z');

    // Act
    const attributes = parseEcmwfName(ecmwfName('12311800', '12311800'), uploadedAt);

    // Assess
    expect(attributes.analysisTime).toBe('2026-12-31T18:00:00.000Z');
    expect(attributes.validTime).toBe('2026-12-31T18:00:00.000Z');
  });

  it('puts a 1 January analysis uploaded late on 31 December in the next year', () => {
    // Prepare
    const uploadedAt = new Date('2026-12-31T23:59:00Z');

    // Act
    const attributes = parseEcmwfName(ecmwfName('01010000', '01010600'), uploadedAt);

    // Assess
    expect(attributes.analysisTime).toBe('2027-01-01T00:00:00.000Z');
  });

  it('moves a valid time that crosses New Year into the next year', () => {
    // Prepare
    const uploadedAt = new Date('2026-12-31T19:00:00Z');

    // Act
    const attributes = parseEcmwfName(ecmwfName('12311800', '01010600'), uploadedAt);

    // Assess
    expect(attributes.analysisTime).toBe('2026-12-31T18:00:00.000Z');
    expect(attributes.validTime).toBe('2027-01-01T06:00:00.000Z');
  });

  it('accepts 29 February in a leap year', () => {
    // Act
    const attributes = parseEcmwfName(ecmwfName('02291200', '03011200'), new Date('2028-02-29T14:00:00Z'));

    // Assess
    expect(attributes.analysisTime).toBe('2028-02-29T12:00:00.000Z');
    expect(attributes.validTime).toBe('2028-03-01T12:00:00.000Z');
  });

  it('rejects month 13 in the analysis time and shows it', () => {
    // Prepare
    const name = ecmwfName('13011200', '13011800');

    // Act
    const error = rejectionOf(() => parseEcmwfName(name, new Date('2026-11-22T13:00:00Z')));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('Analysis time 13011200');
    expect(error.message).toContain('is not a real MMDDHHMM date');
  });

  it('rejects an impossible valid time and names the analysis it must follow', () => {
    // Act
    const error = rejectionOf(() =>
      parseEcmwfName(ecmwfName('11221200', '11311800'), new Date('2026-11-22T13:00:00Z')),
    );

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('Valid time 11311800');
    expect(error.message).toContain('at or after the analysis 11221200');
  });

  it.each([
    ['one digit short', 'S1D1122120011221800'],
    ['one digit long', 'S1D112212001122180011'],
    ['another stream', 'S2D11221200112218001'],
    ['no trailing 1', 'S1D11221200112218000'],
    ['an extension', 'S1D11221200112218001.grib2'],
    ['empty', ''],
  ])('rejects a name with %s and quotes an example', (_, name) => {
    // Act
    const error = rejectionOf(() => parseEcmwfName(name, new Date('2026-11-22T13:00:00Z')));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain(JSON.stringify(name));
    expect(error.message).toContain('expected S1D + analysis MMDDHHMM + valid MMDDHHMM + 1');
    expect(error.message).toContain(exampleEcmwfName);
  });
});
