import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { MultipartWriter } from './multipart-writer.ts';

const MiB = 1024 * 1024;
const PartSize = 5 * MiB;

/**
 * S3 in memory, as far as a multipart upload goes: parts are kept by number, completed into one
 * object; an upload part takes `partDelayMs`. Records the largest number of parts in flight.
 */
function fakeS3(options: { partDelayMs?: number; failPart?: number } = {}) {
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, Map<number, Buffer>>();
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const s3 = {
    send: async (command: unknown) => {
      const { input } = command as { input: Record<string, unknown> };
      calls.push((command as object).constructor.name.replace('Command', ''));
      if (command instanceof CreateMultipartUploadCommand) {
        uploads.set('upload-1', new Map());
        return { UploadId: 'upload-1' };
      }
      if (command instanceof UploadPartCommand) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // The writer reuses the buffer once the part is done: keep a copy, as S3 would.
        const body = Buffer.from(input.Body as Buffer);
        await new Promise((r) => setTimeout(r, options.partDelayMs ?? 1));
        inFlight -= 1;
        if (input.PartNumber === options.failPart)
          throw Object.assign(new Error('InternalError'), { name: 'InternalError' });
        uploads.get(input.UploadId as string)!.set(input.PartNumber as number, body);
        return { ETag: `"etag-${String(input.PartNumber)}"`, ChecksumCRC32: 'AAAAAA==' };
      }
      if (command instanceof CompleteMultipartUploadCommand) {
        const parts = (input.MultipartUpload as { Parts: { PartNumber: number }[] }).Parts;
        const upload = uploads.get(input.UploadId as string)!;
        objects.set(input.Key as string, Buffer.concat(parts.map((p) => upload.get(p.PartNumber)!)));
        uploads.delete(input.UploadId as string);
        return {};
      }
      if (command instanceof AbortMultipartUploadCommand) {
        uploads.delete(input.UploadId as string);
        return {};
      }
      if (command instanceof PutObjectCommand) {
        objects.set(input.Key as string, Buffer.from(input.Body as Buffer));
        return {};
      }
      throw new Error(`unexpected ${String(command)}`);
    },
  } as unknown as Pick<S3Client, 'send'>;
  return { s3, objects, uploads, calls, maxInFlight: () => maxInFlight };
}

/** `size` deterministic bytes in chunks of `chunk` bytes. */
function content(size: number, chunk = 64 * 1024): { stream: () => Readable; bytes: Buffer } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 7 + (i >> 13)) & 0xff;
  return {
    bytes,
    stream: () =>
      Readable.from(
        Array.from({ length: Math.ceil(size / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)),
      ),
  };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('MultipartWriter', () => {
  it('uploads the bytes in order as parts of the part size and completes the upload', async () => {
    // Prepare: 4.5 parts in odd-sized chunks.
    const fake = fakeS3();
    const file = content(4 * PartSize + PartSize / 2, 99_991);
    const writer = new MultipartWriter(fake.s3, { bucket: 'b', key: 'k', partSize: PartSize, queueSize: 2 });

    // Act
    await pipeline(file.stream(), writer);

    // Assess
    expect(sha(fake.objects.get('k')!)).toBe(sha(file.bytes));
    expect(fake.calls.filter((c) => c === 'UploadPart')).toHaveLength(5);
    expect(fake.calls.at(-1)).toBe('CompleteMultipartUpload');
  });

  it('keeps at most queueSize parts in flight and queueSize + 1 part buffers, whatever the size', async () => {
    // Prepare: 12 parts, slow uploads.
    const fake = fakeS3({ partDelayMs: 20 });
    const file = content(12 * PartSize);
    const writer = new MultipartWriter(fake.s3, { bucket: 'b', key: 'k', partSize: PartSize, queueSize: 3 });

    // Act
    await pipeline(file.stream(), writer);

    // Assess
    expect(fake.maxInFlight()).toBe(3);
    expect(writer.partBuffers).toBe(4);
    expect(sha(fake.objects.get('k')!)).toBe(sha(file.bytes));
  });

  it('puts a body smaller than one part as one object', async () => {
    // Prepare
    const fake = fakeS3();
    const file = content(1000, 300);

    // Act
    await pipeline(
      file.stream(),
      new MultipartWriter(fake.s3, { bucket: 'b', key: 'k', partSize: PartSize, queueSize: 4 }),
    );

    // Assess
    expect(fake.calls).toEqual(['PutObject']);
    expect(fake.objects.get('k')!.equals(file.bytes)).toBe(true);
  });

  it('aborts the multipart upload when the source fails, leaving no object and no parts', async () => {
    // Prepare: the source fails after two and a half parts.
    const fake = fakeS3({ partDelayMs: 10 });
    const file = content(2 * PartSize + PartSize / 2);
    const failing = Readable.from(
      (async function* () {
        for await (const chunk of file.stream()) yield chunk;
        throw new Error('connection reset');
      })(),
    );

    // Act
    const act = pipeline(
      failing,
      new MultipartWriter(fake.s3, { bucket: 'b', key: 'k', partSize: PartSize, queueSize: 4 }),
    );

    // Assess
    await expect(act).rejects.toThrow('connection reset');
    expect(fake.calls.at(-1)).toBe('AbortMultipartUpload');
    expect(fake.calls).not.toContain('CompleteMultipartUpload');
    expect(fake.objects.size).toBe(0);
    expect(fake.uploads.size).toBe(0);
  });

  it('fails and aborts when a part fails', async () => {
    // Prepare
    const fake = fakeS3({ failPart: 2 });
    const file = content(4 * PartSize);

    // Act
    const act = pipeline(
      file.stream(),
      new MultipartWriter(fake.s3, { bucket: 'b', key: 'k', partSize: PartSize, queueSize: 2 }),
    );

    // Assess
    await expect(act).rejects.toThrow('InternalError');
    expect(fake.calls).toContain('AbortMultipartUpload');
    expect(fake.objects.size).toBe(0);
    expect(fake.uploads.size).toBe(0);
  });

  it("refuses a part size below S3's 5 MiB", () => {
    // Assess
    expect(() => new MultipartWriter(fakeS3().s3, { bucket: 'b', key: 'k', partSize: MiB, queueSize: 2 })).toThrow(
      "Part size 1048576 is below S3's least part size of 5242880 bytes",
    );
  });
});
