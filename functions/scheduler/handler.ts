/** The scheduler's Lambda adapter: events from the event bus queue in, commands and timers out. */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { EventTypes, type EventType } from '#events/registry.ts';
import { documentClient, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { Env, readEnv, TargetNames, Targets, type Target } from '#shared/config.ts';
import type { CometEvent } from '#events/registry.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { DynamoDbSchedulerStore } from './join-store.ts';
import { schedule, type SchedulerDeps, type SchedulerEvent } from './logic.ts';
import { loadPipelineRules } from './rule-set.ts';

const db = documentClient();
const send = sqsSender(sqsClient());
const eventStoreTable = readEnv(Env.eventStoreTable);
const busUrl = readEnv(Env.eventBusQueueUrl);
const queues = Object.fromEntries(TargetNames.map((target) => [target, readEnv(Targets[target])])) as Record<Target, string>;
/** Events are kept 400 days: a year of replay plus a margin. */
const RETENTION_SECONDS = 400 * 24 * 3600;

/**
 * Appends an event once per id: the event keyed by correlation and time, plus a guard item
 * keyed by its id, in one transaction.
 */
async function append(event: SchedulerEvent): Promise<boolean> {
  const expiresAt = Math.floor(Date.now() / 1000) + RETENTION_SECONDS;
  try {
    await db.send(new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: eventStoreTable, Item: { pk: `ID#${event.id}`, sk: 'ID', at: `${event.time}#${event.id}`, correlationid: event.correlationid, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            TableName: eventStoreTable,
            Item: {
              pk: event.correlationid, sk: `${event.time}#${event.id}`, day: event.time.slice(0, 10),
              id: event.id, type: event.type, source: event.source, event: JSON.stringify(event), expiresAt,
            },
          },
        },
      ],
    }));
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

const deps: SchedulerDeps = {
  ruleSet: loadPipelineRules(),
  store: new DynamoDbSchedulerStore(db, readEnv(Env.schedulerTable)),
  append,
  send: (target, command, delaySeconds) => send(queues[target], command, { delaySeconds }),
  sendTimer: (timer, delaySeconds) => send(busUrl, timer as unknown as CometEvent, { delaySeconds }),
  now: () => new Date(),
  minimumWaitSeconds: Number(process.env[Env.deadlineMinimumWaitSeconds] ?? '60'),
};

export const handler = eventStage({
  stage: 'scheduler',
  accepts: Object.values(EventTypes) as EventType[],
  handle: async (event, { logger }) => {
    const result = await schedule(event, deps);
    logger.info('event scheduled', { ...result });
    return result;
  },
});
