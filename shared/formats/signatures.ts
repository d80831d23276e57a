/**
 * Cheap content checks that need only the first and last bytes of a file, so intake can refuse
 * a wrong file with two ranged reads whatever its size.
 */
import { FileRejectedError } from '../conventions/rejection.ts';

/** The HDF5 superblock signature, which every NetCDF-4 file begins with. */
export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
export const GRIB_START = Buffer.from('GRIB', 'ascii');
export const GRIB_END = Buffer.from('7777', 'ascii');

/** Bytes intake reads from each end of a file. */
export const HEAD_BYTES = 16;
export const TAIL_BYTES = 4;

const hex = (bytes: Buffer): string => bytes.toString('hex').replace(/(..)(?!$)/g, '$1 ');

/** Checks head (first bytes) and tail (last bytes) against the format; throws `bad-signature`. */
export function checkSignature(format: 'hdf5' | 'grib2', head: Buffer, tail: Buffer): void {
  if (format === 'hdf5') {
    if (!head.subarray(0, 8).equals(HDF5_SIGNATURE)) {
      throw new FileRejectedError('bad-signature', `Content starts with ${hex(head.subarray(0, 8))}; a NetCDF-4 file starts with the HDF5 signature ${hex(HDF5_SIGNATURE)}`);
    }
    return;
  }
  if (!head.subarray(0, 4).equals(GRIB_START)) {
    throw new FileRejectedError('bad-signature', `Content starts with ${hex(head.subarray(0, 4))}; a GRIB2 file starts with "GRIB" (${hex(GRIB_START)})`);
  }
  if (head.length >= 8 && head[7] !== 2) {
    throw new FileRejectedError('bad-signature', `GRIB edition is ${head[7]}; expected edition 2`);
  }
  if (!tail.equals(GRIB_END)) {
    throw new FileRejectedError('bad-signature', `Content ends with ${hex(tail)}; a GRIB2 file ends with "7777" (${hex(GRIB_END)})`);
  }
}
