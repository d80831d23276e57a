/**
 * The calendar check's Lambda adapter, run every minute by EventBridge Scheduler (locally by the
 * runtime's timer, read from the same schedule in the template): reads the event store (a Query
 * per cycle due, one per day of each quiet span, never a scan), publishes what it raises on the
 * event bus (the scheduler stores it, the projector shows it), and counts it in the metrics the
 * alarms watch.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { documentClient, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { Env } from '#shared/config.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { CalendarService, MetricDimensions, MetricNames, MetricsNamespace } from '#shared/metrics.ts';
import { loadCalendar } from './calendar.ts';
import { checkCalendar } from './logic.ts';

const db = documentClient();
const send = sqsSender(sqsClient());
const { [Env.eventStoreTable]: table, [Env.eventBusQueueUrl]: busUrl } = parseEnvironment({
  [Env.eventStoreTable]: Setting.name('a table name'),
  [Env.eventBusQueueUrl]: Setting.url(),
});
const calendar = loadCalendar();
const logger = new Logger({ serviceName: CalendarService });
const metrics = new Metrics({
  serviceName: CalendarService,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? MetricsNamespace,
});

/** Whether a Query finds at least one item, reading page after page (a filter may empty a page). */
async function any(input: ConstructorParameters<typeof QueryCommand>[0]): Promise<boolean> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    if ((page.Count ?? 0) > 0) return true;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return false;
}

const days = (from: string, to: string): string[] => {
  const out: string[] = [];
  for (let ms = Date.parse(`${from.slice(0, 10)}T00:00:00.000Z`); ms <= Date.parse(to); ms += 86_400_000)
    out.push(new Date(ms).toISOString().slice(0, 10));
  return out;
};

export const handler = async (): Promise<{ raised: number }> => {
  try {
    const raised: CometEvent[] = await checkCalendar(calendar, {
      now: () => new Date(),
      hasArrived: (correlationId) =>
        any({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#type = :available',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':pk': correlationId, ':available': EventTypes.fileAvailable },
        }),
      arrivedBetween: async (prefixes, from, to) => {
        for (const day of days(from, to)) {
          const found = await any({
            TableName: table,
            IndexName: 'byDay',
            KeyConditionExpression: '#day = :day AND sk BETWEEN :from AND :to',
            FilterExpression: `#type = :available AND (${prefixes.map((_, i) => `begins_with(pk, :p${i})`).join(' OR ')})`,
            ExpressionAttributeNames: { '#day': 'day', '#type': 'type' },
            ExpressionAttributeValues: {
              ':day': day,
              ':from': from,
              ':to': `${to}~`,
              ':available': EventTypes.fileAvailable,
              ...Object.fromEntries(prefixes.map((p, i) => [`:p${i}`, p])),
            },
          });
          if (found) return true;
        }
        return false;
      },
    });
    for (const event of raised) {
      await send(busUrl, event);
      const metric = metrics.singleMetric();
      metric.addDimension(MetricDimensions.provider, (event.data as { provider: string }).provider);
      metric.addMetric(
        event.type === EventTypes.inputMissing ? MetricNames.inputMissing : MetricNames.providerSilent,
        MetricUnit.Count,
        1,
      );
      logger.warn(event.type === EventTypes.inputMissing ? 'input missing' : 'provider silent', {
        id: event.id,
        subject: event.subject,
        data: event.data,
      });
    }
    return { raised: raised.length };
  } finally {
    metrics.publishStoredMetrics();
  }
};
