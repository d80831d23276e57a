/**
 * The baseline of bench/container-ingest.ts, run as its own process: a plain copy of an S3
 * object with lib-storage, GetObject streamed into a multipart `Upload` with the part size and
 * queue size ingest uses, and nothing else (no checksum, no format check, no catalog, no event).
 * Prints one JSON line: milliseconds, bytes, the process's resident memory before the copy and
 * its peak.
 *
 * Usage: node bench/multipart-copy.ts '<json: endpoint, region, credentials, bucket, key, toBucket, toKey>'
 */
import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StreamedWritePartBytes, StreamedWriteQueueSize } from '../shared/storage/s3.ts';
import { procStatusKiB } from './proc.ts';

interface CopyRequest {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly bucket: string;
  readonly key: string;
  readonly toBucket: string;
  readonly toKey: string;
}

const request = JSON.parse(process.argv[2] ?? '{}') as CopyRequest;
const s3 = new S3Client({
  endpoint: request.endpoint,
  region: request.region,
  credentials: request.credentials,
  forcePathStyle: true,
});
// Loads and warms the SDK before measuring, as the worker has done by the time it receives.
await s3
  .send(new GetObjectCommand({ Bucket: request.bucket, Key: request.key, Range: 'bytes=0-0' }))
  .then((r) => r.Body?.transformToByteArray());
const baselineKiB = procStatusKiB('self', 'VmRSS');
const started = performance.now();
const source = await s3.send(new GetObjectCommand({ Bucket: request.bucket, Key: request.key }));
await new Upload({
  client: s3,
  params: { Bucket: request.toBucket, Key: request.toKey, Body: source.Body as Readable },
  partSize: StreamedWritePartBytes,
  queueSize: StreamedWriteQueueSize,
  leavePartsOnError: false,
}).done();
const ms = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ ms, bytes: Number(source.ContentLength ?? 0), baselineKiB, peakKiB: procStatusKiB('self', 'VmHWM') })}\n`,
);
