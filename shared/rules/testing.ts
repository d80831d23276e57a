/**
 * Factories of the events the rules see, for the engine's tests and its benchmark: FCI chunks of
 * a repeat cycle, forecasts, uploads, products and rejections, all valid against the catalog.
 * Test tooling: no Lambda bundle imports it.
 */
import { Lanes } from '../config.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { fciChunkName } from '#shared/samples/provider-files.ts';

/** The targets the reference pipeline's deployment declares: its lanes. */
export const ReferenceTargets = Object.keys(Lanes);
/** What the reference rules load with: the reference lanes, against which stages and priorities resolve. */
export const ReferenceLoad = { targets: ReferenceTargets, lanes: Lanes } as const;

/** The reference rule file, parsed, not validated. */
export const referenceRuleFile = (): unknown =>
  JSON.parse(readFileSync(new URL('../../rules/reference-pipeline.json', import.meta.url), 'utf8')) as unknown;

const ARCHIVE = 'cometflow-archive-123456789012-eu-central-1';
const INBOX = 'cometflow-inbox-123456789012-eu-central-1';
const PRODUCTS = 'cometflow-products-123456789012-eu-central-1';

/** A deterministic lower-case SHA-256 of a text. */
export const sha256Of = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Where repeat cycle `cycle` (1..144) of `day` (YYYY-MM-DD) starts. */
export const cycleStartOf = (day: string, cycle: number): Date =>
  new Date(Date.parse(`${day}T00:00:00Z`) + (cycle - 1) * 600_000);

/** The cycle id of the FCI convention, `YYYYMMDD-NNN`. */
export const cycleIdOf = (day: string, cycle: number): string =>
  `${day.replaceAll('-', '')}-${String(cycle).padStart(3, '0')}`;

/** The FCI L1c file name of a chunk (41 = the trailer): the samples' one factory. */
export const fciName = fciChunkName;

/** Options of `chunkIngested`. */
export interface ChunkOptions {
  readonly day?: string;
  readonly cycle?: number;
  /** 1..40 body, 41 trailer. */
  readonly chunk: number;
  /** Event id. @default derived from cycle and chunk */
  readonly id?: string;
  /** Event time. @default the cycle's start plus 20 s per chunk */
  readonly time?: Date;
}

/** A `file.ingested` of one FCI chunk of a repeat cycle (default: 2026-11-22, cycle 61). */
export function chunkIngested(options: ChunkOptions): CometEvent<typeof EventTypes.fileIngested> {
  const day = options.day ?? '2026-11-22';
  const cycle = options.cycle ?? 61;
  const { chunk } = options;
  const name = fciName(day, cycle, chunk);
  const start = cycleStartOf(day, cycle);
  const sensingStart = new Date(start.getTime() + 7_000 + (chunk - 1) * 14_000);
  const size = 17_000_000 + chunk * 1_000;
  const cycleId = cycleIdOf(day, cycle);
  return wrap({
    type: EventTypes.fileIngested,
    source: 'cometflow/ingest',
    id: options.id ?? sha256Of(`ingested ${name}`).slice(0, 32),
    correlationId: `cycle-${cycleId}`,
    time: options.time ?? new Date(start.getTime() + 20_000 * chunk),
    subject: `eumetsat/${name}`,
    data: {
      source: { bucket: INBOX, key: `eumetsat/${name}`, size, etag: sha256Of(name).slice(0, 32) },
      ingested: { bucket: ARCHIVE, key: `eumetsat/${day.replaceAll('-', '/')}/${name}`, size, sha256: sha256Of(name) },
      provider: 'eumetsat',
      name,
      attributes: {
        kind: chunk === 41 ? 'imager-trailer' : 'imager-chunk',
        convention: 'mtg-fci-l1c',
        satellite: 'MTI1',
        processingLevel: '1C',
        repeatCycle: cycle,
        chunk,
        sensingStart: sensingStart.toISOString(),
        sensingEnd: new Date(sensingStart.getTime() + (chunk === 41 ? 546_000 : 13_000)).toISOString(),
        cycleId,
        cycleStart: start.toISOString(),
        cycleEnd: new Date(start.getTime() + 600_000).toISOString(),
      },
    },
  });
}

/** Options of `forecastIngested`. */
export interface ForecastOptions {
  readonly validTime: string;
  /** @default six hours before the valid time */
  readonly analysisTime?: string;
  readonly id?: string;
  /** @default the valid time minus five hours */
  readonly time?: Date;
}

