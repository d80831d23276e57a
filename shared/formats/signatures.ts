/**
 * Cheap content checks that need only the first and last bytes of a file, so intake can refuse
 * a wrong file with two ranged reads whatever its size: the signature, and what the head says
 * about the whole (an HDF5 superblock's end-of-file address, a GRIB2 message's declared length
 * and its first section) checked against the object's size.
 */
import { FileRejectedError } from '../conventions/rejection.ts';
import { checkHdf5Superblock, HDF5_SIGNATURE, HDF5_SUPERBLOCK_MAX_BYTES } from './hdf5-superblock.ts';

export { HDF5_SIGNATURE };
export const GRIB_START = Buffer.from('GRIB', 'ascii');
export const GRIB_END = Buffer.from('7777', 'ascii');

/** The smallest file intake inspects further; below it the size alone is wrong. */
export const HEAD_BYTES = 16;
/** Bytes intake reads from the start (an HDF5 superblock, a GRIB2 section 0 and 1's header). */
export const HEAD_READ_BYTES = HDF5_SUPERBLOCK_MAX_BYTES;
/** Bytes intake reads from the end. */
export const TAIL_BYTES = 4;

const hex = (bytes: Buffer): string => bytes.toString('hex').replace(/(..)(?!$)/g, '$1 ');

/**
 * Checks head (first bytes, up to `HEAD_READ_BYTES`) and tail (last bytes) of an object of
 * `size` bytes against the format; throws `bad-signature` for a wrong signature, and
 * `bad-structure` when the head describes a file that cannot be this object.
 */
export function checkSignature(format: 'hdf5' | 'grib2', head: Buffer, tail: Buffer, size?: number): void {
  if (format === 'hdf5') {
    if (!head.subarray(0, 8).equals(HDF5_SIGNATURE) && !head.subarray(0, 3).equals(Buffer.from('CDF'))) {
      throw new FileRejectedError(
        'bad-signature',
        `Content starts with ${hex(head.subarray(0, 8))}; a NetCDF-4 file starts with the HDF5 signature ${hex(HDF5_SIGNATURE)}`,
      );
    }
    if (size !== undefined) checkHdf5Superblock(head, size);
    return;
  }
  if (!head.subarray(0, 4).equals(GRIB_START)) {
    throw new FileRejectedError(
      'bad-signature',
      `Content starts with ${hex(head.subarray(0, 4))}; a GRIB2 file starts with "GRIB" (${hex(GRIB_START)})`,
    );
  }
  if (head.length >= 8 && head[7] !== 2) {
    throw new FileRejectedError('bad-signature', `GRIB edition is ${head[7]}; expected edition 2`);
  }
  if (!tail.equals(GRIB_END)) {
    throw new FileRejectedError(
      'bad-signature',
      `Content ends with ${hex(tail)}; a GRIB2 file ends with "7777" (${hex(GRIB_END)})`,
    );
  }
  if (size === undefined || head.length < 21) return;
  const declared = head.readBigUInt64BE(8);
  if (declared > BigInt(size)) {
    throw new FileRejectedError(
      'bad-structure',
      `File is ${size} bytes; its first GRIB2 message declares ${declared}: the file is truncated or the length is wrong`,
    );
  }
  const section1 = head.readUInt32BE(16);
  if (head[20] !== 1 || section1 < 21 || BigInt(section1) > declared - 20n) {
    throw new FileRejectedError(
      'bad-structure',
      `GRIB2 message 1 has section ${head[20]} of length ${section1} at byte 16; expected section 1 of 21 to ${declared - 20n} bytes (inside its declared ${declared})`,
    );
  }
}
