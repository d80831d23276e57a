import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFauxqs, type RunningFauxqs, type WrittenObject } from './fauxqs.ts';

const Bucket = 'cometflow-inbox-test';

describe('local S3 (fauxqs) accepts what S3 accepts', () => {
  let fauxqs: RunningFauxqs;
  let s3: S3Client;
  let dir: string;
  const written: WrittenObject[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fauxqs-test-'));
    fauxqs = await startFauxqs({ storageDir: dir, onObjectWritten: (object) => written.push(object) });
    s3 = new S3Client({
      endpoint: fauxqs.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await s3.send(new CreateBucketCommand({ Bucket }));
  });

  afterAll(async () => {
    await fauxqs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bodyOf = async (key: string): Promise<string> =>
    (await s3.send(new GetObjectCommand({ Bucket, Key: key }))).Body!.transformToString();

  it('stores a zero-byte object sent with no body at all, and reports its write', async () => {
    // Prepare: a raw PUT without body or Content-Type, as `aws s3api put-object` without --body sends.
    const key = 'eumetsat/empty-raw.nc';
    // Act
    const response = await fetch(`${fauxqs.endpoint}/${Bucket}/${key}`, {
      method: 'PUT',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      },
    });
    // Assess
    expect(response.status).toBe(200);
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: key }))).ContentLength).toBe(0);
    expect(written.find((object) => object.key === key)).toMatchObject({ size: 0, status: 'uploaded' });
  });

  it('stores a zero-byte PutObject from the SDK', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'eumetsat/empty-sdk.nc', Body: Buffer.alloc(0) }));
    expect(await bodyOf('eumetsat/empty-sdk.nc')).toBe('');
  });

  it.each([912, 1024])(
    'stores, lists, copies and deletes a %i-byte key under eumetsat/ that is one long segment',
    async (bytes) => {
      // Prepare
      const key = `eumetsat/${'W'.repeat(bytes - 'eumetsat/'.length)}`;
      const copy = `${key.slice(0, -4)}copy`;
      // Act
      await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: `content of ${bytes}` }));
      await s3.send(new CopyObjectCommand({ Bucket, Key: copy, CopySource: `${Bucket}/${encodeURIComponent(key)}` }));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'eumetsat/WWW' }));
      // Assess
      expect(Buffer.byteLength(key)).toBe(bytes);
      expect(await bodyOf(key)).toBe(`content of ${bytes}`);
      expect(await bodyOf(copy)).toBe(`content of ${bytes}`);
      expect(listed.Contents?.map((object) => object.Key)).toContain(key);
      await s3.send(new DeleteObjectCommand({ Bucket, Key: key }));
      await expect(s3.send(new HeadObjectCommand({ Bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
      expect(await bodyOf(copy)).toBe(`content of ${bytes}`);
    },
  );

  it('keeps keys apart that a file system would merge: a long multi-byte segment, "..", "//"', async () => {
    // Prepare: 1,020 bytes of 4-byte characters in one segment, and keys that path joining aliases.
    const keys = [`eumetsat/${'\u{1F30D}'.repeat(252)}`, 'eumetsat/../ecmwf/x', 'ecmwf/x', 'eumetsat//a', 'eumetsat/a'];
    // Act
    for (const [i, key] of keys.entries()) await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: `body ${i}` }));
    // Assess
    for (const [i, key] of keys.entries()) expect(await bodyOf(key), key).toBe(`body ${i}`);
  });

  it('refuses a copy, a read and a delete conditional on an ETag the object no longer has, as S3 does', async () => {
    // Prepare: a key written twice; the first upload's ETag is stale.
    const key = 'eumetsat/replaced file.nc';
    const first = await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: 'first upload' }));
    const second = await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: 'second upload' }));
    const source = `${Bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const statusOf = (call: Promise<unknown>): Promise<number> =>
      call.then(
        () => 200,
        (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode ?? 0,
      );

    // Act
    const staleCopy = await statusOf(
      s3.send(new CopyObjectCommand({ Bucket, Key: 'copy-stale', CopySource: source, CopySourceIfMatch: first.ETag })),
    );
    const staleRead = await statusOf(s3.send(new GetObjectCommand({ Bucket, Key: key, IfMatch: first.ETag })));
    const staleDelete = await statusOf(s3.send(new DeleteObjectCommand({ Bucket, Key: key, IfMatch: first.ETag })));
    const copy = await statusOf(
      s3.send(
        new CopyObjectCommand({ Bucket, Key: 'copy-current', CopySource: source, CopySourceIfMatch: second.ETag }),
      ),
    );
    const remove = await statusOf(s3.send(new DeleteObjectCommand({ Bucket, Key: key, IfMatch: second.ETag })));

    // Assess
    expect([staleCopy, staleRead, staleDelete]).toEqual([412, 412, 412]);
    expect(await bodyOf('copy-current')).toBe('second upload');
    expect([copy, remove]).toEqual([200, 200]);
    await expect(s3.send(new HeadObjectCommand({ Bucket, Key: 'copy-stale' }))).rejects.toThrow();
    await expect(s3.send(new HeadObjectCommand({ Bucket, Key: key }))).rejects.toThrow();
  });

  it('refuses a put whose SHA-256 checksum is not that of its bytes, and keeps one that is', async () => {
    // Prepare
    const body = Buffer.from('provider bytes');
    const right = createHash('sha256').update(body).digest('base64');
    const wrong = createHash('sha256').update('other bytes').digest('base64');

    // Act
    const refused = await s3
      .send(new PutObjectCommand({ Bucket, Key: 'eumetsat/checksum-wrong', Body: body, ChecksumSHA256: wrong }))
      .then(
        () => 'stored',
        (error: Error) => error.name,
      );
    await s3.send(new PutObjectCommand({ Bucket, Key: 'eumetsat/checksum-right', Body: body, ChecksumSHA256: right }));

    // Assess
    expect(refused).toBe('BadDigest');
    await expect(s3.send(new HeadObjectCommand({ Bucket, Key: 'eumetsat/checksum-wrong' }))).rejects.toThrow();
    expect(await bodyOf('eumetsat/checksum-right')).toBe('provider bytes');
  });
});
