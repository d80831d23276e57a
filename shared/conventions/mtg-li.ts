/**
 * The MTG Lightning Imager Level-2 file-name convention (the EUMETSAT WMO-style family of FCI,
 * fields as satpy's `li_l2_nc` reader lists them), for example
 * `W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+LI-2-LFL--FD--CHK-BODY---NC4E_C_EUMT_20261122101100_L2PF_OPE_20261122101000_20261122101030_N__T_0062_0001.nc`:
 * product type, creation time, processing facility, environment, sensing start and end (one
 * 30 s accumulation window), processing mode, timeliness, disposition class, repeat cycle of
 * the day (0001-0144) and the file's count within it (0001-0020: twenty 30 s windows).
 */
import type { FileAttributes } from '#events/registry.ts';
import { parseCompactUtc, REPEAT_CYCLE_MINUTES } from './mtg-fci.ts';
import { FileRejectedError } from './rejection.ts';

/**
 * LI Level-2 product types (satpy's `li_l2_nc` file types): events (`LE`, `LEF`), groups (`LGR`),
 * flashes (`LFL`) and the gridded accumulations (`AF` flashes, `AFA` flash area, `AFR` radiance).
 */
export const LiProductTypes = ['LE', 'LEF', 'LGR', 'LFL', 'AF', 'AFA', 'AFR'] as const;
/** One LI Level-2 product type. */
export type LiProductType = (typeof LiProductTypes)[number];

/** Every LI Level-2 file covers one accumulation window of exactly this many seconds. */
export const LI_WINDOW_SECONDS = 30;
/** Windows per repeat cycle: the largest count a file may carry. */
export const LI_FILES_PER_CYCLE = (REPEAT_CYCLE_MINUTES * 60) / LI_WINDOW_SECONDS;

const pattern = new RegExp(
  '^W_XX-EUMETSAT-Darmstadt,IMG\\+SAT,(?<satellite>MTI[1-4])\\+LI-2-(?<type>[A-Z]+)--(?<coverage>FD)--CHK-BODY---' +
    'NC4E_C_EUMT_(?<created>\\d{14})_(?<facility>[A-Z0-9]{1,8})_(?<environment>OPE|VAL|TEST|DEV)_' +
    '(?<start>\\d{14})_(?<end>\\d{14})_N_(?<timeliness>[A-Z]{0,3})_(?<class>[OTC])_(?<cycle>\\d{4})_(?<count>\\d{4})\\.nc$',
);

/** An example of a valid name, quoted in error messages. */
export const exampleLiName =
  'W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+LI-2-LFL--FD--CHK-BODY---NC4E_C_EUMT_20261122101100_L2PF_OPE_20261122101000_20261122101030_N__T_0062_0001.nc';

/** True when an EUMETSAT name claims to be a Lightning Imager file, so it is judged by this convention. */
export const looksLikeLiName = (name: string): boolean => name.includes('+LI-');

/** The LI attributes of the catalog. */
export type LiAttributes = Extract<FileAttributes, { convention: 'mtg-li-l2' }>;

/**
 * The product stream a file belongs to: satellite and product type. It orders deliveries
 * (the FIFO message group of a real-time subscriber) and names the real-time products.
 */
export const liStreamOf = (satellite: string, productType: string): string =>
  `${satellite.toLowerCase()}-li-${productType.toLowerCase()}`;

const compact = (iso: string): string => iso.replace(/[-:T]/g, '').slice(0, 14);

/** The correlation id of an LI file: its stream and window start, `li-mti1-li-lfl-20261122101000`. */
export const liCorrelationOf = (attributes: Pick<LiAttributes, 'stream' | 'sensingStart'>): string =>
  `li-${attributes.stream}-${compact(attributes.sensingStart)}`;

function reject(message: string): never {
  throw new FileRejectedError('bad-name', message);
}

/**
 * Parses an LI Level-2 name; throws `FileRejectedError('bad-name')` saying which part is wrong:
 * an unknown product type, an impossible timestamp, a window that ends before it starts or does
 * not last 30 s, or a repeat cycle or count out of range or not matching the sensing start.
 *
 * @example
 * parseLiName(exampleLiName).productType // 'LFL'
 */
export function parseLiName(name: string): LiAttributes {
  const match = pattern.exec(name);
  if (match?.groups === undefined) {
    return reject(
      `File name ${JSON.stringify(name)} does not follow the MTG LI Level-2 convention; expected a name like ${exampleLiName}`,
    );
  }
  const g = match.groups as Record<string, string>;
  if (!(LiProductTypes as readonly string[]).includes(g.type!)) {
    reject(
      `LI product type ${JSON.stringify(g.type)} in ${JSON.stringify(name)} is unknown; expected one of ${LiProductTypes.join(', ')}`,
    );
  }
  const start = parseCompactUtc(g.start!);
  const end = parseCompactUtc(g.end!);
  if (start === undefined || end === undefined || parseCompactUtc(g.created!) === undefined) {
    return reject(
      `File name ${JSON.stringify(name)} carries an impossible timestamp (creation ${g.created}, sensing ${g.start} to ${g.end}); expected YYYYMMDDhhmmss in UTC`,
    );
  }
  const seconds = (end.getTime() - start.getTime()) / 1000;
  if (seconds <= 0) {
    reject(
      `File name ${JSON.stringify(name)} ends sensing (${g.end}) at or before it starts (${g.start}); expected an end ${LI_WINDOW_SECONDS} s after the start`,
    );
  }
  if (seconds !== LI_WINDOW_SECONDS) {
    reject(
      `File name ${JSON.stringify(name)} covers ${seconds} s (${g.start} to ${g.end}); an LI Level-2 file covers exactly ${LI_WINDOW_SECONDS} s`,
    );
  }
  const repeatCycle = Number(g.cycle);
  if (repeatCycle < 1 || repeatCycle > 144) {
    reject(`Repeat cycle ${g.cycle} in ${JSON.stringify(name)} is out of range; expected 0001 to 0144`);
  }
  const count = Number(g.count);
  if (count < 1 || count > LI_FILES_PER_CYCLE) {
    reject(
      `Count ${g.count} in ${JSON.stringify(name)} is out of range; expected 0001 to ${String(LI_FILES_PER_CYCLE).padStart(4, '0')} (30 s windows of a 10-minute repeat cycle)`,
    );
  }
  const day = start.toISOString().slice(0, 10);
  const cycleStart = new Date(Date.parse(`${day}T00:00:00Z`) + (repeatCycle - 1) * REPEAT_CYCLE_MINUTES * 60_000);
  const cycleEnd = new Date(cycleStart.getTime() + REPEAT_CYCLE_MINUTES * 60_000);
  if (start < cycleStart || start >= cycleEnd) {
    reject(
      `Sensing start ${g.start} in ${JSON.stringify(name)} lies outside repeat cycle ${g.cycle} (${cycleStart.toISOString()} to ${cycleEnd.toISOString()})`,
    );
  }
  const productType = g.type as LiProductType;
  const satellite = g.satellite!;
  return {
    kind: 'lightning',
    convention: 'mtg-li-l2',
    satellite,
    productType,
    repeatCycle,
    count,
    sensingStart: start.toISOString(),
    sensingEnd: end.toISOString(),
    stream: liStreamOf(satellite, productType),
  };
}
