/**
 * A pass-through stream that inspects content on its way: SHA-256 of every byte, the format's
 * structure (for GRIB2 every message's sections, for HDF5 the superblock and its end-of-file
 * address against the bytes that came) and, when the upload carried one, its S3
 * full-object SHA-256 checksum. It fails the stream with a `FileRejectedError` at the first wrong
 * byte or at the end, so a streamed upload fed by it is aborted instead of completed. Memory
 * stays constant whatever the size.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { FileRejectedError } from '../conventions/rejection.ts';
import { Grib2StructureValidator } from './grib2-validator.ts';
import { checkHdf5Superblock, HDF5_SUPERBLOCK_MAX_BYTES } from './hdf5-superblock.ts';

/** The result, available after the stream ends. */
export interface Inspection {
  readonly sha256: string;
  readonly size: number;
}

export class ContentInspector extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private readonly grib: Grib2StructureValidator | undefined;
  /** The first bytes, where an HDF5 superblock is. */
  private readonly head = Buffer.alloc(HDF5_SUPERBLOCK_MAX_BYTES);
  private result: Inspection | undefined;

  private readonly format: 'hdf5' | 'grib2';
  private readonly expectedSize: number | undefined;
  private readonly expectedSha256Base64: string | undefined;

  /**
   * @param expectedSize bytes the content must have, when known
   * @param expectedSha256Base64 the S3 full-object `ChecksumSHA256` (base64) the content must
   *   match, when the upload carried one; checked at the end, before the stream ends, so a
   *   mismatch aborts the upload fed by it
   */
  public constructor(format: 'hdf5' | 'grib2', expectedSize?: number, expectedSha256Base64?: string) {
    super();
    this.format = format;
    this.expectedSize = expectedSize;
    this.expectedSha256Base64 = expectedSha256Base64;
    this.grib = format === 'grib2' ? new Grib2StructureValidator() : undefined;
  }

  /** Bytes that passed so far. */
  public get bytesSeen(): number {
    return this.size;
  }

  /** SHA-256 and size; throws when read before the stream ended. */
  public get inspection(): Inspection {
    if (this.result === undefined) throw new Error('ContentInspector.inspection read before the stream ended');
    return this.result;
  }

  public override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (this.size < this.head.length)
        chunk.copy(this.head, this.size, 0, Math.min(chunk.length, this.head.length - this.size));
      this.size += chunk.length;
      this.hash.update(chunk);
      this.grib?.push(chunk);
      callback(null, chunk);
    } catch (error) {
      callback(error as Error);
    }
  }

  public override _flush(callback: TransformCallback): void {
    try {
      if (this.expectedSize !== undefined && this.size !== this.expectedSize) {
        throw new FileRejectedError('bad-size', `Read ${this.size} bytes; the upload announced ${this.expectedSize}`);
      }
      // Checked at the end: the end-of-file address is compared with the bytes that came.
      if (this.format === 'hdf5')
        checkHdf5Superblock(this.head.subarray(0, Math.min(this.size, this.head.length)), this.size);
      this.grib?.end();
      const digest = this.hash.digest();
      if (this.expectedSha256Base64 !== undefined && digest.toString('base64') !== this.expectedSha256Base64) {
        throw new FileRejectedError(
          'checksum-mismatch',
          `Content has SHA-256 ${digest.toString('base64')} (base64); the upload's S3 checksum says ${this.expectedSha256Base64}`,
        );
      }
      this.result = { sha256: digest.toString('hex'), size: this.size };
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}
