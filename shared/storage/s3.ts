/**
 * S3 operations the stages share. A missing object (404, `NotFound`, `NoSuchKey`) is answered
 * as `undefined` by `headObject`; every other SDK error propagates as the SDK raised it, for the
 * stage handler to retry (throttling is translated where a caller needs `DownstreamThrottledError`).
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { MultipartWriter } from './multipart-writer.ts';
import type { FileRejectedError } from '../conventions/rejection.ts';
import { ObjectReplacedError } from '../errors.ts';

const isMissing = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'NotFound' ||
    error.name === 'NoSuchKey' ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404);

/** S3's answer to a request whose `If-Match` (or copy source `If-Match`) names another ETag. */
const isPreconditionFailed = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'PreconditionFailed' ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412);

/** What `headObject` reports of an object. */
export interface ObjectHead {
  readonly size: number;
  /** Without quotes. */
  readonly etag: string;
  /**
   * The SHA-256 checksum S3 keeps for the object (base64), asked for with `{ checksum: true }`
   * and present only when the upload carried one. A multipart upload's is a checksum of the
   * parts' checksums, `<base64>-<parts>` (type `COMPOSITE`), not a digest of the content.
   */
  readonly checksumSha256?: string;
  /** `FULL_OBJECT` or `COMPOSITE`, when S3 says. */
  readonly checksumType?: string;
}

/**
 * Size and ETag (without quotes), or undefined when the object does not exist. With
 * `{ checksum: true }` the request sets ChecksumMode ENABLED, so S3 also returns the object's
 * stored checksum.
 */
export async function headObject(
  s3: S3Client,
  bucket: string,
  key: string,
  options: { checksum?: boolean } = {},
): Promise<ObjectHead | undefined> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(options.checksum === true ? { ChecksumMode: 'ENABLED' as const } : {}),
      }),
    );
    return {
      size: head.ContentLength ?? 0,
      etag: (head.ETag ?? '').replaceAll('"', ''),
      ...(head.ChecksumSHA256 === undefined ? {} : { checksumSha256: head.ChecksumSHA256 }),
      ...(head.ChecksumType === undefined ? {} : { checksumType: head.ChecksumType }),
    };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Bytes `start`..`end` inclusive of an object. */
export async function readRange(
  s3: S3Client,
  bucket: string,
  key: string,
  start: number,
  end: number,
): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

/**
 * The object's content as a Node stream. With `etag`, only that version of the object (If-Match):
 * `ObjectReplacedError` when the key now holds another upload.
 */
export async function openObject(s3: S3Client, bucket: string, key: string, etag?: string): Promise<Readable> {
  try {
    const response = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, ...(etag === undefined ? {} : { IfMatch: `"${etag}"` }) }),
    );
    return response.Body as Readable;
  } catch (error) {
    if (etag !== undefined && isPreconditionFailed(error))
      throw new ObjectReplacedError(`s3://${bucket}/${key} is no longer the upload with ETag ${etag}`, {
        cause: error,
      });
    throw error;
  }
}

/** S3's longest key, in UTF-8 bytes. */
const MaxKeyBytes = 1024;
const ReasonSuffix = '.reason.json';

/**
 * Where a rejected upload goes in quarantine: `<inbox key>/<etag>`, so that two uploads under one
 * name keep two copies (nothing is lost), and the ETag (hex, no `/`) makes the mapping one to one.
 * A key too long for that and its `.reason.json` (S3 keys are at most 1,024 bytes) goes under
 * `_long-keys/<sha256 of the key>/<etag>`; its reason file names the inbox key.
 *
 * @example
 * quarantineKeyOf('eumetsat/chunk.nc', '9b2cf535f27731c974343645a3985328') // 'eumetsat/chunk.nc/9b2c…5328'
 */
export function quarantineKeyOf(key: string, etag: string): string {
  const direct = `${key}/${etag}`;
  if (Buffer.byteLength(`${direct}${ReasonSuffix}`, 'utf8') <= MaxKeyBytes) return direct;
  return `_long-keys/${createHash('sha256').update(key, 'utf8').digest('hex')}/${etag}`;
}

