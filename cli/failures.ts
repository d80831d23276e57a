/**
 * Failures: the messages stages gave up on, with why (the failure records the stage handler
 * writes on a message's last receive, `shared/stage/failure-records.ts`), where each is now (still
 * in its dead-letter queue, or not), and the rerun of the ones still there.
 *
 * A rerun moves the selected messages from their DLQ back to their source queue unchanged (same
 * body, same event id), at most `rate` per second, so the stage's idempotency per event id and the
 * deterministic product ids keep a rerun from producing a second product. A message whose cause is
 * unchanged (`causeOf`) is refused unless forced. A dry run (the default) moves nothing.
 *
 * Library functions for the CLI and the console: `listFailures`, `rerunFailures`, `listDeadLetters`,
 * `causeOf`, `parseSince`.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { FailureTable, type FailureRecord } from '#shared/stage/failure-records.ts';
import type { StackDescription } from '../local/stack-description.ts';
import { deadLetterQueues, forwardAttributes, queueDepth, type DeadLetterPair } from './dlq.ts';
import { UsageError } from './errors.ts';
import { daysOf, table as textTable } from './event-store.ts';
import { DEFAULT_RATE, pacer, systemClock, type Clock } from './pacer.ts';
import { resourceOf, type StackClients } from './stack.ts';

/** What the failure functions need of a stack. */
export interface FailureContext {
  readonly description: StackDescription;
  readonly clients: Pick<StackClients, 'sqs' | 's3' | 'documents'>;
}

/** A message held in a dead-letter queue, as received (hidden from others until released). */
export interface HeldMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes?: Record<string, import('@aws-sdk/client-sqs').MessageAttributeValue>;
  /** When it was first sent to its source queue. */
  readonly sentAt?: string;
}

/** A message of a dead-letter queue with its failure record, when the stage wrote one. */
export interface DeadLetter {
  readonly role: string;
  readonly sourceRole: string;
  readonly messageId: string;
  readonly sentAt?: string;
  /** Undefined when the stage wrote none (it crashed or timed out on the last receive). */
  readonly failure?: FailureRecord;
}

/** A failure record, with where its message is now. */
export interface FailureRow extends FailureRecord {
  /** The dead-letter queue (role) holding the message now, or undefined when it is not in one. */
  readonly deadLetterQueue?: string;
}

/** What `listFailures` found. */
export interface FailureReport {
  readonly since: string;
  readonly generatedAt: string;
  readonly filters: { readonly stage?: string; readonly code?: string; readonly what?: string };
  /** Newest first. */
  readonly failures: readonly FailureRow[];
  /** Messages in dead-letter queues with no failure record (a crash or timeout on the last receive). */
  readonly unexplained: readonly DeadLetter[];
}

/** Whether a message's cause is unchanged since it failed, and in words why. */
export interface CauseVerdict {
  readonly unchanged: boolean;
  readonly why: string;
}

/** One selected failure and what the rerun does (or would do) with it. */
export interface RerunItem {
  readonly messageId: string;
  readonly stage: string;
  readonly deadLetterQueue: string;
  readonly subject?: string;
  readonly action: 'rerun' | 'refused';
  readonly why: string;
}

/** What `rerunFailures` did. */
export interface RerunReport {
  readonly dryRun: boolean;
  readonly items: readonly RerunItem[];
  /** Messages moved back to their source queues: 0 for a dry run. */
  readonly moved: number;
  /** Said when nothing selected is failed now (nothing to rerun). */
  readonly nothing?: string;
}

/** Default window of `failures`. */
export const DEFAULT_SINCE = '6h';

const units: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `--since`: a duration back from now (`30m`, `6h`, `2d`) or an ISO-8601 time; at most 31 days. */
export function parseSince(value: string, now = new Date()): string {
  const relative = /^(\d+(?:\.\d+)?)([mhd])$/.exec(value.trim());
  const ms = relative !== null ? now.getTime() - Number(relative[1]) * units[relative[2]!]! : Date.parse(value);
  if (Number.isNaN(ms) || (relative === null && !/^\d{4}-\d{2}-\d{2}/.test(value)))
    throw new UsageError(
      `--since "${value}" is neither a duration nor a time; expected for example 30m, 6h, 2d or 2026-11-22T10:00:00Z`,
    );
  if (now.getTime() - ms > 31 * units.d!) throw new UsageError(`--since "${value}" reaches back more than 31 days`);
  return new Date(ms).toISOString();
}

