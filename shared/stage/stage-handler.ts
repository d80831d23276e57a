/**
 * The one shape every stage's Lambda handler has: a middy chain (Powertools logger and metrics)
 * around Powertools batch processing of an SQS batch, so a failed record is reported in
 * `batchItemFailures` and only it is retried; SQS moves it to the DLQ after maxReceiveCount.
 * Records carrying a CloudEvent are unwrapped and validated against the catalog, and, when the
 * stage has side effects, processed once per event id (Powertools idempotency on DynamoDB).
 */
import middy from '@middy/core';
import { BatchProcessor, EventType as BatchEventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ChangeMessageVisibilityCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { CometEvent, EventType } from '#events/registry.ts';
import type { Stage } from '../config.ts';
import { readEvent } from '../envelope/envelope.ts';
import { claimStore } from '../clients/claims.ts';
import { PipelineError } from '../errors.ts';
import { sqsClient } from '../clients/aws.ts';
import { describeError, failedMessageOf, recordIfLastReceive } from './failure-records.ts';
import { onceByEventId } from './once.ts';
import { retryDelaySeconds } from './retry.ts';

/** What a record handler receives besides its input. */
export interface StageTools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly record: SQSRecord;
  readonly lambdaContext: Context;
}

/** A stage that consumes raw SQS records (for example S3 event notifications). */
export interface RecordStageOptions {
  readonly stage: Stage;
  readonly handle: (record: SQSRecord, tools: StageTools) => Promise<void>;
}

/** A stage that consumes CloudEvents of the given types. */
export interface EventStageOptions<T extends EventType> {
  readonly stage: Stage;
  readonly accepts: readonly T[];
  /**
   * Process each event id once: a redelivered or duplicated event returns the stored result
   * instead of running again. Needs the idempotency table.
   * @default true
   */
  readonly idempotent?: boolean;
  readonly handle: (event: CometEvent<T>, tools: StageTools) => Promise<unknown>;
}

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

function tooling(stage: Stage): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: stage }),
    metrics: new Metrics({ serviceName: stage, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'cometflow' }),
  };
}

function describeFailure(error: unknown): Record<string, unknown> {
  const { code, reason, retryable } = describeError(error);
  return { errorName: code, retryable, reason };
}

/**
 * On the last receive before the DLQ, writes why (`recordIfLastReceive`). A failure to write it
 * is logged, never thrown: the message still reaches the DLQ, only without its reason.
 */
async function recordIfLast(stage: Stage, record: SQSRecord, error: unknown, logger: Logger): Promise<void> {
  try {
    await recordIfLastReceive(stage, failedMessageOf(record), error);
  } catch (recordError) {
    logger.warn('could not write the failure record of a message given up on', {
      messageId: record.messageId,
      error: String(recordError),
    });
  }
}

export { backoffSeconds } from './retry.ts';

const queueUrls = new Map<string, Promise<string>>();

/** The URL of the queue a record came from (its ARN is `arn:aws:sqs:<region>:<account>:<name>`). */
function queueUrlOf(arn: string): Promise<string> {
  let url = queueUrls.get(arn);
  if (url === undefined) {
    const [, , , , account, name] = arn.split(':');
    url = sqsClient()
      .send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))
      .then((r) => r.QueueUrl!);
    url.catch(() => queueUrls.delete(arn));
    queueUrls.set(arn, url);
  }
  return url;
}

/**
 * Sets when a failed record comes back. A terminal error comes back at once, so it reaches the
 * dead-letter queue after maxReceiveCount receives instead of after as many visibility
 * timeouts; a retryable one backs off exponentially instead of waiting the whole timeout.
 */
async function scheduleRetry(
  record: SQSRecord,
  error: unknown,
  logger: Logger,
  lockBoundSeconds: number,
): Promise<void> {
  const retryable = !(error instanceof PipelineError) || error.retryable;
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
  try {
    await sqsClient().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: await queueUrlOf(record.eventSourceARN),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: retryable ? retryDelaySeconds(error, receiveCount, lockBoundSeconds) : 0,
      }),
    );
  } catch (visibilityError) {
    // The message then simply waits for its visibility timeout: slower, not lost.
    logger.warn('could not change the visibility of a failed record', {
      messageId: record.messageId,
      error: String(visibilityError),
    });
  }
}

function wrapBatch(
  stage: Stage,
  perRecord: (record: SQSRecord, tools: StageTools) => Promise<void>,
  logger: Logger,
  metrics: Metrics,
  onContext?: (context: Context) => void,
): SqsHandler {
  const processor = new BatchProcessor(BatchEventType.SQS);
  const base: SqsHandler = async (event, context) => {
    onContext?.(context);
    // An in-progress idempotency record of another run lasts at most that run's timeout, which
    // is this invocation's time left at its start (same function, same timeout).
    const lockBoundSeconds = context.getRemainingTimeInMillis() / 1000;
    return processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const tools: StageTools = { logger, metrics, record, lambdaContext: context };
        try {
          await perRecord(record, tools);
          metrics.addMetric('RecordsProcessed', MetricUnit.Count, 1);
        } catch (error) {
          // The reason goes to the log with the receive count: when SQS moves the message to the
          // DLQ after maxReceiveCount, this line is the record of why.
          logger.error('record failed', {
            stage,
            messageId: record.messageId,
            receiveCount: Number(record.attributes.ApproximateReceiveCount),
            ...describeFailure(error),
          });
          metrics.addMetric('RecordsFailed', MetricUnit.Count, 1);
          await recordIfLast(stage, record, error, logger);
          await scheduleRetry(record, error, logger, lockBoundSeconds);
          throw error;
        }
      },
      processor,
      { context },
    );
  };
  return middy(base).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}

/**
 * A stage handler over raw SQS records.
 *
 * @example
 * export const handler = recordStage({ stage: 'intake', handle: async (record, tools) => { ... } });
 */
export function recordStage(options: RecordStageOptions): SqsHandler {
  const { logger, metrics } = tooling(options.stage);
  return wrapBatch(options.stage, options.handle, logger, metrics);
}

/**
 * A stage handler over CloudEvents: unwraps and validates each record, then hands the typed
 * event to `handle`, once per event id when `idempotent`.
 *
 * @example
 * export const handler = eventStage({ stage: 'ingest', accepts: [EventTypes.ingestRequested], handle });
 */
export function eventStage<T extends EventType>(options: EventStageOptions<T>): SqsHandler {
  const { logger, metrics } = tooling(options.stage);
  let handleOnce = async (event: CometEvent<T>, tools: StageTools): Promise<unknown> => options.handle(event, tools);
  let registerDeadline: ((context: Context) => void) | undefined;
  if (options.idempotent ?? true) {
    const once = onceByEventId(handleOnce, { stage: options.stage });
    handleOnce = once.handle;
    registerDeadline = once.registerDeadline;
  }
  return wrapBatch(
    options.stage,
    async (record, tools) => {
      const event = await readEvent(record.body, options.accepts, claimStore());
      logger.appendKeys({ correlationId: event.correlationid, eventId: event.id, eventType: event.type });
      try {
        await handleOnce(event, tools);
      } finally {
        logger.removeKeys(['correlationId', 'eventId', 'eventType']);
      }
    },
    logger,
    metrics,
    (context) => registerDeadline?.(context),
  );
}
