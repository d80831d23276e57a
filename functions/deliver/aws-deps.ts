/**
 * The saga's effects on AWS: S3 copies and deletes, the deliveries table (records, faults,
 * breakers) and SQS sends. Clients are built once per process; throttling is translated into
 * `DownstreamThrottledError`, which the state machine retries by name.
 */
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import { documentClient, s3Client, sqsClient } from '#shared/clients/aws.ts';
import { busPublisher, EventBusEnvironment, sqsSender } from '#shared/clients/bus.ts';
import { claimStore } from '#shared/clients/claims.ts';
import { Env } from '#shared/config.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { translateThrottling } from '#shared/errors.ts';
import { Clauses, conditionalWrite, putIfAbsent } from '#shared/storage/conditional-write.ts';
import type { BreakerStore } from './steps/breaker.ts';
import type { DeliveryRecords, SagaDeps } from './steps/deps.ts';
import { FaultSchema, type Fault, type FaultSource } from './steps/faults.ts';
import type { StreamHeads, WaitingProduct } from './steps/sequence.ts';
import { parseSubscribers } from './steps/subscribers.ts';

/** Key of a product's delivery record. */
export const recordKeyOf = (productId: string): string => `PRODUCT#${productId}`;
/** Key of the head of a stream notified to an ordered subscriber. */
export const streamHeadKeyOf = (subscriber: string, stream: string): string => `STREAM#${subscriber}#${stream}`;
/** Key of a subscriber's circuit breaker. */
export const breakerKeyOf = (subscriber: string): string => `BREAKER#${subscriber}`;

/** Answers `false` when the write's condition failed; throttling becomes `DownstreamThrottledError`. */
const conditional = (what: string, call: () => Promise<unknown>): Promise<boolean> =>
  conditionalWrite(() => translateThrottling(what, call));

function deliveryRecords(table: string): DeliveryRecords {
  const db = documentClient();
  return {
    register: async (record, at) =>
      (await conditional(`Registering product ${record.productId}`, () =>
        db.send(
          new PutCommand({
            TableName: table,
            Item: {
              pk: recordKeyOf(record.productId),
              status: 'registered',
              ...record,
              registeredAt: at.toISOString(),
            },
            // Only this execution may overwrite its record (a retried register), or a new one a
            // withdrawn record (a redelivery after compensation).
            ConditionExpression: Clauses.any(Clauses.absent(), '#execution = :execution', '#status = :withdrawn'),
            ExpressionAttributeNames: { '#execution': 'execution', '#status': 'status' },
            ExpressionAttributeValues: { ':execution': record.execution, ':withdrawn': 'withdrawn' },
          }),
        ),
      ))
        ? 'registered'
        : 'conflict',
    confirm: async (productId, execution, at) => {
      const done = await conditional(`Confirming product ${productId}`, () =>
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: recordKeyOf(productId) },
            UpdateExpression: 'SET #status = :delivered, deliveredAt = :at, #timings.deliveredAt = :at',
            ConditionExpression: '#execution = :execution',
            ExpressionAttributeNames: { '#status': 'status', '#execution': 'execution', '#timings': 'timings' },
            ExpressionAttributeValues: { ':delivered': 'delivered', ':at': at.toISOString(), ':execution': execution },
          }),
        ),
      );
      if (!done)
        throw new Error(
          `Product ${productId} has no delivery record of execution ${execution} to confirm; expected the one its register step wrote`,
        );
    },
    withdraw: (productId, execution, reason, at) =>
      conditional(`Withdrawing product ${productId}`, () =>
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: recordKeyOf(productId) },
            UpdateExpression: 'SET #status = :withdrawn, withdrawnAt = :at, withdrawnReason = :reason',
            ConditionExpression: Clauses.all(Clauses.present(), '#execution = :execution'),
            ExpressionAttributeNames: { '#status': 'status', '#execution': 'execution' },
            ExpressionAttributeValues: {
              ':withdrawn': 'withdrawn',
              ':at': at.toISOString(),
              ':reason': reason,
              ':execution': execution,
            },
          }),
        ),
      ),
  };
}