/** The failure record of a message, when its stage wrote one. */
export async function readFailureRecord(
  documents: DynamoDBDocumentClient,
  tableName: string,
  messageId: string,
): Promise<FailureRecord | undefined> {
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableName, Key: { [FailureTable.partitionKey]: messageId } }),
  );
  return Item as FailureRecord | undefined;
}

async function queryRecords(
  documents: DynamoDBDocumentClient,
  input: ConstructorParameters<typeof import('@aws-sdk/lib-dynamodb').QueryCommand>[0],
): Promise<FailureRecord[]> {
  const records: FailureRecord[] = [];
  for await (const page of paginateQuery({ client: documents }, input))
    records.push(...((page.Items ?? []) as FailureRecord[]));
  return records;
}

/** The failure records written since `since`, newest first: one Query on `byDay` per day. */
export async function readFailureRecords(
  documents: DynamoDBDocumentClient,
  tableName: string,
  since: string,
  now = new Date(),
): Promise<FailureRecord[]> {
  const records: FailureRecord[] = [];
  for (const day of daysOf({ from: since, to: new Date(now.getTime() + 1).toISOString() })) {
    records.push(
      ...(await queryRecords(documents, {
        TableName: tableName,
        IndexName: FailureTable.byDay,
        KeyConditionExpression: '#day = :day AND failedAt >= :since',
        ExpressionAttributeNames: { '#day': 'day' },
        ExpressionAttributeValues: { ':day': day, ':since': since },
      })),
    );
  }
  return records.sort((a, b) => (a.failedAt < b.failedAt ? 1 : a.failedAt > b.failedAt ? -1 : 0));
}

/** The failure records of a correlation, oldest first (index `byCorrelation`). */
export async function failuresOfCorrelation(
  documents: DynamoDBDocumentClient,
  tableName: string,
  correlationId: string,
): Promise<FailureRecord[]> {
  return queryRecords(documents, {
    TableName: tableName,
    IndexName: FailureTable.byCorrelation,
    KeyConditionExpression: 'correlationId = :c',
    ExpressionAttributeValues: { ':c': correlationId },
  });
}

/** Most messages a DLQ listing or a rerun receives from one queue at once. */
export const MaxHeldPerQueue = 1000;

/**
 * Receives every message of a DLQ (up to its depth and `MaxHeldPerQueue`), hiding each for
 * `holdSeconds`: while held, no second receive sees it twice. Release what is not moved.
 */
export async function holdDeadLetters(sqs: SQSClient, url: string, holdSeconds = 60): Promise<HeldMessage[]> {
  const { visible } = await queueDepth(sqs, url);
  const held: HeldMessage[] = [];
  const limit = Math.min(visible, MaxHeldPerQueue);
  while (held.length < limit) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, limit - held.length),
        WaitTimeSeconds: 1,
        VisibilityTimeout: holdSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    if (messages.length === 0) break;
    for (const m of messages) {
      const sent = Number(m.Attributes?.SentTimestamp);
      held.push({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        ...(m.MessageAttributes === undefined ? {} : { attributes: m.MessageAttributes }),
        ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
      });
    }
  }
  return held;
}

/** Makes held messages visible again at once. */
export async function releaseHeld(sqs: SQSClient, url: string, held: readonly HeldMessage[]): Promise<void> {
  for (const message of held)
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: message.receiptHandle, VisibilityTimeout: 0 }),
    );
}

/** Sends a held message back to its source queue unchanged, then deletes it from the DLQ. */
export async function moveHeld(sqs: SQSClient, pair: DeadLetterPair, message: HeldMessage): Promise<void> {
  if (pair.sourceUrl === undefined)
    throw new UsageError(`${pair.role} has no source queue ${pair.sourceRole} in this stack; nothing to move to`);
  const attributes = forwardAttributes(message.attributes);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: pair.sourceUrl,
      MessageBody: message.body,
      ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
    }),
  );
  // Deleted only after the send: a failure leaves it in the DLQ (sent twice at worst, which
  // the stage's idempotency per event id absorbs).
  await sqs.send(new DeleteMessageCommand({ QueueUrl: pair.url, ReceiptHandle: message.receiptHandle }));
}

/**
 * Every message of the stack's dead-letter queues (or of `pairs`), with its failure record when
 * the stage wrote one. The messages are received and released at once: their receive counts in
 * the DLQ grow, nothing else changes.
 *
 * @example
 * for (const letter of await listDeadLetters(context)) console.log(letter.role, letter.failure?.reason);
 */
