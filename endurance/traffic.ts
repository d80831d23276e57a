/**
 * The compressed facility day: what the providers upload and when, and what the pipeline must
 * make of it. Pure: a plan from options and a seed, no I/O. FCI repeat cycles (41 chunks, one
 * cycle per compressed 10 minutes) arrive shuffled, some chunks a cycle late, a tenth of all
 * uploads twice; a forecast set (12 files) arrives per compressed 6 hours; some cycles are
 * incomplete (degraded or abandoned expected) and some files are bad (quarantine expected).
 * Lightning Imager streams send one file per compressed 30 s window each (the real-time lane,
 * one product per file, in sensing order to the ordered subscriber), a few passing each other.
 */
import { HDF5_SIGNATURE } from '#shared/formats/signatures.ts';
import {
  ecmwfForecast,
  ecmwfName,
  fciChunk,
  fciChunkName,
  liFile,
  liFileName,
} from '#shared/samples/provider-files.ts';
import { LI_WINDOW_SECONDS, liCorrelationOf, liStreamOf } from '#shared/conventions/mtg-li.ts';
import type { Readable } from 'node:stream';
import { grib2Stream } from '#shared/samples/grib2-stream.ts';
import { prng } from '#shared/testing/random.ts';

/** What the pipeline must do with an upload. */
export type Expectation = 'accepted' | 'duplicate' | 'quarantined';

/** One upload of the plan. */
export interface PlannedUpload {
  /** Milliseconds after the start of the traffic. */
  readonly atMs: number;
  readonly key: string;
  readonly expect: Expectation;
  /** The cycle a chunk belongs to (`cycle-<day>-<NNN>`). */
  readonly cycleId?: string;
  /** Builds the bytes when the upload is due. */
  readonly body: () => Buffer;
  /** For a large file: its bytes as a stream instead, made while it uploads (a 1.3 GB file is never in memory). */
  readonly stream?: () => Readable;
  readonly size: number;
  /** Why a bad file is bad, as quarantine should say (its `code`). */
  readonly badCode?: string;
  /** Held back until the cycle was processed in degraded mode: `input.late` expected. */
  readonly lateAfterDeadline?: boolean;
  /** A Lightning Imager file: its stream, window start and correlation id (one product expected). */
  readonly lightning?: { readonly stream: string; readonly sensingStart: string; readonly correlationId: string };
}

/** What a cycle should become. */
export type CycleFate = 'complete' | 'degraded' | 'abandoned';

/** One planned repeat cycle. */
export interface PlannedCycle {
  readonly id: string;
  readonly day: string;
  readonly repeatCycle: number;
  readonly fate: CycleFate;
  /** The chunk numbers that will arrive before the deadline. */
  readonly chunks: readonly number[];
}

/** Options of `planTraffic`. */
export interface TrafficOptions {
  /** Real duration of the traffic, in ms. */
  readonly durationMs: number;
  /** Compressed minutes per real minute. */
  readonly compression: number;
  readonly chunkBytes: number;
  readonly forecastBytes: number;
  /** The first day of the traffic (`yyyymmdd`): a past day, so deadlines are the scheduler's minimum wait. */
  readonly day: string;
  readonly seed: number;
  /** Forecast sets (from the first) of `forecastBytes`; later ones are small. @default - every set */
  readonly largeSets?: number;
  /** Share of accepted uploads sent twice. @default 0.1 */
  readonly duplicateShare?: number;
  /** Lightning Imager streams (LI product types, from `LiStreamTypes`), one file per 30 s window each. @default 1 */
  readonly lightningStreams?: number;
}

/** The whole plan. */
export interface TrafficPlan {
  readonly uploads: readonly PlannedUpload[];
  readonly cycles: readonly PlannedCycle[];
}

/** A cycle misses these chunks when it is to be degraded (38 of 41 arrive, above the 80 % floor). */
export const DegradedMissing = [7, 21, 38] as const;
/** An abandoned cycle gets only its first chunks (10 of 41, under the 80 % floor). */
export const AbandonedChunks = 10;
const FORECASTS_PER_SET = 12;
const GRIB_MESSAGE_BYTES = 256 * 1024;
/** The size of the forecasts of the sets after `largeSets`. */
export const SmallForecastBytes = 6 * 1024 * 1024;
/** Above this size a forecast is streamed, in messages of 8 MiB. */
export const StreamedBytes = 64 * 1024 * 1024;
const STREAMED_MESSAGE_BYTES = 8 * 1024 * 1024;

