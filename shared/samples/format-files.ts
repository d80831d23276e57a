/**
 * The one generator of structurally real provider content, used by the samples, the tests and
 * the benchmarks: GRIB2 messages with every section a reader expects (identification, a
 * regular latitude/longitude grid, a product definition, simple packing at 8 bits, no bitmap,
 * the data) and HDF5 files (NetCDF-4) with a version 2 superblock, its checksum, an empty root
 * group and an end-of-file address equal to the file's size. The data values are deterministic
 * bytes from a seed: the pipeline checks structure, not meteorology.
 */
import { lookup3 } from '../formats/hdf5-superblock.ts';
import { HDF5_SIGNATURE } from '../formats/signatures.ts';

/** Bytes of a GRIB2 message around its data: sections 0-6, section 7's header and `7777`. */
export const GRIB2_FRAME_BYTES = 16 + 21 + 72 + 34 + 21 + 6 + 5 + 4;
/** Offset of the first data byte (section 7's data) in a message built here. */
export const GRIB2_DATA_OFFSET = GRIB2_FRAME_BYTES - 4;

/** What a message built here describes. */
export interface Grib2MessageOptions {
  /** Analysis (reference) time. @default 2026-11-22T12:00:00Z */
  readonly reference?: Date;
  /** Forecast step in hours. @default 0 */
  readonly stepHours?: number;
  /** Parameter number in category 0 (temperature). @default 0 */
  readonly parameter?: number;
}

/**
 * Writes the frame of a GRIB2 message of `message.length` bytes into `message`: every section
 * but section 7's data, which the caller fills from `GRIB2_DATA_OFFSET` to `length - 4`.
 */
export function writeGrib2Frame(message: Buffer, options: Grib2MessageOptions = {}): void {
  const bytes = message.length;
  const points = bytes - GRIB2_FRAME_BYTES;
  if (points < 1)
    throw new RangeError(`A GRIB2 message built here needs at least ${GRIB2_FRAME_BYTES + 1} bytes; got ${bytes}`);
  const reference = options.reference ?? new Date('2026-11-22T12:00:00Z');
  let at = 0;
  const u8 = (value: number): void => {
    message.writeUInt8(value, at);
    at += 1;
  };
  const u16 = (value: number): void => {
    message.writeUInt16BE(value, at);
    at += 2;
  };
  const u32 = (value: number): void => {
    message.writeUInt32BE(value >>> 0, at);
    at += 4;
  };
  const section = (length: number, number: number): void => {
    u32(length);
    u8(number);
  };
  // Section 0: indicator.
  message.write('GRIB', 0, 'latin1');
  at = 4;
  u16(0);
  u8(0);
  u8(2);
  message.writeBigUInt64BE(BigInt(bytes), at);
  at += 8;
  // Section 1: identification (ECMWF, tables version 30, forecast product).
  section(21, 1);
  u16(98);
  u16(0);
  u8(30);
  u8(0);
  u8(1);
  u16(reference.getUTCFullYear());
  u8(reference.getUTCMonth() + 1);
  u8(reference.getUTCDate());
  u8(reference.getUTCHours());
  u8(reference.getUTCMinutes());
  u8(reference.getUTCSeconds());
  u8(0);
  u8(1);
  // Section 3: grid definition, template 3.0 (regular lat/lon), points x 1 row.
  section(72, 3);
  u8(0);
  u32(points);
  u8(0);
  u8(0);
  u16(0);
  u8(6);
  u8(0);
  u32(0);
  u8(0);
  u32(0);
  u8(0);
  u32(0);
  u32(points);
  u32(1);
  u32(0);
  u32(0xffffffff);
  u32(90_000_000);
  u32(0);
  u8(48);
  u32(90_000_000);
  u32(359_000_000);
  u32(1_000_000);
  u32(1_000_000);
  u8(0);
  // Section 4: product definition, template 4.0 (temperature on the surface at a forecast step).
  section(34, 4);
  u16(0);
  u16(0);
  u8(0);
  u8(options.parameter ?? 0);
  u8(2);
  u8(0);
  u8(0);
  u16(0);
  u8(0);
  u8(1);
  u32(options.stepHours ?? 0);
  u8(1);
  u8(0);
  u32(0);
  u8(255);
  u8(0);
  u32(0);
  // Section 5: data representation, template 5.0 (simple packing, 8 bits per value).
  section(21, 5);
  u32(points);
  u16(0);
  u32(0);
  u16(0);
  u16(0);
  u8(8);
  u8(0);
  // Section 6: no bitmap; section 7: the data, one byte per point.
  section(6, 6);
  u8(255);
  section(5 + points, 7);
  message.write('7777', bytes - 4, 'latin1');
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function pseudoRandomBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i += 1) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** One GRIB2 message of exactly `bytes` bytes (at least `GRIB2_FRAME_BYTES + 1`), data from `seed`. */
export function buildGrib2Message(bytes: number, seed = 1, options: Grib2MessageOptions = {}): Buffer {
  if (bytes <= GRIB2_FRAME_BYTES)
    throw new RangeError(`A GRIB2 message built here needs at least ${GRIB2_FRAME_BYTES + 1} bytes; got ${bytes}`);
  const message = Buffer.alloc(bytes);
  pseudoRandomBytes(bytes - GRIB2_FRAME_BYTES, seed).copy(message, GRIB2_DATA_OFFSET);
  writeGrib2Frame(message, options);
  return message;
}