export async function listDeadLetters(
  context: FailureContext,
  pairs: readonly DeadLetterPair[] = deadLetterQueues(context.description.queues),
): Promise<DeadLetter[]> {
  const { sqs, documents } = context.clients;
  const failures = resourceOf('tables', context.description, 'failures');
  const letters: DeadLetter[] = [];
  for (const pair of pairs) {
    const held = await holdDeadLetters(sqs, pair.url, 30);
    try {
      for (const message of held) {
        const failure = await readFailureRecord(documents, failures, message.messageId);
        letters.push({
          role: pair.role,
          sourceRole: pair.sourceRole,
          messageId: message.messageId,
          ...(message.sentAt === undefined ? {} : { sentAt: message.sentAt }),
          ...(failure === undefined ? {} : { failure }),
        });
      }
    } finally {
      await releaseHeld(sqs, pair.url, held);
    }
  }
  return letters;
}

const matches = (record: FailureRecord, what: string): boolean =>
  [record.messageId, record.eventId, record.correlationId, record.subject, ...(record.objects ?? []).map((o) => o.key)]
    .filter((value): value is string => value !== undefined)
    .some((value) => value === what || value === `cycle-${what}`);

/** Options of `listFailures` and `rerunFailures`. */
export interface FailureFilter {
  /** `6h`, `2d` or an ISO time. @default '6h' */
  readonly since?: string;
  readonly stage?: string;
  /** The error's name (`InvalidInputError`, `NoSuchKey`, ...). */
  readonly code?: string;
  /** A message id, event id, correlation id, cycle id, event subject or object key. */
  readonly what?: string;
  readonly now?: Date;
}

/**
 * The failures since `since` (default the last 6 hours), narrowed by stage, code and what they
 * concern, newest first, each with the dead-letter queue holding its message now; and the DLQ
 * messages no failure record explains.
 *
 * @example
 * const report = await listFailures({ description, clients }, { since: '6h', stage: 'ingest' });
 */
export async function listFailures(context: FailureContext, filter: FailureFilter = {}): Promise<FailureReport> {
  const now = filter.now ?? new Date();
  const since = parseSince(filter.since ?? DEFAULT_SINCE, now);
  const records = await readFailureRecords(
    context.clients.documents,
    resourceOf('tables', context.description, 'failures'),
    since,
    now,
  );
  const letters = await listDeadLetters(context);
  const whereNow = new Map(letters.map((letter) => [letter.messageId, letter.role]));
  const selected = records.filter(
    (r) =>
      (filter.stage === undefined || r.stage === filter.stage) &&
      (filter.code === undefined || r.code === filter.code) &&
      (filter.what === undefined || matches(r, filter.what)),
  );
  const failures = selected.map((r): FailureRow => {
    const role = whereNow.get(r.messageId);
    return role === undefined ? r : { ...r, deadLetterQueue: role };
  });
  // A DLQ message older than the window still counts: it waits whatever its age.
  const explained = new Set(records.map((r) => r.messageId));
  const extra = letters.filter(
    (l) =>
      l.failure !== undefined &&
      !explained.has(l.messageId) &&
      (filter.stage === undefined || l.failure.stage === filter.stage) &&
      (filter.code === undefined || l.failure.code === filter.code) &&
      (filter.what === undefined || matches(l.failure, filter.what)),
  );
  return {
    since,
    generatedAt: now.toISOString(),
    filters: {
      ...(filter.stage === undefined ? {} : { stage: filter.stage }),
      ...(filter.code === undefined ? {} : { code: filter.code }),
      ...(filter.what === undefined ? {} : { what: filter.what }),
    },
    failures: [...failures, ...extra.map((l) => ({ ...l.failure!, deadLetterQueue: l.role }))],
    unexplained: filter.what === undefined ? letters.filter((l) => l.failure === undefined) : [],
  };
}

const MissingNames = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (error instanceof Error && (MissingNames.has(error.name) || status === 404)) return false;
    throw error;
  }
}

/**
 * Whether the cause of a failure is unchanged, checked where it can be: an object the message
 * names that was missing is still missing; a terminal error (the same message fails the same way
 * until the stage changes) counts as unchanged; a transient one (throttling, an outage) may have
 * passed. A message with no failure record is not refused: its cause is unknown.
 */
