/**
 * The ECMWF dissemination file-name convention: `S1D` + analysis time `MMDDHHMM` + valid time
 * `MMDDHHMM` + `1`, for example `S1D11221200112218001`. The names carry no year: it is taken
 * from the upload time, choosing the year that puts the analysis nearest to it (a run analysed
 * on 31 December and uploaded on 1 January belongs to the previous year).
 */
import type { FileAttributes } from '#events/registry.ts';
import { FileRejectedError } from './rejection.ts';

const pattern = /^(?<stream>S1D)(?<analysis>\d{8})(?<valid>\d{8})1$/;

/** An example of a valid name, quoted in error messages. */
export const exampleEcmwfName = 'S1D11221200112218001';

function monthDayTime(text: string, year: number): Date | undefined {
  const [mo, d, h, mi] = [text.slice(0, 2), text.slice(2, 4), text.slice(4, 6), text.slice(6, 8)].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi));
  const ok =
    date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getUTCHours() === h && date.getUTCMinutes() === mi;
  return ok ? date : undefined;
}

const nearest = (text: string, around: Date): Date | undefined => {
  const year = around.getUTCFullYear();
  const candidates = [year - 1, year, year + 1]
    .map((y) => monthDayTime(text, y))
    .filter((d): d is Date => d !== undefined);
  return candidates.sort(
    (a, b) => Math.abs(a.getTime() - around.getTime()) - Math.abs(b.getTime() - around.getTime()),
  )[0];
};

/**
 * Parses an ECMWF dissemination name; throws `FileRejectedError('bad-name')` saying what is wrong.
 *
 * @example
 * parseEcmwfName('S1D11221200112218001', new Date('2026-11-22T13:00:00Z')).validTime // '2026-11-22T18:00:00.000Z'
 */
export function parseEcmwfName(
  name: string,
  uploadedAt: Date,
): Extract<FileAttributes, { convention: 'ecmwf-dissemination' }> {
  const match = pattern.exec(name);
  if (match?.groups === undefined) {
    throw new FileRejectedError(
      'bad-name',
      `File name ${JSON.stringify(name)} does not follow the ECMWF dissemination convention; expected S1D + analysis MMDDHHMM + valid MMDDHHMM + 1, like ${exampleEcmwfName}`,
    );
  }
  const { stream, analysis, valid } = match.groups as Record<string, string>;
  const analysisTime = nearest(analysis!, uploadedAt);
  if (analysisTime === undefined) {
    throw new FileRejectedError(
      'bad-name',
      `Analysis time ${analysis} in ${JSON.stringify(name)} is not a real MMDDHHMM date`,
    );
  }
  // The valid time is at or after the analysis, possibly in the next year.
  const validTime = [analysisTime.getUTCFullYear(), analysisTime.getUTCFullYear() + 1]
    .map((y) => monthDayTime(valid!, y))
    .find((d) => d !== undefined && d >= analysisTime);
  if (validTime === undefined) {
    throw new FileRejectedError(
      'bad-name',
      `Valid time ${valid} in ${JSON.stringify(name)} is not a real MMDDHHMM date at or after the analysis ${analysis}`,
    );
  }
  return {
    kind: 'forecast',
    convention: 'ecmwf-dissemination',
    stream: stream!,
    analysisTime: analysisTime.toISOString(),
    validTime: validTime.toISOString(),
  };
}
