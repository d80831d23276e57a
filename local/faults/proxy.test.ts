import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFauxqs, type RunningFauxqs } from '../emulators/fauxqs.ts';
import { startFaultProxy, type FaultProxy } from './proxy.ts';

const config = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
let fauxqs: RunningFauxqs;
let dir: string;
const proxies: FaultProxy[] = [];

const proxy = async (service: 's3' | 'sqs' | 'dynamodb'): Promise<FaultProxy> => {
  const started = await startFaultProxy({ service, upstream: fauxqs.endpoint });
  proxies.push(started);
  return started;
};

/** The rejection of a promise that must reject. */
const rejectionOf = async (promise: Promise<unknown>): Promise<Error & Record<string, unknown>> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error & Record<string, unknown>) => error,
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fault-proxy-'));
  fauxqs = await startFauxqs({ storageDir: dir });
});

afterAll(async () => {
  for (const p of proxies) await p.stop();
  await fauxqs.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('fault proxy', () => {
  it('answers DynamoDB with a throttling error the SDK names, classifies as a client fault and retries', async () => {
    // Prepare
    const dynamodb = await proxy('dynamodb');
    dynamodb.setRules([{ kind: 'throttle', rate: 1 }]);
    const client = new DynamoDBClient({
      ...config,
      endpoint: dynamodb.endpoint,
      maxAttempts: 3,
      retryMode: 'standard',
    });

    // Act
    const error = await rejectionOf(client.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } } })));

    // Assess: the SDK saw the modeled error (not an unknown one) and retried it as throttling.
    expect(['ThrottlingException', 'ProvisionedThroughputExceededException']).toContain(error.name);
    expect(error.$fault).toBe('client');
    // DynamoDB does not model these as retryable ($retryable stays unset); the SDK retries them
    // by name, which the three attempts show.
    expect(error.message).toMatch(/throughput/);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 3 });
    expect(dynamodb.counts().PutItem).toMatchObject({ calls: 3, faults: { throttle: 3 } });
  });

  it('answers S3 with SlowDown 503, which the SDK sees as a retryable server fault', async () => {
    // Prepare
    const s3 = await proxy('s3');
    const client = new S3Client({ ...config, endpoint: s3.endpoint, forcePathStyle: true, maxAttempts: 2 });
    await client.send(new CreateBucketCommand({ Bucket: 'slow' }));
    s3.setRules([{ kind: 'throttle', rate: 1, operations: ['PutObject'] }]);

    // Act
    const error = await rejectionOf(client.send(new PutObjectCommand({ Bucket: 'slow', Key: 'k', Body: 'x' })));

    // Assess
    expect(error.name).toBe('SlowDown');
    expect(error.$fault).toBe('server');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 503, attempts: 2 });
    expect(s3.counts().PutObject).toMatchObject({ calls: 2, faults: { throttle: 2 } });
    expect(s3.counts().CreateBucket).toMatchObject({ calls: 1, faults: {} });
  });

  it('answers S3 with InternalError, ServiceUnavailable or RequestTimeout, all retried by the SDK', async () => {
    // Prepare
    const s3 = await proxy('s3');
    const client = new S3Client({ ...config, endpoint: s3.endpoint, forcePathStyle: true, maxAttempts: 2 });
    await client.send(new CreateBucketCommand({ Bucket: 'failing' }));
    s3.setRules([{ kind: 'server-error', rate: 1, operations: ['GetObject'] }]);

    // Act
    const errors = await Promise.all(
      Array.from({ length: 6 }, () => rejectionOf(client.send(new GetObjectCommand({ Bucket: 'failing', Key: 'k' })))),
    );

    // Assess
    for (const error of errors) {
      expect(['InternalError', 'ServiceUnavailable', 'RequestTimeout']).toContain(error.name);
      expect((error.$metadata as { attempts: number }).attempts).toBe(2);
    }
  });

  it('answers SQS with ThrottlingException in its JSON protocol', async () => {
    // Prepare
    const sqs = await proxy('sqs');
    const client = new SQSClient({ ...config, endpoint: sqs.endpoint, maxAttempts: 2 });
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'throttled' }));
    sqs.setRules([{ kind: 'throttle', rate: 1, operations: ['SendMessage'] }]);

    // Act
    const error = await rejectionOf(client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'm' })));

    // Assess
    expect(error.name).toBe('ThrottlingException');
    expect(error.$fault).toBe('client');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 2 });
    // Queue URLs carry the proxy's host, so clients keep going through it.
    expect(QueueUrl!.startsWith(sqs.endpoint)).toBe(true);
  });

  it('resets a connection after the emulator did the work: the client fails, the effect is there', async () => {
    // Prepare
    const sqs = await proxy('sqs');
    const client = new SQSClient({ ...config, endpoint: sqs.endpoint, maxAttempts: 1 });
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'reset-after' }));
    sqs.setRules([{ kind: 'reset-after', rate: 1, operations: ['SendMessage'] }]);

    // Act
    const error = await rejectionOf(client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'sent once' })));
    sqs.setRules([]);
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));

    // Assess
    expect((error.$metadata as { httpStatusCode?: number }).httpStatusCode).toBeUndefined();
    expect(`${error.name} ${error.message} ${String((error as { code?: unknown }).code)}`).toMatch(
      /ECONNRESET|socket hang up/,
    );
    expect(Messages.map((m) => m.Body)).toEqual(['sent once']);
    expect(sqs.counts().SendMessage).toMatchObject({ calls: 1, faults: { 'reset-after': 1 } });
  });

  it('counts the operations of a multipart upload one by one', async () => {
    // Prepare
    const s3 = await proxy('s3');
    const client = new S3Client({ ...config, endpoint: s3.endpoint, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: 'multipart' }));

    // Act
    await new Upload({
      client,
      params: { Bucket: 'multipart', Key: 'big', Body: Buffer.alloc(6 * 1024 * 1024, 1) },
      partSize: 5 * 1024 * 1024,
    }).done();

    // Assess
    const counts = s3.counts();
    expect(counts.CreateMultipartUpload?.calls).toBe(1);
    expect(counts.UploadPart?.calls).toBe(2);
    expect(counts.CompleteMultipartUpload?.calls).toBe(1);
    expect(counts.UploadPart?.bytesIn).toBe(6 * 1024 * 1024);
  });

  it('refuses connections during an outage and serves again after it', async () => {
    // Prepare
    const sqs = await proxy('sqs');
    const client = new SQSClient({ ...config, endpoint: sqs.endpoint, maxAttempts: 1 });
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'outage' }));

    // Act
    const over = sqs.outage(1500);
    const during = await rejectionOf(client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'during' })));
    await over;
    const after = await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'after' }));

    // Assess
    expect(`${during.name} ${during.message} ${String((during as { code?: unknown }).code)}`).toMatch(
      /ECONNREFUSED|ECONNRESET/,
    );
    expect(after.MessageId).toBeDefined();
    expect(sqs.outages()).toBe(1);
  });
});