export async function causeOf(s3: S3Client, record: FailureRecord | undefined): Promise<CauseVerdict> {
  if (record === undefined)
    return { unchanged: false, why: 'no failure record (the stage crashed or timed out on its last receive)' };
  const missingError = MissingNames.has(record.code) || /does not exist|not found/i.test(record.reason);
  if (missingError && (record.objects ?? []).length > 0) {
    for (const object of record.objects ?? []) {
      if (!(await exists(s3, object.bucket, object.key)))
        return { unchanged: true, why: `s3://${object.bucket}/${object.key} is still missing (${record.code})` };
    }
    return { unchanged: false, why: 'the objects it names, missing when it failed, are there now' };
  }
  if (!record.retryable)
    return {
      unchanged: true,
      why: `terminal error ${record.code}: the same message fails the same way until the stage changes (--force after deploying a fix)`,
    };
  return { unchanged: false, why: `transient error ${record.code}: may pass now` };
}

/** Options of `rerunFailures`. */
export interface RerunOptions extends FailureFilter {
  /** Move nothing; say what would move. @default true */
  readonly dryRun?: boolean;
  /** Rerun messages whose cause looks unchanged too. @default false */
  readonly force?: boolean;
  /** Messages moved per second at most. @default 20 */
  readonly rate?: number;
  readonly clock?: Clock;
}

/**
 * Reruns the selected failures whose messages wait in a dead-letter queue: each is moved back to
 * its source queue unchanged, at most `rate` per second, unless its cause is unchanged and not
 * `force`d. A dry run (the default) says what it would do. Failures not in a DLQ are not failed
 * now (rerun before, or expired): nothing is done with them and the report says so. Running it
 * twice moves nothing the second time.
 *
 * @example
 * const plan = await rerunFailures(context, { stage: 'process', since: '6h' }); // dry run
 * const done = await rerunFailures(context, { stage: 'process', since: '6h', dryRun: false });
 */
export async function rerunFailures(context: FailureContext, options: RerunOptions = {}): Promise<RerunReport> {
  const dryRun = options.dryRun ?? true;
  const report = await listFailures(context, options);
  const waiting = report.failures.filter((f) => f.deadLetterQueue !== undefined);
  if (waiting.length === 0) {
    const what = options.what === undefined ? 'no failure of the selection' : `"${options.what}" is not failed now:`;
    const why =
      report.failures.length === 0
        ? 'no failure record matches'
        : `its ${report.failures.length} failure record(s) have no message in a dead-letter queue (rerun before, or expired)`;
    return { dryRun, items: [], moved: 0, nothing: `${what} ${why}; nothing to rerun` };
  }
  const items: RerunItem[] = [];
  for (const failure of waiting) {
    const verdict = await causeOf(context.clients.s3, failure);
    const refused = verdict.unchanged && options.force !== true;
    items.push({
      messageId: failure.messageId,
      stage: failure.stage,
      deadLetterQueue: failure.deadLetterQueue!,
      ...(failure.subject === undefined ? {} : { subject: failure.subject }),
      action: refused ? 'refused' : 'rerun',
      why: verdict.unchanged && !refused ? `forced: ${verdict.why}` : verdict.why,
    });
  }
  if (dryRun) return { dryRun, items, moved: 0 };
  const pace = pacer(options.rate ?? DEFAULT_RATE, options.clock ?? systemClock);
  const pairs = deadLetterQueues(context.description.queues);
  let moved = 0;
  for (const role of new Set(items.filter((i) => i.action === 'rerun').map((i) => i.deadLetterQueue))) {
    const pair = pairs.find((p) => p.role === role)!;
    const wanted = new Set(
      items.filter((i) => i.action === 'rerun' && i.deadLetterQueue === role).map((i) => i.messageId),
    );
    const held = await holdDeadLetters(context.clients.sqs, pair.url);
    const kept: HeldMessage[] = [];
    try {
      for (const message of held) {
        if (!wanted.has(message.messageId)) {
          kept.push(message);
          continue;
        }
        await pace();
        await moveHeld(context.clients.sqs, pair, message);
        moved += 1;
      }
    } finally {
      await releaseHeld(context.clients.sqs, pair.url, kept);
    }
  }
  return { dryRun, items, moved };
}

/** `failures` as text. */
export function formatFailures(report: FailureReport): string[] {
  const lines: string[] = [];
  const filters = Object.entries(report.filters).map(([k, v]) => ` ${k}=${v}`);
  lines.push(`failures since ${report.since}${filters.join('')}: ${report.failures.length}`);
  if (report.failures.length > 0) {
    const rows = [['failed at', 'stage', 'code', 'receives', 'now', 'subject', 'message']];
    for (const f of report.failures)
      rows.push([
        f.failedAt,
        f.stage,
        f.code,
        `${f.receiveCount}/${f.maxReceiveCount}`,
        f.deadLetterQueue ?? 'not in a DLQ',
        f.subject ?? f.correlationId ?? '-',
        f.messageId,
      ]);
    lines.push(...textTable(rows).map((line) => `  ${line}`));
    for (const f of report.failures) lines.push(`  ${f.messageId}: ${f.reason}`);
  }
  if (report.unexplained.length > 0) {
    lines.push(
      `dead letters without a failure record (crash or timeout on the last receive): ${report.unexplained.length}`,
    );
    for (const l of report.unexplained) lines.push(`  ${l.role}  ${l.messageId}  sent ${l.sentAt ?? '?'}`);
  }
  return lines;
}

