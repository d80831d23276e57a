/**
 * ISO-8601 durations as rule files write them (`PT5M`, `PT3H`, `P1D`), restricted to units of
 * fixed length: a month or a year has no fixed number of milliseconds, so they are refused.
 */

const durationPattern = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const calendarUnits = /^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T.*)?$/;

const units = [7 * 24 * 3600_000, 24 * 3600_000, 3600_000, 60_000, 1000] as const;

/**
 * The length of an ISO-8601 duration in milliseconds. Throws an `Error` whose message says what
 * is wrong with the text; the rule loader prefixes it with the rule and the field.
 *
 * @example
 * parseDuration('PT5M') // 300000
 */
export function parseDuration(text: string): number {
  const match = durationPattern.exec(text);
  if (match === null || text === 'P' || text.endsWith('T')) {
    if (calendarUnits.test(text) && /^P[^T]*[YM]/.test(text)) {
      throw new Error(
        `duration ${JSON.stringify(text)} uses years or months, whose length varies; use weeks, days, hours, minutes or seconds (for example P30D)`,
      );
    }
    throw new Error(`${JSON.stringify(text)} is not an ISO-8601 duration; expected for example PT5M, PT3H or P1DT12H`);
  }
  let ms = 0;
  for (let index = 0; index < units.length; index += 1) {
    const part = match[index + 1];
    if (part !== undefined) ms += Number(part) * units[index]!;
  }
  return Math.round(ms);
}
