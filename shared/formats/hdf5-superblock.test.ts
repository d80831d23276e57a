import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileRejectedError } from '../conventions/rejection.ts';
import { buildGrib2, buildHdf5, HDF5_MIN_BYTES } from '../samples/format-files.ts';
import { checkHdf5Superblock, HDF5_SIGNATURE, HDF5_SUPERBLOCK_MAX_BYTES, lookup3 } from './hdf5-superblock.ts';
import { checkSignature } from './signatures.ts';

const headOf = (file: Buffer): Buffer => file.subarray(0, HDF5_SUPERBLOCK_MAX_BYTES);

/** A version 0 superblock (the layout HDF5 1.8 writes by default) with 8-byte fields, ending at `eof`. */
function superblockV0(eof: number, sizeOfOffsets = 8): Buffer {
  const block = Buffer.alloc(24 + 6 * sizeOfOffsets + 24);
  HDF5_SIGNATURE.copy(block, 0);
  block[13] = sizeOfOffsets;
  block[14] = 8;
  block.writeUInt16LE(4, 16);
  block.writeUInt16LE(16, 18);
  block.fill(0xff, 24 + sizeOfOffsets, 24 + 2 * sizeOfOffsets);
  block.writeUIntLE(eof, 24 + 2 * sizeOfOffsets, Math.min(sizeOfOffsets, 6));
  block.fill(0xff, 24 + 3 * sizeOfOffsets, 24 + 4 * sizeOfOffsets);
  return block;
}

describe('lookup3', () => {
  it('gives the published test values of hashlittle', () => {
    expect(lookup3(Buffer.alloc(0))).toBe(0xdeadbeef);
    expect(lookup3(Buffer.from('Four score and seven years ago'))).toBe(0x17770551);
    expect(lookup3(Buffer.from('Four score and seven years ago'), 1)).toBe(0xcd628161);
  });
});

describe('checkHdf5Superblock', () => {
  it('reads a version 2 superblock and its end-of-file address', () => {
    // Prepare
    const file = buildHdf5(5000);
    // Act
    const superblock = checkHdf5Superblock(headOf(file), file.length);
    // Assess
    expect(superblock).toEqual({
      version: 2,
      sizeOfOffsets: 8,
      sizeOfLengths: 8,
      baseAddress: 0,
      endOfFileAddress: 5000,
      bytes: 48,
    });
  });

  it('reads a version 0 superblock with 4-byte offsets', () => {
    const block = superblockV0(4000, 4);
    expect(checkHdf5Superblock(block, 4000)).toMatchObject({
      version: 0,
      sizeOfOffsets: 4,
      endOfFileAddress: 4000,
      bytes: 72,
    });
  });

  it('accepts a file longer than its end-of-file address, as the HDF5 library does', () => {
    const file = buildHdf5(3000);
    expect(checkHdf5Superblock(headOf(file), 3500).endOfFileAddress).toBe(3000);
  });

  it('rejects a file shorter than its end-of-file address as truncated', () => {
    const file = buildHdf5(3000);
    expect(() => checkHdf5Superblock(headOf(file), 2999)).toThrow(
      'File is 2999 bytes; its HDF5 superblock says the data ends at byte 3000: the file is truncated',
    );
    expect(() => checkHdf5Superblock(superblockV0(9000), 8000)).toThrow(/File is 8000 bytes; .* ends at byte 9000/);
  });

  it('rejects a damaged version 2 superblock by its checksum', () => {
    const file = buildHdf5(3000);
    file.writeUInt8(file.readUInt8(30) ^ 0x01, 30);
    expect(() => checkHdf5Superblock(headOf(file), 3000)).toThrow(
      /HDF5 superblock checksum is [0-9a-f]{8}; its bytes give [0-9a-f]{8}/,
    );
  });

  it('rejects an unknown version, odd field sizes and a cut superblock', () => {
    const v9 = buildHdf5(3000);
    v9[8] = 9;
    expect(() => checkHdf5Superblock(headOf(v9), 3000)).toThrow('HDF5 superblock version is 9; expected 0, 1, 2 or 3');
    const odd = superblockV0(4000);
    odd[13] = 3;
    expect(() => checkHdf5Superblock(odd, 4000)).toThrow(
      /offsets of 3 and lengths of 8 bytes; expected 2, 4 or 8 each/,
    );
    expect(() => checkHdf5Superblock(buildHdf5(3000).subarray(0, 30), 30)).toThrow(
      /version 2 needs 48 bytes; the file has 30/,
    );
  });

  it('names NetCDF classic when that is what the file is', () => {
    // Prepare: "CDF" then version 1 (classic) and a record count.
    const classic = Buffer.concat([Buffer.from('CDF\x01', 'latin1'), Buffer.alloc(60)]);
    // Act & Assess
    expect(() => checkHdf5Superblock(classic, 64)).toThrow(/NetCDF classic format; expected NetCDF-4/);
    expect(() => checkSignature('hdf5', classic, classic.subarray(-4), 64)).toThrow(/NetCDF classic format/);
  });

  it('rejects every cut of a built file, at any length, with a bad-structure reason', () => {
    // Integers, not a fraction of the size: a product rounding up to the size is no cut.
    const sizeAndCut = fc
      .integer({ min: HDF5_MIN_BYTES + 1, max: 20_000 })
      .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 12, max: size - 1 })));
    fc.assert(
      fc.property(sizeAndCut, ([size, cut]) => {
        const file = buildHdf5(size, size);
        try {
          checkHdf5Superblock(headOf(file.subarray(0, cut)), cut);
          return false;
        } catch (error) {
          return error instanceof FileRejectedError && error.code === 'bad-structure';
        }
      }),
    );
  });
});

describe('checkSignature with the object size (intake)', () => {
  it('rejects a GRIB2 file whose first message declares more than the object holds', () => {
    const file = buildGrib2(1, 1000).subarray(0, 600);
    const cut = Buffer.concat([file.subarray(0, 596), Buffer.from('7777')]);
    expect(() => checkSignature('grib2', cut.subarray(0, 100), cut.subarray(-4), cut.length)).toThrow(
      'File is 600 bytes; its first GRIB2 message declares 1000: the file is truncated or the length is wrong',
    );
  });

  it('rejects a GRIB2 section 1 longer than its message', () => {
    const file = buildGrib2(1, 4096);
    file.writeUInt32BE(1024 ** 3, 16);
    expect(() => checkSignature('grib2', file.subarray(0, 100), file.subarray(-4), file.length)).toThrow(
      /section 1 of length 1073741824 at byte 16; expected section 1 of 21 to 4076 bytes/,
    );
  });

  it('accepts real files of both formats', () => {
    const grib = buildGrib2(2, 500);
    const hdf5 = buildHdf5(2000);
    expect(() => checkSignature('grib2', grib.subarray(0, 100), grib.subarray(-4), grib.length)).not.toThrow();
    expect(() => checkSignature('hdf5', hdf5.subarray(0, 100), hdf5.subarray(-4), hdf5.length)).not.toThrow();
  });
});