/** A rerun (or its dry run) as text. */
export function formatRerun(report: RerunReport): string[] {
  if (report.nothing !== undefined) return [report.nothing];
  const lines = report.items.map(
    (i) =>
      `  ${i.action === 'rerun' ? (report.dryRun ? 'would rerun' : 'rerun') : 'refused'}  ${i.deadLetterQueue}  ${i.messageId}  ${i.subject ?? ''}: ${i.why}`,
  );
  const reruns = report.items.filter((i) => i.action === 'rerun').length;
  const refused = report.items.length - reruns;
  lines.push(
    report.dryRun
      ? `dry run: ${reruns} would be moved back to their queues, ${refused} refused; add --rerun --yes to move them`
      : `moved ${report.moved} message(s) back to their queues, ${refused} refused${refused > 0 ? ' (--force to move them anyway)' : ''}`,
  );
  return lines;
}

/** `dlq --messages` as text: each message with why its stage gave up on it. */
export function formatDeadLetters(letters: readonly DeadLetter[]): string[] {
  if (letters.length === 0) return ['no message in any dead-letter queue'];
  return letters.map((l) =>
    l.failure === undefined
      ? `${l.role}  ${l.messageId}  no failure record (the stage crashed or timed out on its last receive)`
      : `${l.role}  ${l.messageId}  ${l.failure.subject ?? l.failure.correlationId ?? ''}  after ${l.failure.receiveCount} receives by ${l.failure.stage}, ${l.failure.failedAt}: ${l.failure.code}: ${l.failure.reason}`,
  );
}

/** What `redriveChecked` did. */
export interface RedriveReport {
  readonly role: string;
  readonly sourceRole: string;
  readonly moved: number;
  /** Messages left in the DLQ because their cause is unchanged, each with why. */
  readonly refused: readonly { readonly messageId: string; readonly why: string }[];
}

/**
 * Moves a DLQ's messages back to its source queue, except a message whose cause is unchanged
 * (`causeOf` of its failure record) unless `force`: that one stays in the DLQ, and the report
 * says why. At most `rate` messages per second.
 *
 * @example
 * const report = await redriveChecked(context, findDeadLetterQueue(description.queues, 'processDlq'));
 */
export async function redriveChecked(
  context: FailureContext,
  pair: DeadLetterPair,
  options: { readonly force?: boolean; readonly rate?: number; readonly clock?: Clock } = {},
): Promise<RedriveReport> {
  if (pair.sourceUrl === undefined)
    throw new UsageError(`${pair.role} has no source queue ${pair.sourceRole} in this stack; nothing to redrive to`);
  const { sqs, documents, s3 } = context.clients;
  const failures = resourceOf('tables', context.description, 'failures');
  const pace = pacer(options.rate ?? DEFAULT_RATE, options.clock ?? systemClock);
  const held = await holdDeadLetters(sqs, pair.url);
  const kept: HeldMessage[] = [];
  const refused: { messageId: string; why: string }[] = [];
  let moved = 0;
  try {
    for (const message of held) {
      const verdict = await causeOf(s3, await readFailureRecord(documents, failures, message.messageId));
      if (verdict.unchanged && options.force !== true) {
        refused.push({ messageId: message.messageId, why: verdict.why });
        kept.push(message);
        continue;
      }
      await pace();
      await moveHeld(sqs, pair, message);
      moved += 1;
    }
  } finally {
    await releaseHeld(sqs, pair.url, kept);
  }
  return { role: pair.role, sourceRole: pair.sourceRole, moved, refused };
}

/** A checked redrive as text. */
export function formatRedrive(report: RedriveReport): string[] {
  return [
    `moved ${report.moved} message(s) from ${report.role} back to ${report.sourceRole}`,
    ...report.refused.map((r) => `  refused ${r.messageId}: ${r.why}`),
    ...(report.refused.length > 0
      ? [`${report.refused.length} refused: their cause is unchanged; fix it, or redrive with --force`]
      : []),
  ];
}
