/**
 * The MTG FCI Level-1c file-name convention (EUMETSAT WMO-style names), for example
 * `W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+FCI-1C-RRAD-FDHSI-FD--CHK-BODY---NC4E_C_EUMT_20261122101509_IDPFI_OPE_20261122101007_20261122101017_N_JLS_C_0061_0001.nc`:
 * creation time, then sensing start and end, then the repeat cycle of the day (0001-0144) and
 * the chunk (0001-0040 for the body, 0041 for the trailer).
 */
import type { FileAttributes } from '#events/registry.ts';
import { FileRejectedError } from './rejection.ts';

const pattern = new RegExp(
  '^W_XX-EUMETSAT-Darmstadt,IMG\\+SAT,(?<satellite>MTI[1-4])\\+FCI-(?<level>1C)-RRAD-(?<mode>FDHSI|HRFI)-(?<coverage>FD|Q4)--' +
    'CHK-(?<part>BODY|TRAIL)---NC4E_C_EUMT_(?<created>\\d{14})_IDPFI_(?<environment>OPE|VAL|TEST|DEV)_' +
    '(?<start>\\d{14})_(?<end>\\d{14})_N_(?<timeliness>JLS|__)_C_(?<cycle>\\d{4})_(?<chunk>\\d{4})\\.nc$',
);

/** An example of a valid name, quoted in error messages. */
export const exampleFciName =
  'W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+FCI-1C-RRAD-FDHSI-FD--CHK-BODY---NC4E_C_EUMT_20261122101509_IDPFI_OPE_20261122101007_20261122101017_N_JLS_C_0061_0001.nc';

/** True when an EUMETSAT name claims to be an FCI file (the instrument field), as `looksLikeLiName` for LI. */
export const looksLikeFciName = (name: string): boolean => name.includes('+FCI-');

/** The number of body chunks of a full-disc repeat cycle; the trailer is chunk 41. */
export const BODY_CHUNKS = 40;
export const TRAILER_CHUNK = 41;
/** A full-disc repeat cycle lasts 10 minutes: 144 per day. */
export const REPEAT_CYCLE_MINUTES = 10;

/** Parses `YYYYMMDDhhmmss` as UTC, or undefined when it is not a real instant. */
export function parseCompactUtc(text: string): Date | undefined {
  const [y, mo, d, h, mi, s] = [
    text.slice(0, 4),
    text.slice(4, 6),
    text.slice(6, 8),
    text.slice(8, 10),
    text.slice(10, 12),
    text.slice(12, 14),
  ].map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const roundTrips =
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === s;
  return roundTrips ? date : undefined;
}

/**
 * Parses an FCI L1c chunk name; throws `FileRejectedError('bad-name')` saying which part is wrong.
 *
 * @example
 * parseFciName(exampleFciName).repeatCycle // 61
 */
export function parseFciName(name: string): Extract<FileAttributes, { convention: 'mtg-fci-l1c' }> {
  const match = pattern.exec(name);
  if (match?.groups === undefined) {
    throw new FileRejectedError(
      'bad-name',
      `File name ${JSON.stringify(name)} does not follow the MTG FCI L1c convention; expected a name like ${exampleFciName}`,
    );
  }
  const g = match.groups as Record<string, string>;
  const start = parseCompactUtc(g.start!);
  const end = parseCompactUtc(g.end!);
  if (start === undefined || end === undefined || parseCompactUtc(g.created!) === undefined) {
    throw new FileRejectedError(
      'bad-name',
      `File name ${JSON.stringify(name)} carries an impossible timestamp (creation ${g.created}, sensing ${g.start} to ${g.end}); expected YYYYMMDDhhmmss in UTC`,
    );
  }
  if (end < start) {
    throw new FileRejectedError(
      'bad-name',
      `File name ${JSON.stringify(name)} ends sensing (${g.end}) before it starts (${g.start})`,
    );
  }
  const repeatCycle = Number(g.cycle);
  if (repeatCycle < 1 || repeatCycle > 144) {
    throw new FileRejectedError(
      'bad-name',
      `Repeat cycle ${g.cycle} in ${JSON.stringify(name)} is out of range; expected 0001 to 0144`,
    );
  }
  const chunk = Number(g.chunk);
  const trailer = g.part === 'TRAIL';
  if (trailer ? chunk !== TRAILER_CHUNK : chunk < 1 || chunk > BODY_CHUNKS) {
    throw new FileRejectedError(
      'bad-name',
      trailer
        ? `Trailer ${JSON.stringify(name)} has chunk ${g.chunk}; expected 0041`
        : `Body chunk ${g.chunk} in ${JSON.stringify(name)} is out of range; expected 0001 to 0040`,
    );
  }
  const day = g.start!.slice(0, 8);
  const cycleStart = new Date(
    Date.UTC(
      Number(day.slice(0, 4)),
      Number(day.slice(4, 6)) - 1,
      Number(day.slice(6, 8)),
      0,
      (repeatCycle - 1) * REPEAT_CYCLE_MINUTES,
    ),
  );
  return {
    kind: trailer ? 'imager-trailer' : 'imager-chunk',
    convention: 'mtg-fci-l1c',
    satellite: g.satellite!,
    processingLevel: g.level!,
    repeatCycle,
    chunk,
    sensingStart: start.toISOString(),
    sensingEnd: end.toISOString(),
    cycleId: `${day}-${String(repeatCycle).padStart(3, '0')}`,
    cycleStart: cycleStart.toISOString(),
    cycleEnd: new Date(cycleStart.getTime() + REPEAT_CYCLE_MINUTES * 60_000).toISOString(),
  };
}