/** A `file.ingested` of one ECMWF forecast file. */
export function forecastIngested(options: ForecastOptions): CometEvent<typeof EventTypes.fileIngested> {
  const valid = new Date(options.validTime);
  const analysis = new Date(options.analysisTime ?? valid.getTime() - 6 * 3600_000);
  const mmddhh = (date: Date): string => date.toISOString().slice(5, 13).replace(/[-T]/g, '');
  const name = `S1D${mmddhh(analysis)}00${mmddhh(valid)}001`;
  const size = 1_395_864_371;
  return wrap({
    type: EventTypes.fileIngested,
    source: 'cometflow/ingest',
    id: options.id ?? sha256Of(`ingested ${name}`).slice(0, 32),
    correlationId: `forecast-${analysis.toISOString()}`,
    time: options.time ?? new Date(valid.getTime() - 5 * 3600_000),
    subject: `ecmwf/${name}`,
    data: {
      source: { bucket: INBOX, key: `ecmwf/${name}`, size, etag: `${sha256Of(name).slice(0, 32)}-167` },
      ingested: {
        bucket: ARCHIVE,
        key: `ecmwf/${analysis.toISOString().slice(0, 10).replaceAll('-', '/')}/${name}`,
        size,
        sha256: sha256Of(`forecast ${name}`),
      },
      provider: 'ecmwf',
      name,
      attributes: {
        kind: 'forecast',
        convention: 'ecmwf-dissemination',
        stream: 'S1D',
        analysisTime: analysis.toISOString(),
        validTime: valid.toISOString(),
      },
    },
  });
}

/** A `file.available` of an upload of `size` bytes (a forecast above 1 GiB, a chunk below). */
export function fileAvailable(options: {
  readonly size: number;
  readonly key?: string;
  readonly id?: string;
}): CometEvent<typeof EventTypes.fileAvailable> {
  const name = options.key ?? fciName('2026-11-22', 61, 1);
  return wrap({
    type: EventTypes.fileAvailable,
    source: 'cometflow/intake',
    id: options.id ?? sha256Of(`available ${name} ${options.size}`).slice(0, 32),
    correlationId: 'cycle-20261122-061',
    time: new Date('2026-11-22T10:05:13.000Z'),
    subject: `eumetsat/${name}`,
    data: {
      file: { bucket: INBOX, key: `eumetsat/${name}`, size: options.size, etag: sha256Of(name).slice(0, 32) },
      provider: 'eumetsat',
      name,
      attributes: {
        kind: 'imager-chunk',
        convention: 'mtg-fci-l1c',
        satellite: 'MTI1',
        processingLevel: '1C',
        repeatCycle: 61,
        chunk: 1,
        sensingStart: '2026-11-22T10:00:07.000Z',
        sensingEnd: '2026-11-22T10:00:20.000Z',
        cycleId: '20261122-061',
        cycleStart: '2026-11-22T10:00:00.000Z',
        cycleEnd: '2026-11-22T10:10:00.000Z',
      },
    },
  });
}

/** A `product.generated` of a cycle's product. */
export function productGenerated(
  options: { readonly productId?: string; readonly id?: string } = {},
): CometEvent<typeof EventTypes.productGenerated> {
  const productId = options.productId ?? '70cf47380b9674f26bc8432dc68cdf0c';
  return wrap({
    type: EventTypes.productGenerated,
    source: 'cometflow/process',
    id: options.id ?? sha256Of(`product ${productId}`).slice(0, 32),
    correlationId: 'cycle-20261122-061',
    time: new Date('2026-11-22T10:16:26.161Z'),
    subject: productId,
    data: {
      productId,
      productType: 'fci-cycle-statistics',
      algorithm: 'byte-statistics',
      product: {
        bucket: PRODUCTS,
        key: `fci-cycle-statistics/${productId}.json`,
        size: 9871,
        sha256: sha256Of(productId),
      },
      manifest: { bucket: PRODUCTS, key: `fci-cycle-statistics/${productId}.manifest.json` },
      inputCount: 42,
    },
  });
}

/** A `file.rejected` of a bad upload. */
export function fileRejected(
  options: { readonly key?: string; readonly id?: string } = {},
): CometEvent<typeof EventTypes.fileRejected> {
  const key = options.key ?? 'eumetsat/not-a-chunk.nc';
  return wrap({
    type: EventTypes.fileRejected,
    source: 'cometflow/intake',
    id: options.id ?? sha256Of(`rejected ${key}`).slice(0, 32),
    correlationId: `upload-${key}`,
    time: new Date('2026-11-22T10:05:13.000Z'),
    data: {
      file: { bucket: INBOX, key, size: 12 },
      quarantine: { bucket: 'cometflow-quarantine-123456789012-eu-central-1', key },
      code: 'bad-name',
      reason: 'File name does not follow the MTG FCI L1c convention',
    },
  });
}

export { prng, shuffled } from '../testing/random.ts';
