/**
 * Reads the superblock of an HDF5 file (every NetCDF-4 file is one), following the HDF5 File
 * Format Specification (version 3.0, section II.A): the signature, the superblock version, the
 * sizes of offsets and lengths, and the end-of-file address, which says where the file's data
 * ends. A file shorter than its end-of-file address was cut: the HDF5 library itself refuses
 * it ("truncated file"). Version 2 and 3 superblocks carry a Jenkins lookup3 checksum, checked
 * too. Only a superblock at byte 0 is read: the netCDF library writes no user block, and the
 * pipeline's conventions name NetCDF-4 files written by it.
 */
import { FileRejectedError } from '../conventions/rejection.ts';

/** The HDF5 superblock signature, which every NetCDF-4 file begins with. */
export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Bytes that hold any superblock this reader accepts (version 1 with 8-byte offsets is the longest: 100). */
export const HDF5_SUPERBLOCK_MAX_BYTES = 100;

/** What the superblock says. */
export interface Hdf5Superblock {
  readonly version: number;
  readonly sizeOfOffsets: number;
  readonly sizeOfLengths: number;
  readonly baseAddress: number;
  /** The first byte after the file's data, relative to the base address. */
  readonly endOfFileAddress: number;
  /** Bytes of the superblock itself. */
  readonly bytes: number;
}

/** The version bytes that follow "CDF" in a NetCDF classic file (CDF-1, CDF-2, CDF-5). */
const NETCDF_CLASSIC_VERSIONS = new Set([1, 2, 5]);
const SIZES = [2, 4, 8];

const reject = (message: string): never => {
  throw new FileRejectedError('bad-structure', message);
};

/** Reads an unsigned little-endian integer of `size` bytes; undefined for the undefined address (all bits set). */
function readAddress(bytes: Buffer, offset: number, size: number): number | undefined {
  let value = 0n;
  let allSet = true;
  for (let i = size - 1; i >= 0; i -= 1) {
    const byte = bytes[offset + i] ?? 0;
    if (byte !== 0xff) allSet = false;
    value = (value << 8n) | BigInt(byte);
  }
  if (allSet) return undefined;
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    reject(`HDF5 superblock holds address ${value} at byte ${offset}; expected at most ${Number.MAX_SAFE_INTEGER}`);
  return Number(value);
}

/**
 * Checks the head of a file (its first `HDF5_SUPERBLOCK_MAX_BYTES` bytes, or all of a shorter
 * file) against the HDF5 superblock format and the object's size. Throws `FileRejectedError`:
 * `bad-signature` without the HDF5 signature (naming NetCDF classic when that is what it is),
 * `bad-structure` for a superblock that is wrong or says the file is longer than it is.
 *
 * @example
 * const superblock = checkHdf5Superblock(firstBytes, head.size);
 */
export function checkHdf5Superblock(head: Buffer, objectSize: number): Hdf5Superblock {
  if (head.toString('latin1', 0, 3) === 'CDF' && NETCDF_CLASSIC_VERSIONS.has(head[3] ?? -1)) {
    throw new FileRejectedError(
      'bad-signature',
      `Content starts with "CDF" version ${head[3]}: NetCDF classic format; expected NetCDF-4 (an HDF5 file, signature ${HDF5_SIGNATURE.toString('hex')})`,
    );
  }
  if (!head.subarray(0, 8).equals(HDF5_SIGNATURE)) {
    throw new FileRejectedError(
      'bad-signature',
      `Content does not start with the HDF5 signature ${HDF5_SIGNATURE.toString('hex')}; got ${head.subarray(0, 8).toString('hex')}`,
    );
  }
  if (head.length < 12) reject(`HDF5 superblock is cut after ${head.length} bytes; expected at least 12`);
  const version = head[8] ?? -1;
  let sizeOfOffsets: number;
  let sizeOfLengths: number;
  let addresses: number;
  let bytes: number;
  if (version === 0 || version === 1) {
    sizeOfOffsets = head[13] ?? 0;
    sizeOfLengths = head[14] ?? 0;
    addresses = version === 0 ? 24 : 28;
    // Four addresses, then the root group's symbol table entry (two offsets and 24 bytes).
    bytes = addresses + 6 * sizeOfOffsets + 24;
  } else if (version === 2 || version === 3) {
    sizeOfOffsets = head[9] ?? 0;
    sizeOfLengths = head[10] ?? 0;
    addresses = 12;
    bytes = addresses + 4 * sizeOfOffsets + 4;
  } else {
    return reject(`HDF5 superblock version is ${version}; expected 0, 1, 2 or 3`);
  }
  if (!SIZES.includes(sizeOfOffsets) || !SIZES.includes(sizeOfLengths)) {
    reject(
      `HDF5 superblock declares offsets of ${sizeOfOffsets} and lengths of ${sizeOfLengths} bytes; expected 2, 4 or 8 each`,
    );
  }
  if (head.length < bytes) {
    reject(`HDF5 superblock version ${version} needs ${bytes} bytes; the file has ${head.length}`);
  }
  if (version >= 2) {
    const stored = head.readUInt32LE(bytes - 4);
    const computed = lookup3(head.subarray(0, bytes - 4));
    if (stored !== computed) {
      reject(
        `HDF5 superblock checksum is ${stored.toString(16).padStart(8, '0')}; its bytes give ${computed.toString(16).padStart(8, '0')} (Jenkins lookup3): the superblock is damaged`,
      );
    }
  }
  const baseAddress = readAddress(head, addresses, sizeOfOffsets) ?? 0;
  // The end-of-file address is the third address in every version.
  const endOfFileAddress = readAddress(head, addresses + 2 * sizeOfOffsets, sizeOfOffsets);
  if (endOfFileAddress === undefined)
    return reject(
      'HDF5 superblock has an undefined end-of-file address; expected the address after the last byte of data',
    );
  if (endOfFileAddress < bytes)
    reject(`HDF5 superblock says the file ends at byte ${endOfFileAddress}, inside the ${bytes}-byte superblock`);
  const end = baseAddress + endOfFileAddress;
  if (end > objectSize) {
    reject(`File is ${objectSize} bytes; its HDF5 superblock says the data ends at byte ${end}: the file is truncated`);
  }
  return { version, sizeOfOffsets, sizeOfLengths, baseAddress, endOfFileAddress, bytes };
}

const rot = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * Bob Jenkins' lookup3 `hashlittle` (public domain, 2006), which HDF5 uses for its metadata
 * checksums (`H5_checksum_lookup3`), with an initial value of 0.
 */
export function lookup3(key: Uint8Array, initval = 0): number {
  let length = key.length;
  let a = (0xdeadbeef + length + initval) >>> 0;
  let b = a;
  let c = a;
  let k = 0;
  const at = (i: number): number => key[k + i] ?? 0;
  const word = (i: number): number => (at(i) | (at(i + 1) << 8) | (at(i + 2) << 16) | (at(i + 3) << 24)) >>> 0;
  while (length > 12) {
    a = (a + word(0)) >>> 0;
    b = (b + word(4)) >>> 0;
    c = (c + word(8)) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c;
  // The tail: the bytes left, zero-padded to twelve, little-endian into a, b, c.
  const tail = (from: number): number => {
    let value = 0;
    for (let i = 3; i >= 0; i -= 1) value = (value << 8) | (from + i < length ? at(from + i) : 0);
    return value >>> 0;
  };
  a = (a + tail(0)) >>> 0;
  b = (b + tail(4)) >>> 0;
  c = (c + tail(8)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 24)) >>> 0;
  return c;
}
