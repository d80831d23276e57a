/**
 * Failure records: why a stage gave up on a message. When a record fails on its last receive
 * before SQS moves it to the dead-letter queue (`receiveCount >= maxReceiveCount`), the stage
 * handler writes the last error under the message's id, which SQS keeps when it moves the message,
 * so an operator reading the DLQ (`cometflow dlq`, `failures`, `trace`) finds the reason.
 *
 * One table, one writer path: only `recordFailure`, called by the stage handler, writes it; each
 * stage writes records of the messages it received (as with the idempotency records), and only the
 * CLI and the console read them.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { documentClient } from '../clients/aws.ts';
import { Env } from '../config.ts';
import { parseEnvironment, Setting } from '../environment.ts';
import { PipelineError } from '../errors.ts';

/** The table's key and indexes, shared by the CDK construct, the writer and the readers. */
export const FailureTable = {
  partitionKey: 'messageId',
  /** Index of the records of a day (`day`, `failedAt`): `failures --since`. */
  byDay: 'byDay',
  /** Sparse index of the records of a correlation (`correlationId`, `failedAt`): `trace`. */
  byCorrelation: 'byCorrelation',
  ttl: 'expiresAt',
} as const;

/**
 * How long a record is kept: the dead-letter queues' retention (14 days, the SQS maximum) plus a
 * day, so a record never expires before its message.
 */
export const FailureRecordSeconds = 15 * 24 * 3600;

/** Why a stage gave up on one message. */
export interface FailureRecord {
  /** The SQS message id (kept by SQS when it moves the message to the dead-letter queue). */
  readonly messageId: string;
  readonly stage: string;
  /** The name of the queue the message came from. */
  readonly queue: string;
  /** Receives so far, including the failed one. */
  readonly receiveCount: number;
  readonly maxReceiveCount: number;
  /** The error's name: the failure's code (`InvalidInputError`, `NoSuchKey`, ...). */
  readonly code: string;
  readonly reason: string;
  /** Whether another attempt with the same message could succeed. */
  readonly retryable: boolean;
  readonly failedAt: string;
  /** `YYYY-MM-DD` of `failedAt` (index `byDay`). */
  readonly day: string;
  /** Of the CloudEvent the message carried, when it carried one. */
  readonly eventId?: string;
  readonly eventType?: string;
  readonly correlationId?: string;
  /** The event's subject, or for an S3 notification the object key. */
  readonly subject?: string;
  /** The S3 objects the message names (`{ bucket, key }` anywhere in its data), for the redrive guard. */
  readonly objects?: readonly { readonly bucket: string; readonly key: string }[];
  readonly expiresAt: number;
}

/** The name and reason of an error as the record and the log give them. */
export function describeError(error: unknown): { code: string; reason: string; retryable: boolean } {
  if (error instanceof PipelineError) return { code: error.name, reason: error.message, retryable: error.retryable };
  if (error instanceof Error) return { code: error.name, reason: error.message, retryable: true };
  return { code: 'Unknown', reason: String(error), retryable: true };
}

const MaxObjects = 20;
const MaxReasonChars = 2000;

/** `{ bucket, key }` pairs anywhere in `value` (event data, an S3 notification), at most 20. */
export function objectsNamedIn(value: unknown): { bucket: string; key: string }[] {
  const found = new Map<string, { bucket: string; key: string }>();
  const visit = (node: unknown, depth: number): void => {
    if (found.size >= MaxObjects || depth > 8 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child, depth + 1);
      return;
    }
    const object = node as Record<string, unknown>;
    const bucket = object.bucket;
    const key = object.key;
    if (typeof bucket === 'string' && typeof key === 'string') found.set(`${bucket}/${key}`, { bucket, key });
    // An S3 event notification: Records[].s3.bucket.name and .object.key (URL-encoded).
    const s3 = object.s3 as { bucket?: { name?: unknown }; object?: { key?: unknown } } | undefined;
    if (typeof s3?.bucket?.name === 'string' && typeof s3.object?.key === 'string') {
      const decoded = decodeURIComponent(s3.object.key.replaceAll('+', ' '));
      found.set(`${s3.bucket.name}/${decoded}`, { bucket: s3.bucket.name, key: decoded });
    }
    for (const child of Object.values(object)) visit(child, depth + 1);
  };
  visit(value, 0);
  return [...found.values()];
}

