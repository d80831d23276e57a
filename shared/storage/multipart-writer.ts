/**
 * Hand-written on purpose: memory bounded by the code, not by the garbage collector (see below).
 *
 * A Writable that uploads what is written to it as an S3 multipart upload, in parts of a fixed
 * size with at most `queueSize` parts in flight, copying the bytes into a pool of
 * `queueSize + 1` part buffers that are reused: whatever the object's size, the writer holds
 * at most that many part buffers, and none waits for the garbage collector. (lib-storage's
 * `Upload` concatenates each part anew and keeps the previous part alive through the view of
 * its remainder: its peak depends on when the collector runs.)
 *
 * The object becomes visible only when CompleteMultipartUpload succeeds, after the last byte
 * (a body smaller than one part is one PutObject). Destroying the writer (an error upstream, an
 * abort) waits for the parts in flight and aborts the multipart upload, so S3 keeps no parts.
 */
import { Writable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** Options of a `MultipartWriter`. */
export interface MultipartWriterOptions {
  readonly bucket: string;
  readonly key: string;
  readonly metadata?: Record<string, string>;
  /** Bytes per part (S3: at least 5 MiB except the last; at most 10 000 parts). */
  readonly partSize: number;
  /** Parts uploading at once. */
  readonly queueSize: number;
}

/** S3's least part size. */
const MinPartBytes = 5 * 1024 * 1024;

/**
 * @example
 * const writer = new MultipartWriter(s3, { bucket, key, partSize: 8 * 1024 * 1024, queueSize: 4 });
 * await pipeline(source, writer);
 */
export class MultipartWriter extends Writable {
  private readonly s3: Pick<S3Client, 'send'>;
  private readonly options: MultipartWriterOptions;
  private readonly free: Buffer[] = [];
  private buffers = 0;
  private current: Buffer | undefined;
  private filled = 0;
  private nextPart = 1;
  private uploadId: Promise<string> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly parts: CompletedPart[] = [];
  private failure: unknown;
  private completing: Promise<unknown> | undefined;

  public constructor(s3: Pick<S3Client, 'send'>, options: MultipartWriterOptions) {
    // One chunk at a time: backpressure comes from the part queue, not from buffered writes.
    super({ highWaterMark: 1, objectMode: false });
    if (options.partSize < MinPartBytes)
      throw new RangeError(`Part size ${options.partSize} is below S3's least part size of ${MinPartBytes} bytes`);
    if (!Number.isInteger(options.queueSize) || options.queueSize < 1)
      throw new RangeError(`Queue size ${options.queueSize} is invalid; expected a whole number of at least 1`);
    this.s3 = s3;
    this.options = options;
  }

  /** Part buffers allocated so far: never more than `queueSize + 1`. */
  public get partBuffers(): number {
    return this.buffers;
  }

  public override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    void this.consume(chunk).then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }

  public override _final(callback: (error?: Error | null) => void): void {
    this.completing = this.finish();
    this.completing.then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }

  public override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void this.abandon().then(
      () => callback(error),
      (abortError: unknown) => callback(error ?? (abortError as Error)),
    );
  }

  private async consume(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.current ??= this.takeBuffer();
      const copied = chunk.copy(this.current, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.options.partSize) {
        await this.waitForSlot();
        this.send(this.current, this.filled);
      }
    }
  }

  /** Waits until fewer than `queueSize` parts are in flight. */
  private async waitForSlot(): Promise<void> {
    while (this.inFlight.size >= this.options.queueSize) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  /**
   * A free part buffer. At most `queueSize` parts are in flight and one is being filled, so the
   * pool never grows past `queueSize + 1` buffers.
   */
  private takeBuffer(): Buffer {
    this.throwIfFailed();
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    this.buffers += 1;
    // Outside the shared pool: a part buffer lives as long as the writer.
    return Buffer.allocUnsafeSlow(this.options.partSize);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private createUpload(): Promise<string> {
    this.uploadId ??= this.s3
      .send(
        new CreateMultipartUploadCommand({
          Bucket: this.options.bucket,
          Key: this.options.key,
          Metadata: this.options.metadata,
          ChecksumAlgorithm: 'CRC32',
        }),
      )
      .then((created) => {
        if (created.UploadId === undefined)
          throw new Error(
            `CreateMultipartUpload of s3://${this.options.bucket}/${this.options.key} returned no UploadId`,
          );
        return created.UploadId;
      });
    return this.uploadId;
  }

  /** Uploads `length` bytes of `buffer` as the next part; the buffer returns to the pool when done. */
  private send(buffer: Buffer, length: number): void {
    const partNumber = this.nextPart;
    this.nextPart += 1;
    this.current = undefined;
    this.filled = 0;
    const upload = (async () => {
      const uploadId = await this.createUpload();
      const result = await this.s3.send(
        new UploadPartCommand({
          Bucket: this.options.bucket,
          Key: this.options.key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: buffer.subarray(0, length),
          ChecksumAlgorithm: 'CRC32',
        }),
      );
      if (result.ETag === undefined)
        throw new Error(`UploadPart ${partNumber} of s3://${this.options.bucket}/${this.options.key} returned no ETag`);
      this.parts.push({
        PartNumber: partNumber,
        ETag: result.ETag,
        ...(result.ChecksumCRC32 === undefined ? {} : { ChecksumCRC32: result.ChecksumCRC32 }),
      });
    })()
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.inFlight.delete(upload);
        this.free.push(buffer);
      });
    this.inFlight.add(upload);
  }

  private async finish(): Promise<void> {
    const { bucket, key, metadata } = this.options;
    if (this.nextPart === 1) {
      // Smaller than one part: a single PutObject.
      await this.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Metadata: metadata,
          Body: (this.current ?? Buffer.alloc(0)).subarray(0, this.filled),
        }),
      );
      return;
    }
    if (this.filled > 0 && this.current !== undefined) {
      await this.waitForSlot();
      this.send(this.current, this.filled);
    }
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const uploadId = await this.createUpload();
    const parts = [...this.parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    if (parts.length !== this.nextPart - 1)
      throw new Error(`Uploaded ${parts.length} parts of s3://${bucket}/${key}; expected ${this.nextPart - 1}`);
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  }

  /** Waits for the parts in flight, then aborts the upload unless it completed. */
  private async abandon(): Promise<void> {
    if (this.completing !== undefined) {
      // The last part was sent: the upload completes with every byte, or fails and is aborted.
      const completed = await this.completing.then(
        () => true,
        () => false,
      );
      if (completed) return;
    }
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.uploadId === undefined) return;
    const uploadId = await this.uploadId.catch(() => undefined);
    if (uploadId === undefined) return;
    await this.s3.send(
      new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: this.options.key, UploadId: uploadId }),
    );
  }
}
