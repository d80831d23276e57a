/**
 * State events as the stages publish them for sample files, for benchmarks and scenario tests:
 * `file.ingested` of an FCI chunk or an ECMWF forecast, with realistic names and attributes.
 */
import { createHash } from 'node:crypto';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { parseEcmwfName } from '../conventions/ecmwf.ts';
import { parseFciName } from '../conventions/mtg-fci.ts';
import { wrap } from '../envelope/envelope.ts';
import { ecmwfName, fciChunkName } from './provider-files.ts';

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** `file.ingested` of chunk `chunk` of repeat cycle `repeatCycle` on `day` (YYYYMMDD). */
export function chunkIngestedEvent(
  day: string,
  repeatCycle: number,
  chunk: number,
  size = 1_000_000,
): CometEvent<typeof EventTypes.fileIngested> {
  const name = fciChunkName(day, repeatCycle, chunk);
  const attributes = parseFciName(name);
  const archiveKey = `eumetsat/${day.slice(0, 4)}/${day.slice(4, 6)}/${day.slice(6, 8)}/${name}`;
  return wrap({
    type: EventTypes.fileIngested,
    source: 'cometflow/ingest',
    correlationId: `cycle-${attributes.cycleId}`,
    subject: `eumetsat/${name}`,
    data: {
      source: { bucket: 'cometflow-inbox', key: `eumetsat/${name}`, size, etag: digest(name).slice(0, 32) },
      ingested: { bucket: 'cometflow-archive', key: archiveKey, size, sha256: digest(`content of ${name}`) },
      provider: 'eumetsat',
      name,
      attributes,
    },
  });
}

/** `file.ingested` of the forecast analysed at `analysis` and valid `validHours` later. */
export function forecastIngestedEvent(
  analysis: Date,
  validHours: number,
  size = 1_300_000_000,
): CometEvent<typeof EventTypes.fileIngested> {
  const name = ecmwfName(analysis, validHours);
  const attributes = parseEcmwfName(name, analysis);
  const date = analysis.toISOString();
  return wrap({
    type: EventTypes.fileIngested,
    source: 'cometflow/ingest',
    correlationId: `forecast-${attributes.analysisTime}`,
    subject: `ecmwf/${name}`,
    data: {
      source: { bucket: 'cometflow-inbox', key: `ecmwf/${name}`, size, etag: `${digest(name).slice(0, 32)}-160` },
      ingested: {
        bucket: 'cometflow-archive',
        key: `ecmwf/${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/${name}`,
        size,
        sha256: digest(`content of ${name}`),
      },
      provider: 'ecmwf',
      name,
      attributes,
    },
  });
}