/** What the failed message carried, read from its body without validating it (it may be the cause). */
function contentOf(
  body: string,
): Pick<FailureRecord, 'eventId' | 'eventType' | 'correlationId' | 'subject' | 'objects'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object') return {};
  const event = parsed as Record<string, unknown>;
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const objects = objectsNamedIn(event.data ?? event);
  const eventId = text(event.id);
  const eventType = text(event.type);
  const correlationId = text(event.correlationid);
  const subject = text(event.subject) ?? (objects.length > 0 && event.data === undefined ? objects[0]!.key : undefined);
  return {
    ...(eventId === undefined ? {} : { eventId }),
    ...(eventType === undefined ? {} : { eventType }),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(subject === undefined ? {} : { subject }),
    ...(objects.length === 0 ? {} : { objects }),
  };
}

/** A message that failed, from a Lambda SQS record or a worker's receive. */
export interface FailedMessage {
  readonly messageId: string;
  readonly body: string;
  /** The queue's name. */
  readonly queue: string;
  /** Receives so far, including the failed one. */
  readonly receiveCount: number;
}

/** The failed message of a Lambda SQS record (its queue's name is the last part of its ARN). */
export const failedMessageOf = (
  record: Pick<SQSRecord, 'messageId' | 'body' | 'eventSourceARN' | 'attributes'>,
): FailedMessage => ({
  messageId: record.messageId,
  body: record.body,
  queue: record.eventSourceARN.split(':').at(-1) ?? record.eventSourceARN,
  receiveCount: Number(record.attributes.ApproximateReceiveCount ?? '1'),
});

/**
 * The failure record of `message` failing with `error` on a stage's last receive.
 *
 * @example
 * const failure = failureRecordOf({ stage: 'ingest', message: failedMessageOf(record), error, maxReceiveCount: 3, now: new Date() });
 */
export function failureRecordOf(input: {
  readonly stage: string;
  readonly message: FailedMessage;
  readonly error: unknown;
  readonly maxReceiveCount: number;
  readonly now: Date;
}): FailureRecord {
  const { message, now } = input;
  const { code, reason, retryable } = describeError(input.error);
  const failedAt = now.toISOString();
  return {
    messageId: message.messageId,
    stage: input.stage,
    queue: message.queue,
    receiveCount: message.receiveCount,
    maxReceiveCount: input.maxReceiveCount,
    code,
    reason: reason.length > MaxReasonChars ? `${reason.slice(0, MaxReasonChars)}...` : reason,
    retryable,
    failedAt,
    day: failedAt.slice(0, 10),
    ...contentOf(message.body),
    expiresAt: Math.floor(now.getTime() / 1000) + FailureRecordSeconds,
  };
}

/** Whether a failed receive is the last one before SQS moves the message to the dead-letter queue. */
export const isLastReceive = (receiveCount: number, maxReceiveCount: number): boolean =>
  receiveCount >= maxReceiveCount;

/** Writes (or overwrites: the last error counts) the failure record of a message. */
export async function recordFailure(
  documents: DynamoDBDocumentClient,
  tableName: string,
  failure: FailureRecord,
): Promise<void> {
  await documents.send(new PutCommand({ TableName: tableName, Item: { ...failure } }));
}

/**
 * Where the stage keeps its failure records and after how many receives SQS gives up: both set
 * by the CDK app (`PipelineStage`, the ingest container); without a table (unit tests, tools)
 * nothing is recorded.
 */
function failureSettings(): { table: string; maxReceiveCount: number } | undefined {
  const env = parseEnvironment({
    [Env.failuresTable]: Setting.optional(Setting.name('the failure records table'), ''),
    [Env.maxReceiveCount]: Setting.optional(Setting.integer({ min: 1, max: 1000, unit: 'receives' }), 3),
  });
  const table = env[Env.failuresTable];
  return table === '' ? undefined : { table, maxReceiveCount: env[Env.maxReceiveCount] };
}

/**
 * Writes the failure record of `message` when its failed receive is its last before the DLQ;
 * does nothing on an earlier receive or where no table is configured. Resolves whether it wrote.
 *
 * @example
 * await recordIfLastReceive('ingest', failedMessageOf(record), error).catch((e) => logger.warn('...', { error: String(e) }));
 */
export async function recordIfLastReceive(
  stage: string,
  message: FailedMessage,
  error: unknown,
  now = new Date(),
): Promise<boolean> {
  const settings = failureSettings();
  if (settings === undefined || !isLastReceive(message.receiveCount, settings.maxReceiveCount)) return false;
  const { maxReceiveCount } = settings;
  await recordFailure(
    documentClient(),
    settings.table,
    failureRecordOf({ stage, message, error, maxReceiveCount, now }),
  );
  return true;
}