/**
 * A GRIB2 file of `messages` messages of `messageBytes` each (one parameter per message), for
 * samples, tests and benchmarks. Deterministic in `seed`.
 *
 * @example
 * const forecast = buildGrib2(4, 32 * 1024, 7);
 */
export function buildGrib2(
  messages: number,
  messageBytes: number,
  seed = 1,
  options: Grib2MessageOptions = {},
): Buffer {
  const parts: Buffer[] = [];
  for (let m = 0; m < messages; m += 1)
    parts.push(buildGrib2Message(messageBytes, seed + m, { ...options, parameter: m % 256 }));
  return Buffer.concat(parts);
}

/** Bytes of the superblock (version 2, 8-byte offsets and lengths) written by `buildHdf5`. */
export const HDF5_SUPERBLOCK_BYTES = 48;
/** Bytes of the root group's object header written by `buildHdf5`. */
const ROOT_HEADER_BYTES = 39;
/** The smallest file `buildHdf5` makes: superblock and root group, no data. */
export const HDF5_MIN_BYTES = HDF5_SUPERBLOCK_BYTES + ROOT_HEADER_BYTES;

const UNDEFINED_ADDRESS = 0xffff_ffff_ffff_ffffn;

/**
 * An HDF5 file (the container of NetCDF-4) of exactly `size` bytes: a version 2 superblock with
 * its lookup3 checksum, a version 2 object header for the root group (a Link Info and a Group
 * Info message, its checksum), then deterministic bytes from `seed` standing for the data. The
 * end-of-file address is `size`, so a shortened copy is a truncated file.
 *
 * @example
 * const chunk = buildHdf5(64 * 1024, 42);
 */
export function buildHdf5(size: number, seed = 1): Buffer {
  if (size < HDF5_MIN_BYTES)
    throw new RangeError(`An HDF5 file built here needs at least ${HDF5_MIN_BYTES} bytes; got ${size}`);
  const file = Buffer.alloc(size);
  pseudoRandomBytes(size - HDF5_MIN_BYTES, seed).copy(file, HDF5_MIN_BYTES);
  // Superblock version 2: offsets and lengths of 8 bytes, flags 0, base 0, no extension.
  HDF5_SIGNATURE.copy(file, 0);
  file[8] = 2;
  file[9] = 8;
  file[10] = 8;
  file[11] = 0;
  file.writeBigUInt64LE(0n, 12);
  file.writeBigUInt64LE(UNDEFINED_ADDRESS, 20);
  file.writeBigUInt64LE(BigInt(size), 28);
  file.writeBigUInt64LE(BigInt(HDF5_SUPERBLOCK_BYTES), 36);
  file.writeUInt32LE(lookup3(file.subarray(0, 44)), 44);
  // Root group object header, version 2, flags 0 (a one-byte chunk size, no times).
  const at = HDF5_SUPERBLOCK_BYTES;
  file.write('OHDR', at, 'latin1');
  file[at + 4] = 2;
  file[at + 5] = 0;
  file[at + 6] = 28;
  // Link Info message (type 2, 18 bytes): version 0, flags 0, no fractal heap, no name index.
  file[at + 7] = 0x02;
  file.writeUInt16LE(18, at + 8);
  file[at + 10] = 0;
  file[at + 11] = 0;
  file[at + 12] = 0;
  file.writeBigUInt64LE(UNDEFINED_ADDRESS, at + 13);
  file.writeBigUInt64LE(UNDEFINED_ADDRESS, at + 21);
  // Group Info message (type 10, 2 bytes): version 0, flags 0.
  file[at + 29] = 0x0a;
  file.writeUInt16LE(2, at + 30);
  file[at + 32] = 0;
  file[at + 33] = 0;
  file[at + 34] = 0;
  file.writeUInt32LE(lookup3(file.subarray(at, at + 35)), at + 35);
  return file;
}