/**
 * Copies a rejected upload (that version: copy source If-Match its ETag) to the quarantine bucket
 * under `quarantineKeyOf(key, etag)`, with its reason in the object's metadata and in a
 * `.reason.json` next to it. The caller removes the original (`deleteObject` with the ETag) once
 * the rejection is announced, so the file exists somewhere at every moment and a retry still
 * finds it. Throws `ObjectReplacedError` when the key now holds another upload.
 */
export async function quarantineObject(
  s3: S3Client,
  from: { bucket: string; key: string; etag: string },
  quarantineBucket: string,
  rejection: FileRejectedError,
  rejectedBy: string,
): Promise<{ bucket: string; key: string }> {
  const to = { bucket: quarantineBucket, key: quarantineKeyOf(from.key, from.etag) };
  try {
    await s3.send(
      new CopyObjectCommand({
        Bucket: to.bucket,
        Key: to.key,
        CopySource: `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`,
        CopySourceIfMatch: `"${from.etag}"`,
        MetadataDirective: 'REPLACE',
        // Metadata must be US-ASCII: the reason is percent-encoded here and kept readable in the sidecar.
        Metadata: {
          'rejection-code': rejection.code,
          'rejection-reason': encodeURIComponent(rejection.message.slice(0, 1024)),
          'rejected-by': rejectedBy,
        },
      }),
    );
  } catch (error) {
    if (isPreconditionFailed(error))
      throw new ObjectReplacedError(
        `s3://${from.bucket}/${from.key} is no longer the upload with ETag ${from.etag}: not quarantined under its reason`,
        { cause: error },
      );
    throw error;
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: to.bucket,
      Key: `${to.key}${ReasonSuffix}`,
      ContentType: 'application/json',
      Body: JSON.stringify(
        {
          source: from,
          code: rejection.code,
          reason: rejection.message,
          rejectedBy,
          rejectedAt: new Date().toISOString(),
        },
        null,
        2,
      ),
    }),
  );
  return to;
}

/**
 * Deletes an object (a no-op when it is already gone). With `etag`, only that version (If-Match):
 * a key that now holds another upload keeps it, for that upload's own notification.
 */
export async function deleteObject(s3: S3Client, bucket: string, key: string, etag?: string): Promise<void> {
  try {
    await s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: key, ...(etag === undefined ? {} : { IfMatch: `"${etag}"` }) }),
    );
  } catch (error) {
    if (etag !== undefined && (isPreconditionFailed(error) || isMissing(error))) return;
    throw error;
  }
}

/** Part size of a streamed write: 8 MiB, S3's minimum part size is 5 MiB. */
export const StreamedWritePartBytes = 8 * 1024 * 1024;
/** Parts of a streamed write in flight at once. */
export const StreamedWriteQueueSize = 4;

/**
 * A streamed multipart write: bytes written to `body` are uploaded in parts as they come
 * (`MultipartWriter`), so memory stays bounded by (queue size + 1) part buffers, 5 x 8 MiB with
 * the defaults, whatever the object's size. The object becomes visible only when
 * CompleteMultipartUpload succeeds, after the last byte. `abort()` fails the body and resolves
 * once the parts in flight are done and the multipart upload is aborted, so a failed or
 * abandoned write leaves no object and no parts.
 */
export function streamedWrite(
  s3: S3Client,
  bucket: string,
  key: string,
  metadata: Record<string, string>,
  options: { partSize?: number; queueSize?: number } = {},
): { body: Writable; done: () => Promise<void>; abort: () => Promise<void> } {
  const body = new MultipartWriter(s3, {
    bucket,
    key,
    metadata,
    partSize: options.partSize ?? StreamedWritePartBytes,
    queueSize: options.queueSize ?? StreamedWriteQueueSize,
  });
  const finished = new Promise<void>((resolve, reject) => {
    body.once('finish', resolve);
    body.once('error', reject);
  });
  // The failure is observed through `done()`; this keeps an early abort from being unhandled.
  finished.catch(() => undefined);
  const closed = new Promise<void>((resolve) => body.once('close', () => resolve()));
  return {
    body,
    done: () => finished,
    abort: async () => {
      if (!body.destroyed) body.destroy(new Error(`Write of s3://${bucket}/${key} abandoned`));
      await closed;
    },
  };
}