function faultSource(table: string, logger: Logger): FaultSource {
  const db = documentClient();
  return {
    read: async (keys) => {
      const response = await translateThrottling('Reading fault configuration', () =>
        db.send(
          new BatchGetCommand({
            RequestItems: { [table]: { Keys: keys.map((pk) => ({ pk })), ConsistentRead: true } },
          }),
        ),
      );
      const items = response.Responses?.[table] ?? [];
      return items.flatMap((item): Fault[] => {
        const parsed = FaultSchema.safeParse(item);
        if (parsed.success) return [parsed.data];
        logger.warn('ignoring an invalid fault item', { pk: item.pk, problem: parsed.error.message });
        return [];
      });
    },
    claimOnce: async (key) =>
      (await translateThrottling(`Recording fault ${key}`, () =>
        putIfAbsent(db, { table, item: { pk: key, firedAt: new Date().toISOString() } }),
      )) === 'created',
  };
}

function breakerStore(table: string): BreakerStore {
  const db = documentClient();
  return {
    read: async (subscriber) => {
      const { Item } = await translateThrottling(`Reading the breaker of ${subscriber}`, () =>
        db.send(
          new GetCommand({
            TableName: table,
            Key: { pk: breakerKeyOf(subscriber) },
            ConsistentRead: true,
          }),
        ),
      );
      if (Item === undefined) return undefined;
      return {
        state: Item.state === 'open' ? 'open' : 'closed',
        failures: Number(Item.failures ?? 0),
        ...(typeof Item.openUntil === 'string' ? { openUntil: Item.openUntil } : {}),
      };
    },
    claimTrial: (subscriber, now, openUntil) =>
      conditional(`Claiming the trial of ${subscriber}`, () =>
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: breakerKeyOf(subscriber) },
            UpdateExpression: 'SET openUntil = :next, trialAt = :now',
            // ISO 8601 UTC timestamps of one format compare as strings.
            ConditionExpression: '#state = :open AND openUntil <= :now',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':open': 'open', ':now': now.toISOString(), ':next': openUntil.toISOString() },
          }),
        ),
      ),
    countFailure: async (subscriber) => {
      const { Attributes } = await translateThrottling(`Counting a failure of ${subscriber}`, () =>
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: breakerKeyOf(subscriber) },
            UpdateExpression: 'ADD failures :one SET lastFailureAt = :now',
            ExpressionAttributeValues: { ':one': 1, ':now': new Date().toISOString() },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      return Number(Attributes?.failures ?? 1);
    },
    open: async (subscriber, openUntil) => {
      await translateThrottling(`Opening the breaker of ${subscriber}`, () =>
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: breakerKeyOf(subscriber) },
            UpdateExpression: 'SET #state = :open, openUntil = :until, openedAt = :now',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':open': 'open',
              ':until': openUntil.toISOString(),
              ':now': new Date().toISOString(),
            },
          }),
        ),
      );
    },
    close: async (subscriber) => {
      await translateThrottling(`Closing the breaker of ${subscriber}`, () =>
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: breakerKeyOf(subscriber) },
            UpdateExpression: 'SET #state = :closed, failures = :zero, closedAt = :now REMOVE openUntil',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':closed': 'closed', ':zero': 0, ':now': new Date().toISOString() },
          }),
        ),
      );
    },
  };
}

/** A waiting product as one element of the stream item's string set `waiting`. */
const waitingElementOf = (w: WaitingProduct): string => `${w.sensingStart}|${w.productId}|${w.startedAt}`;
const waitingProductOf = (element: string): WaitingProduct => {
  const [sensingStart = '', productId = '', startedAt = ''] = element.split('|');
  return { sensingStart, productId, startedAt };
};

