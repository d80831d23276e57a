/**
 * Delivering one product straight through the deliver queue, as the scheduler would, and
 * reading what the delivery saga left behind: distributed objects, the catalog record,
 * subscriber notifications, execution history. AWS APIs only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventTypes, type CometEvent } from '../../../events/registry.ts';
import { wrap } from '../../../shared/envelope/envelope.ts';
import { executionArnOf } from '../../../local/saga-steps.ts';
import { waitFor } from './stack.ts';

export const ProductType = 'fci-cycle-statistics';

/** A product and manifest written to the products bucket as process writes them; the command delivering it. */
export async function productToDeliver(
  s3: S3Client,
  productsBucket: string,
  productType = ProductType,
): Promise<CometEvent<typeof EventTypes.deliveryRequested>> {
  const productId = randomBytes(16).toString('hex');
  const correlationId = `saga-test-${productId.slice(0, 12)}`;
  const body = Buffer.from(JSON.stringify({ productId, statistics: { mean: 1.5 } }));
  const sha256 = createHash('sha256').update(body).digest('hex');
  const product = {
    bucket: productsBucket,
    key: `${productType}/${correlationId}/${productId}.json`,
    size: body.length,
    sha256,
  };
  const manifest = { bucket: productsBucket, key: `${productType}/${correlationId}/${productId}.manifest.json` };
  await s3.send(new PutObjectCommand({ Bucket: product.bucket, Key: product.key, Body: body }));
  await s3.send(
    new PutObjectCommand({
      Bucket: manifest.bucket,
      Key: manifest.key,
      Body: JSON.stringify({
        productId,
        productType,
        algorithm: { name: 'byte-statistics', version: '1' },
        correlationId,
        requestedBy: 'saga-test',
        degraded: false,
        missing: [],
        product,
        inputs: [
          {
            bucket: 'archive',
            key: 'eumetsat/2026/11/22/input.nc',
            name: 'input.nc',
            size: 10,
            sha256: 'b'.repeat(64),
          },
        ],
        generatedAt: new Date().toISOString(),
      }),
    }),
  );
  return wrap({
    type: EventTypes.deliveryRequested,
    source: 'test/saga',
    correlationId,
    subject: productId,
    data: { productId, productType, product, manifest },
  });
}

/** Sends the command to the deliver queue. */
export async function requestDelivery(sqs: SQSClient, deliverQueueUrl: string, command: CometEvent): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: deliverQueueUrl, MessageBody: JSON.stringify(command) }));
}

/** The ARN of a product's delivery execution. */
export const deliveryExecutionArn = (stateMachineArn: string, productId: string): string =>
  executionArnOf(stateMachineArn, `product-${productId}`);

/** Waits until the product's execution exists and is no longer running. */
export async function finishedDelivery(
  sfn: SFNClient,
  stateMachineArn: string,
  productId: string,
  timeoutMs = 90_000,
): Promise<DescribeExecutionCommandOutput> {
  const executionArn = deliveryExecutionArn(stateMachineArn, productId);
  return waitFor(
    `execution product-${productId} to finish`,
    async () => {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn })).catch((error: Error) => {
        if (error.name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      });
      return execution === undefined || execution.status === 'RUNNING' ? undefined : execution;
    },
    timeoutMs,
  );
}

export type FaultTarget = 'publish' | 'register' | 'notify' | 'confirm' | 'unpublish' | 'unregister' | 'unnotify';

/** Configures a fault for one product (`FAULT#<step>#<productId>` in the deliveries table). */
export async function injectFault(
  documents: DynamoDBDocumentClient,
  table: string,
  step: FaultTarget,
  productId: string,
  mode: 'terminal' | 'transient-once',
): Promise<void> {
  await documents.send(
    new PutCommand({ TableName: table, Item: { pk: `FAULT#${step}#${productId}`, mode, reason: 'integration test' } }),
  );
}

/** The product's delivery record, if any. */
export async function deliveryRecordOf(
  documents: DynamoDBDocumentClient,
  table: string,
  productId: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: table, Key: { pk: `PRODUCT#${productId}` }, ConsistentRead: true }),
  );
  return Item;
}

/** Keys under the product's distribution prefix. */
export async function distributedKeysOf(
  s3: S3Client,
  bucket: string,
  productType: string,
  productId: string,
): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${productType}/${productId}/` }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

/** Sets a subscriber's breaker, or removes it (`undefined`). */
export async function setBreaker(
  documents: DynamoDBDocumentClient,
  table: string,
  subscriber: string,
  state: { state: 'open' | 'closed'; failures: number; openUntil?: string } | undefined,
): Promise<void> {
  const Key = { pk: `BREAKER#${subscriber}` };
  if (state === undefined) await documents.send(new DeleteCommand({ TableName: table, Key }));
  else await documents.send(new PutCommand({ TableName: table, Item: { ...Key, ...state } }));
}

/** A notification a subscriber received. */
export interface Notification {
  readonly subscriber: string;
  readonly event: CometEvent;
}

/**
 * Everything the subscriber queues received, collected by product id. Only this suite reads
 * those queues: it deletes what it receives and keeps it here, so no test waits out another's
 * visibility timeout.
 */
export class SubscriberInboxes {
  private readonly byProduct = new Map<string, Notification[]>();
  private readonly sqs: SQSClient;
  private readonly queues: Record<string, string>;

  /** `queues`: subscriber name -> queue URL. */
  public constructor(sqs: SQSClient, queues: Record<string, string>) {
    this.sqs = sqs;
    this.queues = queues;
  }

  /** Receives until every queue answers empty. */
  public async drain(): Promise<void> {
    for (const [subscriber, queueUrl] of Object.entries(this.queues)) {
      for (;;) {
        const { Messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        if (Messages.length === 0) break;
        for (const message of Messages) {
          const event = JSON.parse(message.Body ?? '{}') as CometEvent;
          const productId = String((event.data as { productId?: unknown } | undefined)?.productId);
          this.byProduct.set(productId, [...(this.byProduct.get(productId) ?? []), { subscriber, event }]);
        }
        await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    }
  }

  /** What subscribers received about a product, after draining. */
  public async of(productId: string): Promise<Notification[]> {
    await this.drain();
    return this.byProduct.get(productId) ?? [];
  }
}
