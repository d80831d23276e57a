/**
 * S3 and SQS on one loopback port, served in-process by fauxqs (an AWS-API emulator on npm).
 * Its stores are built here rather than by `startFauxqs`, which binds every interface: queue
 * URLs must carry the request's own host (an empty `host`), objects live as files on disk, and
 * every S3 write is reported to `onObjectWritten` so the local runtime can turn it into an S3
 * event notification (fauxqs accepts notification configurations but never sends them).
 *
 * Two repairs make it accept every key and body S3 accepts: object files are named by the
 * SHA-256 of the key (fauxqs 2.4 maps each key segment to a path segment, so a segment over
 * the file system's 255-byte name limit fails with HTTP 500, and `..` or an empty segment
 * would alias another key), and a PUT without a body stores an empty object (fauxqs 2.4 answers
 * 500 when no body was parsed, as with `aws s3api put-object` without `--body`). A third adds the
 * conditions S3 checks and fauxqs 2.4 ignores: `x-amz-copy-source-if-match` on CopyObject and
 * `If-Match` on DeleteObject answer 412 PreconditionFailed when the object's ETag differs, and a
 * PutObject whose `x-amz-checksum-sha256` is not the SHA-256 of its body answers 400 BadDigest
 * (fauxqs 2.4 stores the claimed checksum unchecked).
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
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

/** The bucket and key of a path-style S3 request path (`/<bucket>/<key>`), or undefined for a bucket-level one. */
function objectOf(path: string): { bucket: string; key: string } | undefined {
  const slash = path.indexOf('/', 1);
  if (slash < 0 || slash === path.length - 1) return undefined;
  return { bucket: decodeURIComponent(path.slice(1, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
}

/** The current ETag (with quotes) of an object, or undefined when it does not exist. */
function etagOf(store: S3StoreLike, bucket: string, key: string): string | undefined {
  try {
    return store.headObject(bucket, key).etag;
  } catch {
    return undefined;
  }
}

const preconditionFailed =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>';

/**
 * ListMultipartUploads (`GET /<bucket>?uploads`), which fauxqs 2.4 does not implement (it would
 * answer with a ListObjects result): the uploads begun and neither completed nor aborted, so a
 * client can check that an abandoned upload left nothing behind. Path-style requests, `prefix`
 * only, one page.
 */
function listMultipartUploads(store: S3StoreLike, bucket: string, prefix: string): { status: number; body: string } {
  if (!store.hasBucket(bucket)) {
    return {
      status: 404,
      body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>${escapeXml(bucket)}</BucketName></Error>`,
    };
  }
  const uploads = [...store.multipartUploads.values()]
    .filter((u) => u.bucket === bucket && u.key.startsWith(prefix))
    .sort((a, b) => a.key.localeCompare(b.key) || a.initiated.getTime() - b.initiated.getTime())
    .map(
      (u) =>
        `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${escapeXml(u.uploadId)}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
    );
  return {
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${escapeXml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`,
  };
}

/** The part of fauxqs' file persistence that names object files. */
interface FilePersistenceLike {
  readonly bucketsDir: string;
}
type FilePersistenceClass = new (dir: string) => FilePersistenceLike;

/** An object as fauxqs' S3 store hands it to its persistence. */
interface StoredObject {
  readonly key: string;
  readonly body: Buffer;
  readonly lastModified: Date;
  readonly [field: string]: unknown;
}

/**
 * fauxqs' file persistence with one flat file name per object, `<sha256(key)>.data` and
 * `.meta.json`: any key S3 accepts (1,024 bytes, one long segment, `..`, `//`, any Unicode)
 * has a valid, distinct file name. The metadata keeps the key, so loading is unchanged.
 */
function flatPersistence(Base: FilePersistenceClass): FilePersistenceClass {
  return class FlatS3Persistence extends Base {
    private pathOf(bucket: string, key: string): string {
      return join(this.bucketsDir, bucket, 'objects', createHash('sha256').update(key, 'utf8').digest('hex'));
    }

    public upsertObject(bucket: string, object: StoredObject): void {
      const path = this.pathOf(bucket, object.key);
      const { body, lastModified, ...meta } = object;
      writeFileSync(`${path}.data`, body);
      writeFileSync(`${path}.meta.json`, JSON.stringify({ ...meta, lastModified: lastModified.toISOString() }));
    }

    public deleteObject(bucket: string, key: string): void {
      const path = this.pathOf(bucket, key);
      for (const file of [`${path}.data`, `${path}.meta.json`]) {
        try {
          unlinkSync(file);
        } catch {
          // Deleting what is not there succeeds in S3 too.
        }
      }
    }

    public renameObject(bucket: string, sourceKey: string, destinationKey: string): void {
      const from = this.pathOf(bucket, sourceKey);
      const to = this.pathOf(bucket, destinationKey);
      const meta = JSON.parse(readFileSync(`${from}.meta.json`, 'utf8')) as Record<string, unknown>;
      renameSync(`${from}.data`, `${to}.data`);
      writeFileSync(`${to}.meta.json`, JSON.stringify({ ...meta, key: destinationKey }));
      if (from !== to) unlinkSync(`${from}.meta.json`);
    }

    public readBody(bucket: string, key: string): Buffer {
      return readFileSync(`${this.pathOf(bucket, key)}.data`);
    }
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
  const { FileS3Persistence } = await load<{ FileS3Persistence: FilePersistenceClass }>('s3/fileS3Persistence.js');

  const sqsStore = new SqsStore();
  // With an empty host, queue URLs are built from the request's Host header (127.0.0.1:port).
  sqsStore.host = '';
  const s3Store = new S3Store();
  s3Store.persistence = new (flatPersistence(FileS3Persistence))(options.storageDir);
  const onWritten = options.onObjectWritten;
  s3Store.spy = {
    addMessage(message) {
      if (onWritten === undefined || message.service !== 's3') return;
      const status = message.status as string;
      if (status !== 'uploaded' && status !== 'copied' && status !== 'renamed') return;
      const bucket = message.bucket as string;
      const key = message.key as string;
      const object = s3Store.headObject(bucket, key);
      onWritten({
        bucket,
        key,
        status,
        size: object.contentLength ?? 0,
        etag: (object.etag ?? '').replaceAll('"', ''),
      });
    },
  };
  const app = buildApp({
    logger: false,
    defaultRegion: 'us-east-1',
    stores: { sqsStore, snsStore: new SnsStore(), s3Store } as never,
  });
  // A PUT with no body (no Content-Type, nothing parsed) is an empty object in S3.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'PUT' && request.body === undefined) (request as { body: unknown }).body = Buffer.alloc(0);
    // A checksum in the header (not in aws-chunked trailers) of a put: S3 verifies it against the body.
    const claimed = request.headers['x-amz-checksum-sha256'];
    const chunked = String(request.headers['content-encoding'] ?? '').includes('aws-chunked');
    if (request.method === 'PUT' && typeof claimed === 'string' && !chunked && Buffer.isBuffer(request.body)) {
      const actual = createHash('sha256').update(request.body).digest('base64');
      if (actual !== claimed) {
        await reply
          .status(400)
          .header('content-type', 'application/xml')
          .send(
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>BadDigest</Code><Message>The SHA256 you specified did not match the calculated checksum.</Message></Error>',
          );
      }
    }
  });
  // Conditional copies and deletes, as S3 checks them: the source's (or the object's) ETag.
  app.addHook('onRequest', async (request, reply) => {
    const url = new URL(request.url, 'http://local');
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    let failed = false;
    const copySource = header('x-amz-copy-source');
    const copyIfMatch = header('x-amz-copy-source-if-match');
    if (request.method === 'PUT' && copySource !== undefined && copyIfMatch !== undefined) {
      // `<bucket>/<key>` (optionally with a leading `/` and `?versionId=`), URL-encoded.
      const path = decodeURIComponent(copySource.split('?')[0]!).replace(/^\/+/, '');
      const slash = path.indexOf('/');
      failed = slash > 0 && etagOf(s3Store, path.slice(0, slash), path.slice(slash + 1)) !== copyIfMatch;
    }
    const ifMatch = header('if-match');
    if (request.method === 'DELETE' && ifMatch !== undefined) {
      const target = objectOf(url.pathname);
      const current = target === undefined ? undefined : etagOf(s3Store, target.bucket, target.key);
      failed = current !== undefined && current !== ifMatch;
    }
    if (failed) await reply.status(412).header('content-type', 'application/xml').send(preconditionFailed);
  });
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
    stop: async () => {
      await app.close();
    },
  };
}
