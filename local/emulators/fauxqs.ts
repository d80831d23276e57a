/**
 * S3 and SQS on one loopback port, served in-process by fauxqs (an AWS-API emulator on npm).
 * Its stores are built here rather than by `startFauxqs`, which binds every interface: queue
 * URLs must carry the request's own host (an empty `host`), objects live as files on disk, and
 * every S3 write is reported to `onObjectWritten` so the local runtime can turn it into an S3
 * event notification (fauxqs accepts notification configurations but never sends them).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';

/** An S3 object as fauxqs reports it after a write. */
export interface WrittenObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  /** How the object came to be: a put, or the completion of a multipart upload or copy. */
  readonly status: 'uploaded' | 'copied' | 'renamed';
}

export interface FauxqsOptions {
  /** Folder for object bodies; created if missing. */
  readonly storageDir: string;
  readonly onObjectWritten?: (object: WrittenObject) => void;
}

export interface RunningFauxqs {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

interface S3StoreLike {
  spy?: { addMessage(message: Record<string, unknown>): void };
  persistence?: unknown;
  headObject(bucket: string, key: string): { contentLength?: number; etag?: string };
  hasBucket(bucket: string): boolean;
  multipartUploads: Map<string, { uploadId: string; bucket: string; key: string; initiated: Date }>;
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * ListMultipartUploads (`GET /<bucket>?uploads`), which fauxqs 2.4 does not implement (it would
 * answer with a ListObjects result): the uploads begun and neither completed nor aborted, so a
 * client can check that an abandoned upload left nothing behind. Path-style requests, `prefix`
 * only, one page.
 */
function listMultipartUploads(store: S3StoreLike, bucket: string, prefix: string): { status: number; body: string } {
  if (!store.hasBucket(bucket)) {
    return { status: 404, body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>${escapeXml(bucket)}</BucketName></Error>` };
  }
  const uploads = [...store.multipartUploads.values()]
    .filter((u) => u.bucket === bucket && u.key.startsWith(prefix))
    .sort((a, b) => a.key.localeCompare(b.key) || a.initiated.getTime() - b.initiated.getTime())
    .map((u) => `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${escapeXml(u.uploadId)}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`);
  return {
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${escapeXml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`,
  };
}

const root = dirname(fileURLToPath(import.meta.resolve('fauxqs')));
// fauxqs exports only its entry point; its stores are reached by file path.
const load = async <T>(relative: string): Promise<T> => (await import(pathToFileURL(join(root, relative)).href)) as T;

/** Starts S3 + SQS on 127.0.0.1 with a free port. */
export async function startFauxqs(options: FauxqsOptions): Promise<RunningFauxqs> {
  const { buildApp } = await import('fauxqs');
  const { SqsStore } = await load<{ SqsStore: new () => { host: string } }>('sqs/sqsStore.js');
  const { SnsStore } = await load<{ SnsStore: new () => object }>('sns/snsStore.js');
  const { S3Store } = await load<{ S3Store: new () => S3StoreLike }>('s3/s3Store.js');
  const { FileS3Persistence } = await load<{ FileS3Persistence: new (dir: string) => unknown }>('s3/fileS3Persistence.js');

  const sqsStore = new SqsStore();
  // With an empty host, queue URLs are built from the request's Host header (127.0.0.1:port).
  sqsStore.host = '';
  const s3Store = new S3Store();
  s3Store.persistence = new FileS3Persistence(options.storageDir);
  const onWritten = options.onObjectWritten;
  s3Store.spy = {
    addMessage(message) {
      if (onWritten === undefined || message.service !== 's3') return;
      const status = message.status as string;
      if (status !== 'uploaded' && status !== 'copied' && status !== 'renamed') return;
      const bucket = message.bucket as string;
      const key = message.key as string;
      const object = s3Store.headObject(bucket, key);
      onWritten({ bucket, key, status, size: object.contentLength ?? 0, etag: (object.etag ?? '').replaceAll('"', '') });
    },
  };
  const app = buildApp({ logger: false, defaultRegion: 'us-east-1', stores: { sqsStore, snsStore: new SnsStore(), s3Store } as never });
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET') return;
    const url = new URL(request.url, 'http://local');
    const bucket = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
    if (!url.searchParams.has('uploads') || bucket === '' || bucket.includes('/')) return;
    const { status, body } = listMultipartUploads(s3Store, bucket, url.searchParams.get('prefix') ?? '');
    await reply.status(status).header('content-type', 'application/xml').send(body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: async () => { await app.close(); },
  };
}
