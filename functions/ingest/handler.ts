/**
 * Ingest's Lambda adapter: `ingest.requested` commands in, `logic.ts` streams the file. When the
 * function's remaining time would not cover the rest of a file, the file is handed over to the
 * container worker (same command to the `ingest-container` queue, and a worker woken).
 */
import { EventTypes } from '#events/registry.ts';
import { ecsClient, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { claimStore } from '#shared/clients/claims.ts';
import { Env } from '#shared/config.ts';
import { WakeEnvironment, wakeSettingsOf, wakeWorker } from '#shared/containers/wake.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { awsIngestDeps, IngestEnvironment } from './deps.ts';
import { ingestFile, type IngestCommand } from './logic.ts';

// Every variable the function reads, checked at once before anything else runs.
const env = parseEnvironment({
  ...IngestEnvironment,
  [Env.ingestContainerQueueUrl]: Setting.url(),
  ...WakeEnvironment,
});
const deps = awsIngestDeps();
const send = sqsSender(sqsClient(), { claims: claimStore() });
const containerQueueUrl = env[Env.ingestContainerQueueUrl];
const wakeSettings = wakeSettingsOf(env);

/**
 * Time kept after the last byte for CompleteMultipartUpload and the publish,
 * and for the hand-over itself (a SendMessage, ListTasks and RunTask).
 */
const ReserveMs = 15_000;
/** Files below this size measure request latency more than throughput: they do not set the estimate. */
const MinEstimateBytes = 64 * 1024 * 1024;
/** Throughput of the last large file ingested in this execution environment, bytes per second. */
let expectedBytesPerSecond: number | undefined;

export const handler = eventStage({
  stage: 'ingest',
  accepts: [EventTypes.ingestRequested],
  handle: async (command, { logger, lambdaContext }) => {
    const handOver = async (same: IngestCommand): Promise<void> => {
      await send(containerQueueUrl, same);
      const woken = await wakeWorker(ecsClient(), wakeSettings, { wokenBy: same.id });
      logger.info('file handed over to the container worker', {
        key: same.data.file.key,
        wake: woken.outcome,
        tasks: woken.tasks,
      });
    };
    const result = await ingestFile(command, deps, {
      budget: {
        remainingMs: () => lambdaContext.getRemainingTimeInMillis(),
        reserveMs: ReserveMs,
        handOver,
        ...(expectedBytesPerSecond === undefined ? {} : { expectedBytesPerSecond }),
      },
    });
    if (result.outcome === 'ingested' && result.event.data.ingested.size >= MinEstimateBytes)
      expectedBytesPerSecond = result.bytesPerSecond;
    logger.info('file ingested', {
      key: command.data.file.key,
      outcome: result.outcome,
      ...(result.outcome === 'ingested'
        ? { checksum: result.checksum, bytesPerSecond: Math.round(result.bytesPerSecond) }
        : {}),
      ...(result.outcome === 'handed-over' || result.outcome === 'replaced' ? { reason: result.reason } : {}),
    });
    return { outcome: result.outcome };
  },
});