function streamHeads(table: string): StreamHeads {
  const db = documentClient();
  return {
    read: async (subscriber, stream) => {
      const { Item } = await translateThrottling(`Reading the head of stream ${stream} for ${subscriber}`, () =>
        db.send(
          new GetCommand({
            TableName: table,
            Key: { pk: streamHeadKeyOf(subscriber, stream) },
            ConsistentRead: true,
          }),
        ),
      );
      const waiting = [...((Item?.waiting as Set<string> | undefined) ?? [])].map(waitingProductOf);
      if (Item?.sensingStart === undefined) return { waiting };
      return {
        head: {
          productId: String(Item.productId),
          sensingStart: String(Item.sensingStart),
          sensingEnd: String(Item.sensingEnd),
        },
        waiting,
      };
    },
    wait: async (subscriber, stream, product) => {
      await translateThrottling(`Recording product ${product.productId} as waiting in stream ${stream}`, () =>
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: streamHeadKeyOf(subscriber, stream) },
            UpdateExpression: 'ADD #waiting :product',
            ExpressionAttributeNames: { '#waiting': 'waiting' },
            ExpressionAttributeValues: { ':product': new Set([waitingElementOf(product)]) },
          }),
        ),
      );
    },
    advance: (subscriber, stream, head, product) =>
      conditional(`Advancing stream ${stream} for ${subscriber}`, () =>
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: streamHeadKeyOf(subscriber, stream) },
            UpdateExpression:
              'SET productId = :product, sensingStart = :start, sensingEnd = :end, notifiedAt = :at DELETE #waiting :me',
            // ISO 8601 UTC timestamps of one format compare as strings. An item holding only
            // waiting products has no head yet.
            ConditionExpression: 'attribute_not_exists(sensingStart) OR sensingStart < :start OR productId = :product',
            ExpressionAttributeNames: { '#waiting': 'waiting' },
            ExpressionAttributeValues: {
              ':product': head.productId,
              ':start': head.sensingStart,
              ':end': head.sensingEnd,
              ':at': new Date().toISOString(),
              ':me': new Set([waitingElementOf(product)]),
            },
          }),
        ),
      ),
  };
}

/** The saga's dependencies, from the function's environment. */
export function sagaDeps(logger: Logger): SagaDeps {
  const s3 = s3Client();
  const send = sqsSender(sqsClient(), { claims: claimStore() });
  const env = parseEnvironment({
    [Env.deliveriesTable]: Setting.name('a table name'),
    ...EventBusEnvironment,
    [Env.distributionBucket]: Setting.name('a bucket name'),
    [Env.subscribers]: Setting.name('JSON: [{ name, queueUrl, productTypes }]'),
    [Env.breakerFailureThreshold]: Setting.integer({ min: 1, unit: 'failures' }),
    [Env.breakerCoolDownSeconds]: Setting.positive('seconds'),
    [Env.sequenceHoldbackSeconds]: Setting.nonNegative('seconds'),
  });
  const table = env[Env.deliveriesTable];
  const publish = busPublisher(send, env[Env.eventBusLanes]);
  return {
    distributionBucket: env[Env.distributionBucket],
    // Parsed by its own schema, whose error names the subscriber and field that is wrong.
    subscribers: parseSubscribers(env[Env.subscribers]),
    breaker: { failureThreshold: env[Env.breakerFailureThreshold], coolDownSeconds: env[Env.breakerCoolDownSeconds] },
    copy: async (from, to) => {
      await translateThrottling(`Copying s3://${from.bucket}/${from.key}`, () =>
        s3.send(
          new CopyObjectCommand({
            Bucket: to.bucket,
            Key: to.key,
            CopySource: `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`,
          }),
        ),
      );
    },
    remove: async (location) => {
      await translateThrottling(`Deleting s3://${location.bucket}/${location.key}`, () =>
        s3.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: location.key })),
      );
    },
    read: async (location) => {
      const response = await translateThrottling(`Reading s3://${location.bucket}/${location.key}`, () =>
        s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key })),
      );
      return Buffer.from(await response.Body!.transformToByteArray());
    },
    records: deliveryRecords(table),
    faults: faultSource(table, logger),
    breakers: breakerStore(table),
    notify: (queueUrl, event, fifo) => send(queueUrl, event, fifo === undefined ? {} : fifo),
    heads: streamHeads(table),
    holdbackSeconds: env[Env.sequenceHoldbackSeconds],
    publish: (event) => publish(event),
    now: () => new Date(),
  };
}
