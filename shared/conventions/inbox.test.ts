import { describe, expect, it } from 'vitest';
import { exampleEcmwfName } from './ecmwf.ts';
import { formatOf, identifyInboxKey } from './inbox.ts';
import { exampleFciName } from './mtg-fci.ts';
import { rejectionOf } from './testing.ts';

const uploadedAt = new Date('2026-11-22T13:00:00Z');

describe('identifyInboxKey', () => {
  it('identifies an EUMETSAT chunk as HDF5 imager data', () => {
    // Act
    const file = identifyInboxKey(`eumetsat/${exampleFciName}`, uploadedAt);

    // Assess
    expect(file.provider).toBe('eumetsat');
    expect(file.name).toBe(exampleFciName);
    expect(file.attributes.kind).toBe('imager-chunk');
    expect(formatOf(file.attributes)).toBe('hdf5');
  });

  it('identifies an ECMWF forecast as GRIB2 and dates it by the upload', () => {
    // Act
    const file = identifyInboxKey(`ecmwf/${exampleEcmwfName}`, uploadedAt);

    // Assess
    expect(file.provider).toBe('ecmwf');
    expect(file.name).toBe(exampleEcmwfName);
    expect(file.attributes).toMatchObject({ kind: 'forecast', analysisTime: '2026-11-22T12:00:00.000Z' });
    expect(formatOf(file.attributes)).toBe('grib2');
  });

  it('rejects an unknown provider and lists the known prefixes', () => {
    // Act
    const error = rejectionOf(() => identifyInboxKey(`noaa/${exampleEcmwfName}`, uploadedAt));

    // Assess
    expect(error.code).toBe('unknown-provider');
    expect(error.message).toContain('"noaa/S1D11221200112218001"');
    expect(error.message).toContain('expected one of eumetsat/, ecmwf/');
  });

  it('rejects a key at the top of the inbox as having no provider', () => {
    // Act
    const error = rejectionOf(() => identifyInboxKey(exampleEcmwfName, uploadedAt));

    // Assess
    expect(error.code).toBe('unknown-provider');
  });

  it('does not take a provider name in another case', () => {
    // Act
    const error = rejectionOf(() => identifyInboxKey(`ECMWF/${exampleEcmwfName}`, uploadedAt));

    // Assess
    expect(error.code).toBe('unknown-provider');
  });

  it('rejects a nested key', () => {
    // Act
    const error = rejectionOf(() => identifyInboxKey(`ecmwf/2026/${exampleEcmwfName}`, uploadedAt));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('"ecmwf/2026/S1D11221200112218001"');
    expect(error.message).toContain('expected ecmwf/<file name>');
  });

  it('rejects a key with an empty file name', () => {
    // Act
    const error = rejectionOf(() => identifyInboxKey('eumetsat/', uploadedAt));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('expected eumetsat/<file name>');
  });

  it('rejects a name that breaks the provider convention with bad-name', () => {
    // Act
    const error = rejectionOf(() => identifyInboxKey(`eumetsat/${exampleEcmwfName}`, uploadedAt));

    // Assess
    expect(error.code).toBe('bad-name');
    expect(error.message).toContain('MTG FCI L1c convention');
  });
});
