import { describe, expect, it } from 'vitest';
import type { OperationCount } from '../local/faults/proxy.ts';
import { dynamoDbUnits } from './cost.ts';
import { faultRules, quantile } from './harness.ts';
import { parseBytes, parseOptions, usage, OptionHelp } from './run.ts';
import { parseLiName } from '#shared/conventions/mtg-li.ts';
import { AbandonedChunks, DegradedMissing, planTraffic, StreamedBytes } from './traffic.ts';

const plan = (minutes: number, overrides: Partial<Parameters<typeof planTraffic>[0]> = {}) =>
  planTraffic({
    durationMs: minutes * 60_000,
    compression: 60,
    chunkBytes: 4096,
    forecastBytes: 6 * 1024 * 1024,
    day: '20261001',
    seed: 7,
    ...overrides,
  });

describe('traffic plan', () => {
  it('sends one valid Lightning Imager file per stream and compressed 30 s window, each its own correlation', () => {
    // Act: two minutes at compression 60 are 120 compressed minutes, 240 windows.
    const { uploads } = plan(2, { lightningStreams: 2 });

    // Assess
    const lightning = uploads.filter((u) => u.lightning !== undefined && u.expect === 'accepted');
    expect(lightning).toHaveLength(2 * 240);
    for (const upload of lightning) {
      const attributes = parseLiName(upload.key.slice('eumetsat/'.length));
      expect(attributes.stream).toBe(upload.lightning!.stream);
      expect(attributes.sensingStart).toBe(upload.lightning!.sensingStart);
    }
    expect(new Set(lightning.map((u) => u.lightning!.correlationId)).size).toBe(lightning.length);
    expect(new Set(lightning.map((u) => u.lightning!.stream))).toEqual(new Set(['mti1-li-lfl', 'mti1-li-af']));
    expect(plan(1, { lightningStreams: 0 }).uploads.some((u) => u.lightning !== undefined)).toBe(false);
  });

  it('sends a complete cycle whole, a degraded one but three chunks (one later), ten of an abandoned one', () => {
    // Act
    const { uploads, cycles } = plan(2);

    // Assess
    expect(cycles).toHaveLength(12);
    for (const cycle of cycles) {
      const mine = uploads.filter((u) => u.cycleId === cycle.id && u.expect === 'accepted');
      const onTime = mine.filter((u) => u.lateAfterDeadline !== true);
      const expected =
        cycle.fate === 'complete' ? 41 : cycle.fate === 'degraded' ? 41 - DegradedMissing.length : AbandonedChunks;
      expect(new Set(onTime.map((u) => u.key)).size).toBe(expected);
      expect(mine.filter((u) => u.lateAfterDeadline === true)).toHaveLength(cycle.fate === 'degraded' ? 1 : 0);
    }
    expect(cycles.map((c) => c.fate)).toContain('degraded');
    expect(cycles.map((c) => c.fate)).toContain('abandoned');
  });

  it('uploads a tenth of the accepted files twice, a forecast set of 12, bad files too, in time order', () => {
    // Act
    const { uploads } = plan(3);

    // Assess
    const accepted = uploads.filter((u) => u.expect === 'accepted').length;
    const duplicates = uploads.filter((u) => u.expect === 'duplicate');
    expect(duplicates.length / accepted).toBeGreaterThan(0.05);
    expect(duplicates.length / accepted).toBeLessThan(0.15);
    for (const d of duplicates)
      expect(uploads.some((u) => u.key === d.key && u.expect === 'accepted' && u.atMs < d.atMs)).toBe(true);
    expect(uploads.filter((u) => u.key.startsWith('ecmwf/') && u.expect === 'accepted')).toHaveLength(12);
    expect(uploads.filter((u) => u.expect === 'quarantined').length).toBeGreaterThan(5);
    expect(uploads.map((u) => u.atMs)).toEqual([...uploads.map((u) => u.atMs)].sort((a, b) => a - b));
  });

  it('streams forecasts above 64 MiB instead of building them in memory', () => {
    // Act
    const { uploads } = plan(1, { forecastBytes: 1.3e9 });
    const forecast = uploads.find((u) => u.key.startsWith('ecmwf/') && u.expect === 'accepted')!;

    // Assess
    expect(forecast.size).toBeGreaterThan(StreamedBytes);
    expect(forecast.stream).toBeDefined();
    expect(() => forecast.body()).toThrow(/streamed/);
  });
});

describe('options', () => {
  it('documents every option in --help and parses the defaults', () => {
    // Act
    const { options } = parseOptions([]);

    // Assess
    for (const name of Object.keys(OptionHelp)) expect(usage()).toContain(`--${name}`);
    expect(options).toMatchObject({
      minutes: 3,
      compression: 60,
      faultRate: 0.02,
      forecastBytes: 6 * 1024 * 1024,
      faults: true,
    });
  });

  it('rejects an out-of-range rate and a malformed size, naming them', () => {
    expect(() => parseOptions(['--fault-rate', '2'])).toThrow(/--fault-rate 2 is out of range/);
    expect(() => parseBytes('big')).toThrow(/"big" is not a size/);
    expect(parseBytes('1.3GB')).toBe(1_300_000_000);
  });
});

describe('figures', () => {
  it('derives every API fault from the base rate, none at rate 0', () => {
    expect(faultRules(0)).toEqual([]);
    expect(faultRules(0.04).map((r) => [r.kind, r.rate])).toEqual([
      ['throttle', 0.04],
      ['server-error', 0.02],
      ['reset', 0.01],
      ['reset-after', 0.01],
      ['latency', 0.04],
    ]);
  });

  it('takes nearest-rank quantiles', () => {
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(
      quantile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBe(99);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('counts two write units per transactional item and one per small write, none for a refused call', () => {
    // Prepare
    const count = (calls: number, extra: Partial<OperationCount>): OperationCount => ({
      calls,
      faults: {},
      bytesIn: 0,
      bytesOut: 0,
      items: 0,
      ...extra,
    });

    // Act
    const units = dynamoDbUnits({
      'dynamodb.TransactWriteItems': count(2, { items: 5 }),
      'dynamodb.PutItem': count(3, { bytesIn: 900, faults: { throttle: 1 } }),
      'dynamodb.GetItem': count(4, { bytesOut: 100 }),
    });

    // Assess
    expect(units).toEqual({ wru: 10 + 2, rru: 4 });
  });
});
