/**
 * The projector's Lambda adapter: a batch of the event store's stream records in, the status
 * read model updated. Guard items (`ID#<id>`) and removals (TTL expiry) carry no event and are
 * skipped. A failed write fails the batch, which the stream retries (the projection is
 * idempotent); timeliness metrics are emitted per product type and arrival lateness per provider.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { documentClient } from '#shared/clients/aws.ts';
import { claimStore } from '#shared/clients/claims.ts';
import { Env } from '#shared/config.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { MetricsNamespace, ProjectorService } from '#shared/metrics.ts';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { projectStreamRecords } from './project.ts';

const db = documentClient();
const claims = claimStore();
const { [Env.statusTable]: table } = parseEnvironment({ [Env.statusTable]: Setting.name('a table name') });
const logger = new Logger({ serviceName: ProjectorService });
const metrics = new Metrics({
  serviceName: ProjectorService,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? MetricsNamespace,
});

export const handler = async (event: DynamoDBStreamEvent): Promise<void> => {
  try {
    const result = await projectStreamRecords(event.Records, {
      db,
      table,
      metrics,
      ...(claims === undefined ? {} : { claims }),
    });
    logger.info('events projected', { ...result });
  } finally {
    metrics.publishStoredMetrics();
  }
};
