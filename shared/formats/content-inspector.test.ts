import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { FileRejectedError } from '../conventions/rejection.ts';
import { ContentInspector } from './content-inspector.ts';
import { buildGrib2, buildHdf5 } from '../samples/format-files.ts';
import { HDF5_SIGNATURE } from './signatures.ts';

/** NetCDF-4 content: an HDF5 file of `size` bytes. */
const hdf5Content = (size: number): Buffer => buildHdf5(size, 7);

const chunksOf = (bytes: Buffer, size: number): Buffer[] => {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
};

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Streams `bytes` through the inspector in chunks; returns what came out and the error, if any. */
async function streamThrough(
  inspector: ContentInspector,
  bytes: Buffer,
  chunkSize: number,
): Promise<{ passed: Buffer; error?: unknown }> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  try {
    await pipeline(Readable.from(chunksOf(bytes, chunkSize)), inspector, sink);
    return { passed: Buffer.concat(out) };
  } catch (error) {
    return { passed: Buffer.concat(out), error };
  }
}

describe('ContentInspector', () => {
  it('passes HDF5 content through unchanged with its SHA-256 and size', async () => {
    // Prepare
    const content = hdf5Content(10_000);
    const inspector = new ContentInspector('hdf5', content.length);

    // Act
    const { passed, error } = await streamThrough(inspector, content, 777);

    // Assess
    expect(error).toBeUndefined();
    expect(passed.equals(content)).toBe(true);
    expect(inspector.inspection).toEqual({ sha256: sha256(content), size: 10_000 });
  });

  it('finds the HDF5 signature when it arrives one byte at a time', async () => {
    // Prepare
    const content = hdf5Content(100);
    const inspector = new ContentInspector('hdf5');

    // Act
    const { error } = await streamThrough(inspector, content, 1);

    // Assess
    expect(error).toBeUndefined();
    expect(inspector.inspection.size).toBe(100);
  });

  it('measures a GRIB2 file of several messages', async () => {
    // Prepare
    const content = buildGrib2(3, 1000);
    const inspector = new ContentInspector('grib2', content.length);

    // Act
    const { error } = await streamThrough(inspector, content, 64);

    // Assess
    expect(error).toBeUndefined();
    expect(inspector.inspection).toEqual({ sha256: sha256(content), size: 3000 });
  });

  it('rejects content without the HDF5 signature and shows what it found', async () => {
    // Prepare
    const content = hdf5Content(100);
    content[1] = 0x00;
    const inspector = new ContentInspector('hdf5');

    // Act
    const { error } = await streamThrough(inspector, content, 10);

    // Assess
    expect(error).toBeInstanceOf(FileRejectedError);
    expect((error as FileRejectedError).code).toBe('bad-signature');
    expect((error as Error).message).toContain(`HDF5 signature ${HDF5_SIGNATURE.toString('hex')}; got 8900444`);
  });

  it('rejects HDF5 content shorter than the signature', async () => {
    // Prepare
    const inspector = new ContentInspector('hdf5');

    // Act
    const { error } = await streamThrough(inspector, HDF5_SIGNATURE.subarray(0, 5), 5);

    // Assess
    expect((error as FileRejectedError).code).toBe('bad-signature');
  });

  it('fails a GRIB2 stream at the bad message, before the rest of the file passes', async () => {
    // Prepare
    const content = buildGrib2(3, 1000);
    content.write('7776', 1996, 'ascii');
    const inspector = new ContentInspector('grib2', content.length);

    // Act
    const { passed, error } = await streamThrough(inspector, content, 100);

    // Assess
    expect(error).toBeInstanceOf(FileRejectedError);
    expect((error as FileRejectedError).code).toBe('bad-structure');
    expect((error as Error).message).toContain('GRIB2 message 2 at byte 1000');
    expect(passed.length).toBeLessThan(2000);
    expect(() => inspector.inspection).toThrow(/before the stream ended/);
  });

  it('rejects a stream that is shorter than the upload announced', async () => {
    // Prepare
    const content = hdf5Content(1000);
    const inspector = new ContentInspector('hdf5', 1001);

    // Act
    const { error } = await streamThrough(inspector, content, 100);

    // Assess
    expect(error).toBeInstanceOf(FileRejectedError);
    expect((error as FileRejectedError).code).toBe('bad-size');
    expect((error as Error).message).toBe('Read 1000 bytes; the upload announced 1001');
  });

  it('rejects a stream that is longer than the upload announced', async () => {
    // Prepare
    const content = buildGrib2(1, 200);
    const inspector = new ContentInspector('grib2', 99);

    // Act
    const { error } = await streamThrough(inspector, content, 100);

    // Assess
    expect((error as FileRejectedError).code).toBe('bad-size');
  });

  it("accepts content whose SHA-256 equals the upload's full-object S3 checksum", async () => {
    // Prepare
    const content = buildGrib2(2, 300);
    const checksum = createHash('sha256').update(content).digest('base64');
    const inspector = new ContentInspector('grib2', content.length, checksum);

    // Act
    const { error } = await streamThrough(inspector, content, 64);

    // Assess
    expect(error).toBeUndefined();
    expect(inspector.inspection.sha256).toBe(sha256(content));
  });

  it("rejects content whose SHA-256 differs from the upload's S3 checksum, showing both", async () => {
    // Prepare
    const content = buildGrib2(2, 300);
    const other = createHash('sha256').update('other bytes').digest('base64');
    const inspector = new ContentInspector('grib2', content.length, other);

    // Act
    const { error } = await streamThrough(inspector, content, 64);

    // Assess
    expect((error as FileRejectedError).code).toBe('checksum-mismatch');
    expect((error as FileRejectedError).message).toContain(other);
    expect((error as FileRejectedError).message).toContain(createHash('sha256').update(content).digest('base64'));
  });

  it('refuses to report before the stream ended', () => {
    // Prepare
    const inspector = new ContentInspector('hdf5');

    // Act & Assess
    expect(() => inspector.inspection).toThrow('ContentInspector.inspection read before the stream ended');
  });
});
