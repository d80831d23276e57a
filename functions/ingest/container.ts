/**
 * Ingest's container entry point (ECS Fargate task; locally a child process): the second thin
 * adapter around `ingestFile`, for files too large or too slow for Lambda. It consumes the
 * `ingest-container` queue one message at a time (`worker.ts`), runs each command once per event
 * id (Powertools idempotency, as the Lambda stage does, under its own key prefix so that a file
 * the Lambda handed over runs here), and exits 0 after an idle period or on SIGTERM, having
 * finished or handed back its current file.
 *
 * The image runs exactly this file's esbuild bundle (infra/cdk/constructs/ingest-container.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { EventTypes } from '#events/registry.ts';
import { sqsClient } from '#shared/clients/aws.ts';
import { Env } from '#shared/config.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { claimStore } from '#shared/clients/claims.ts';
import { readEvent } from '#shared/envelope/envelope.ts';
import { onceByEventId } from '#shared/stage/once.ts';
import { retryDelaySeconds } from '#shared/stage/retry.ts';
import { recordIfLastReceive } from '#shared/stage/failure-records.ts';
import { awsIngestDeps, IngestEnvironment } from './deps.ts';
import { ingestFile, type IngestCommand, type IngestOutcome, type IngestProgress } from './logic.ts';
import { runWorker, type WorkerQueue } from './worker.ts';

/** Key prefix of the container's idempotency records (the Lambda's are keyed by its function name). */
export const ContainerIdempotencyPrefix = 'ingest-container';

const logger = new Logger({ serviceName: 'ingest', persistentKeys: { runtime: 'container' } });

const seconds = (fallback: number): ReturnType<typeof Setting.optional<number>> =>
  Setting.optional(Setting.integer({ min: 0, unit: 'seconds' }), fallback);
const env = parseEnvironment({
  ...IngestEnvironment,
  [Env.ingestContainerQueueUrl]: Setting.url(),
  [Env.workerIdleSeconds]: seconds(60),
  [Env.workerGraceSeconds]: seconds(20),
  [Env.workerLeaseSeconds]: seconds(300),
});
const queueUrl = env[Env.ingestContainerQueueUrl];
const idleSeconds = env[Env.workerIdleSeconds];
const graceSeconds = env[Env.workerGraceSeconds];
const leaseSeconds = env[Env.workerLeaseSeconds];
const sqs = sqsClient();
const deps = awsIngestDeps();

/** What the idempotency record keeps of an outcome (not the whole event). */
const summarize = (result: IngestOutcome): { outcome: string; key: string } => ({
  outcome: result.outcome,
  key: result.outcome === 'ingested' || result.outcome === 'rejected' ? (result.event.subject ?? '') : result.key,
});

const once = onceByEventId(
  async (command: IngestCommand, signal: AbortSignal, onProgress: (p: IngestProgress) => void) =>
    summarize(await ingestFile(command, deps, { signal, onProgress })),
  { stage: 'ingest', keyPrefix: ContainerIdempotencyPrefix },
);
// An in-progress record outlives a crashed run by one lease: then the message is back and the
// retry may run (a duplicate command arriving after that while the first still runs would run
// too; both write the same bytes and publish the same event ids).
once.registerDeadline({ getRemainingTimeInMillis: () => leaseSeconds * 1000 });

const queue: WorkerQueue = {
  receive: async (waitSeconds) => {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: leaseSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const message = response.Messages?.[0];
    if (message === undefined) return undefined;
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
    };
  },
  remove: async (message) => {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle }));
  },
  setVisibility: async (message, visibility) => {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: message.receiptHandle,
        VisibilityTimeout: visibility,
      }),
    );
  },
};

const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info('stop requested', { signal });
    stop.abort(new Error(signal));
  });
}

logger.info('worker started', {
  pid: process.pid,
  wokenBy: process.env[Env.workerWokenBy],
  uptimeMs: Math.round(process.uptime() * 1000),
  idleSeconds,
  graceSeconds,
  leaseSeconds,
});
const summary = await runWorker(
  queue,
  async (message, signal, progress) => {
    const command = await readEvent(message.body, [EventTypes.ingestRequested], claimStore());
    logger.appendKeys({ correlationId: command.correlationid, eventId: command.id });
    try {
      const result = await once.handle(command, signal, progress);
      return result.outcome;
    } finally {
      logger.removeKeys(['correlationId', 'eventId']);
    }
  },
  {
    idleMs: idleSeconds * 1000,
    graceMs: graceSeconds * 1000,
    leaseSeconds,
    stop: stop.signal,
    // A worker holding the event in progress holds it for its lease at most.
    backoffSeconds: (receiveCount, error) => retryDelaySeconds(error, receiveCount, leaseSeconds),
    log: (level, message, fields) => logger[level](message, fields ?? {}),
    onFailure: async (message, error) => {
      const { messageId, body, receiveCount } = message;
      const queue = new URL(queueUrl).pathname.split('/').at(-1) ?? queueUrl;
      await recordIfLastReceive('ingest', { messageId, body, queue, receiveCount }, error);
    },
  },
);
logger.info('worker exits', { ...summary });
process.exit(0);
