/**
 * Builds provider files that follow the real conventions, for the demo, the integration suite
 * and the benchmarks: MTG FCI L1c chunks and LI Level-2 files (HDF5 files) and ECMWF forecasts (GRIB2).
 * Content is deterministic in a seed, so the same call yields the same bytes.
 */
import { buildGrib2, buildHdf5 } from './format-files.ts';

/** A file to upload: its inbox key and its bytes. */
export interface ProviderFileSample {
  readonly key: string;
  readonly body: Buffer;
}

const compact = (date: Date): string => date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
const mmddhhmm = (date: Date): string => date.toISOString().replace(/[-:T]/g, '').slice(4, 12);

/**
 * The name of an FCI L1c chunk of a repeat cycle (chunk 41 is the trailer); the one factory of
 * FCI names for samples, tests, the demo and the benchmarks. `day` is `YYYYMMDD` or
 * `YYYY-MM-DD`. The cycle starts `(repeatCycle - 1) * 10` minutes after midnight; body chunk `n`
 * is sensed for 13 s from `7 + (n - 1) * 14` s into it, the trailer covers the cycle's 546 s of
 * scanning, and each file is created 292 s after its sensing ends.
 */
export function fciChunkName(day: string, repeatCycle: number, chunk: number): string {
  const digits = day.replaceAll('-', '');
  const cycleStart = new Date(
    Date.parse(`${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T00:00:00Z`) +
      (repeatCycle - 1) * 600_000,
  );
  const start = new Date(cycleStart.getTime() + 7_000 + (chunk - 1) * 14_000);
  const end = new Date(start.getTime() + (chunk === 41 ? 546_000 : 13_000));
  const created = new Date(end.getTime() + 292_000);
  const part = chunk === 41 ? 'TRAIL' : 'BODY';
  return `W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+FCI-1C-RRAD-FDHSI-FD--CHK-${part}---NC4E_C_EUMT_${compact(created)}_IDPFI_OPE_${compact(start)}_${compact(end)}_N_JLS_C_${String(repeatCycle).padStart(4, '0')}_${String(chunk).padStart(4, '0')}.nc`;
}

/** An FCI chunk: an HDF5 file (superblock, root group, deterministic data bytes). */
export function fciChunk(day: string, repeatCycle: number, chunk: number, size = 64 * 1024): ProviderFileSample {
  // The day is part of the seed: two cycles of different days never carry the same bytes.
  const body = buildHdf5(size, (Number(day) % 1_000_000) * 1000 + repeatCycle * 100 + chunk);
  return { key: `eumetsat/${fciChunkName(day, repeatCycle, chunk)}`, body };
}

/** The name of an ECMWF forecast: `S1D` + analysis MMDDHHMM + valid MMDDHHMM + `1`. */
export function ecmwfName(analysis: Date, validHours: number): string {
  return `S1D${mmddhhmm(analysis)}${mmddhhmm(new Date(analysis.getTime() + validHours * 3_600_000))}1`;
}

/** A forecast: `messages` GRIB2 messages of `messageBytes` each, for its analysis time and step. */
export function ecmwfForecast(
  analysis: Date,
  validHours: number,
  messages = 4,
  messageBytes = 32 * 1024,
): ProviderFileSample {
  const body = buildGrib2(messages, messageBytes, validHours + 7, { reference: analysis, stepHours: validHours });
  return { key: `ecmwf/${ecmwfName(analysis, validHours)}`, body };
}

/**
 * The name of an LI Level-2 file of `productType` whose 30 s window starts at `start` (a
 * multiple of 30 s): repeat cycle and count follow from the start, created 30 s after its end.
 */
export function liFileName(productType: string, start: Date, satellite = 'MTI1'): string {
  const end = new Date(start.getTime() + 30_000);
  const created = new Date(end.getTime() + 30_000);
  const minuteOfDay = start.getUTCHours() * 60 + start.getUTCMinutes();
  const repeatCycle = Math.floor(minuteOfDay / 10) + 1;
  const count = Math.floor(((minuteOfDay % 10) * 60 + start.getUTCSeconds()) / 30) + 1;
  return (
    `W_XX-EUMETSAT-Darmstadt,IMG+SAT,${satellite}+LI-2-${productType}--FD--CHK-BODY---NC4E_C_EUMT_${compact(created)}_L2PF_OPE_` +
    `${compact(start)}_${compact(end)}_N__T_${String(repeatCycle).padStart(4, '0')}_${String(count).padStart(4, '0')}.nc`
  );
}

/** An LI Level-2 file: an HDF5 file whose data bytes are seeded by its window, type and satellite. */
export function liFile(productType: string, start: Date, size = 16 * 1024, satellite = 'MTI1'): ProviderFileSample {
  // Seeds stay below 2^31 and differ per window, per type and per satellite.
  const seed =
    (Math.floor(start.getTime() / 30_000) % 10_000_000) * 100 +
    productType.charCodeAt(0) +
    productType.length * 31 +
    Number(satellite.slice(3));
  const body = buildHdf5(size, seed);
  return { key: `eumetsat/${liFileName(productType, start, satellite)}`, body };
}