/** The LI product types of the lightning streams, in the order `lightningStreams` takes them. */
export const LiStreamTypes = ['LFL', 'AF', 'LGR', 'LEF'] as const;
const LI_BYTES = 16 * 1024;

/** The fate of the cycle with index `index`: a few degraded and abandoned ones, the rest complete. */
export function fateOf(index: number): CycleFate {
  if (index % 7 === 3) return 'degraded';
  if (index % 11 === 5) return 'abandoned';
  return 'complete';
}

const addDays = (day: string, days: number): string => {
  const date = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)) + days));
  return date.toISOString().slice(0, 10).replace(/-/g, '');
};
const dayStart = (day: string): Date => new Date(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T00:00:00Z`);

/** A forecast of `bytes` (rounded to whole GRIB2 messages), valid `validHours` after `analysis`. */
function forecastUpload(atMs: number, analysis: Date, validHours: number, bytes: number): PlannedUpload {
  const key = `ecmwf/${ecmwfName(analysis, validHours)}`;
  if (bytes > StreamedBytes) {
    const messages = Math.round(bytes / STREAMED_MESSAGE_BYTES);
    const make = () => grib2Stream({ messages, messageBytes: STREAMED_MESSAGE_BYTES, seed: validHours + 7 });
    return {
      atMs,
      key,
      expect: 'accepted',
      size: messages * STREAMED_MESSAGE_BYTES,
      body: () => {
        throw new Error(`${key} is streamed`);
      },
      stream: () => make().stream,
    };
  }
  const messages = Math.max(1, Math.round(bytes / GRIB_MESSAGE_BYTES));
  return {
    atMs,
    key,
    expect: 'accepted',
    size: messages * GRIB_MESSAGE_BYTES,
    body: () => ecmwfForecast(analysis, validHours, messages, GRIB_MESSAGE_BYTES).body,
  };
}

/** Plans the traffic of a run. */
export function planTraffic(options: TrafficOptions): TrafficPlan {
  const random = prng(options.seed);
  const msPerCompressedMinute = 60_000 / options.compression;
  const cyclePeriodMs = 10 * msPerCompressedMinute;
  const cycleCount = Math.max(1, Math.floor(options.durationMs / cyclePeriodMs));
  const uploads: PlannedUpload[] = [];
  const cycles: PlannedCycle[] = [];

  // Forecast sets: one per compressed 6 hours, analysis times 00, 06, 12, 18 of the cycles' days,
  // each file valid every 3 hours from its analysis time, so every cycle has one within 3 h.
  const setPeriodMs = 360 * msPerCompressedMinute;
  for (let set = 0; set * setPeriodMs < options.durationMs || set === 0; set += 1) {
    const analysis = new Date(
      dayStart(addDays(options.day, Math.floor(set / 4))).getTime() + (set % 4) * 6 * 3_600_000,
    );
    for (let f = 0; f < FORECASTS_PER_SET; f += 1) {
      // The set arrives over its first compressed 10 minutes, before the cycles that need it close.
      uploads.push(
        forecastUpload(
          set * setPeriodMs + Math.floor((f / FORECASTS_PER_SET) * cyclePeriodMs * 0.5),
          analysis,
          f * 3,
          set < (options.largeSets ?? Infinity) ? options.forecastBytes : SmallForecastBytes,
        ),
      );
    }
  }

  for (let index = 0; index < cycleCount; index += 1) {
    const day = addDays(options.day, Math.floor(index / 144));
    const repeatCycle = (index % 144) + 1;
    const id = `cycle-${day}-${String(repeatCycle).padStart(3, '0')}`;
    const fate = fateOf(index);
    const all = Array.from({ length: 41 }, (_, i) => i + 1);
    const arriving =
      fate === 'degraded'
        ? all.filter((c) => !(DegradedMissing as readonly number[]).includes(c))
        : fate === 'abandoned'
          ? all.slice(0, AbandonedChunks)
          : all;
    cycles.push({ id, day, repeatCycle, fate, chunks: arriving });
    const start = index * cyclePeriodMs;
    for (const chunk of arriving) {
      // Out of order within the cycle; one chunk in twenty a whole cycle late (still before the deadline).
      const late = random() < 0.05 ? cyclePeriodMs : 0;
      const atMs = Math.floor(start + random() * cyclePeriodMs * 0.8 + late);
      const size = options.chunkBytes;
      uploads.push({
        atMs,
        key: `eumetsat/${fciChunkName(day, repeatCycle, chunk)}`,
        expect: 'accepted',
        cycleId: id,
        size,
        body: () => fciChunk(day, repeatCycle, chunk, size).body,
      });
    }
    if (fate === 'degraded') {
      // One missing chunk arrives after the cycle was processed without it.
      const chunk = DegradedMissing[0];
      uploads.push({
        atMs: start,
        key: `eumetsat/${fciChunkName(day, repeatCycle, chunk)}`,
        expect: 'accepted',
        cycleId: id,
        size: options.chunkBytes,
        body: () => fciChunk(day, repeatCycle, chunk, options.chunkBytes).body,
        lateAfterDeadline: true,
      });
    }
    // Bad files, one of three kinds in turn, for two cycles in three.
    if (index % 3 !== 2) uploads.push(badFile(index, start + Math.floor(random() * cyclePeriodMs), day));
  }

  // Lightning: one file per stream and compressed 30 s window, from the first day's 00:00; one in
  // ten is held up to a window, so that it passes its successor on the way.
  const windowMs = LI_WINDOW_SECONDS * (1000 / options.compression);
  const streams = LiStreamTypes.slice(0, Math.max(0, Math.min(LiStreamTypes.length, options.lightningStreams ?? 1)));
  for (let window = 0; window * windowMs < options.durationMs; window += 1) {
    const start = new Date(dayStart(options.day).getTime() + window * LI_WINDOW_SECONDS * 1000);
    for (const type of streams) {
      const key = `eumetsat/${liFileName(type, start)}`;
      const stream = liStreamOf('MTI1', type);
      const sensingStart = start.toISOString();
      uploads.push({
        atMs: Math.floor(window * windowMs + (random() < 0.1 ? random() * windowMs * 1.5 : 0)),
        key,
        expect: 'accepted',
        size: LI_BYTES,
        body: () => liFile(type, start, LI_BYTES).body,
        lightning: { stream, sensingStart, correlationId: liCorrelationOf({ stream, sensingStart }) },
      });
    }
  }

  // A tenth of the accepted uploads again, same bytes, a few seconds later (a provider's retry).
  const share = options.duplicateShare ?? 0.1;
  const accepted = uploads.filter((u) => u.expect === 'accepted' && u.lateAfterDeadline !== true);
  for (const upload of accepted) {
    if (random() < share)
      uploads.push({ ...upload, expect: 'duplicate', atMs: upload.atMs + 2000 + Math.floor(random() * 5000) });
  }
  uploads.sort((a, b) => a.atMs - b.atMs);
  return { uploads, cycles };
}

/** A bad file: a name breaking the convention, an imager chunk without its signature, a broken GRIB2. */
function badFile(index: number, atMs: number, day: string): PlannedUpload {
  switch (index % 3) {
    case 0:
      return {
        atMs,
        key: `eumetsat/operator-note-${day}-${index}.txt`,
        expect: 'quarantined',
        badCode: 'bad-name',
        size: 14,
        body: () => Buffer.from('not a product\n'),
      };
    case 1: {
      // A chunk of a cycle of a day no plan uses (a year earlier), so its slot is never expected.
      const otherDay = addDays(day, -365);
      return {
        atMs,
        key: `eumetsat/${fciChunkName(otherDay, (index % 144) + 1, 3)}`,
        expect: 'quarantined',
        badCode: 'bad-signature',
        size: 4096,
        body: () => {
          const body = fciChunk(otherDay, (index % 144) + 1, 3, 4096).body;
          body.fill(0, 0, HDF5_SIGNATURE.length);
          return body;
        },
      };
    }
    default: {
      // A ten-day forecast (valid hours no set uses) without its end marker.
      const analysis = dayStart(day);
      return {
        atMs,
        key: `ecmwf/${ecmwfName(analysis, 240 + index)}`,
        expect: 'quarantined',
        size: 2 * 4096,
        body: () => {
          const { body } = ecmwfForecast(analysis, 240 + index, 2, 4096);
          body.write('0000', body.length - 4, 'ascii');
          return body;
        },
      };
    }
  }
}
