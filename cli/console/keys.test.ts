import { describe, expect, it } from 'vitest';
import { ecmwfName, fciChunkName } from '../../shared/samples/provider-files.ts';
import { chunkOfKey, correlationOfKey } from './keys.ts';
import { parsePort } from './command.ts';

describe('keys', () => {
  it('correlates a chunk by its cycle and a forecast by its run, with or without the provider prefix', () => {
    const chunk = fciChunkName('20261122', 61, 7);
    expect(correlationOfKey(chunk)).toBe('cycle-20261122-061');
    expect(correlationOfKey(`eumetsat/${chunk}`)).toBe('cycle-20261122-061');
    expect(chunkOfKey(chunk)).toBe(7);
    const forecast = ecmwfName(new Date(Date.UTC(2026, 10, 22)), 6);
    expect(correlationOfKey(`ecmwf/${forecast}`, new Date(Date.UTC(2026, 10, 22, 8)))).toMatch(
      /^forecast-2026-11-22T00:00:00/,
    );
    expect(chunkOfKey(`ecmwf/${forecast}`)).toBeUndefined();
  });

  it('knows no correlation for a name no convention reads', () => {
    expect(correlationOfKey('<script>alert(1)</script>')).toBeUndefined();
    expect(correlationOfKey('nasa/granule.h5')).toBeUndefined();
  });
});

describe('parsePort', () => {
  it('takes 0..65535 and refuses anything else', () => {
    expect(parsePort(undefined)).toBe(0);
    expect(parsePort('8080')).toBe(8080);
    for (const bad of ['-1', '65536', 'http', '80.5', true] as const)
      expect(() => parsePort(bad)).toThrow(/not a port/);
  });
});
