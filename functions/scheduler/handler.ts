/** The scheduler's Lambda adapter: events from the event bus queue in, commands out. */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { Env, readEnv, TargetNames, Targets } from '#shared/config.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { schedule, ScheduledTypes, type SchedulerDeps } from './logic.ts';
import type { Target } from './rules.ts';

const db = documentClient();
const send = sqsSender(sqsClient());
const schedulerTable = readEnv(Env.schedulerTable);
const eventStoreTable = readEnv(Env.eventStoreTable);
const queues = Object.fromEntries(TargetNames.map((target) => [target, readEnv(Targets[target])])) as Record<Target, string>;
/** Events are kept 400 days: a year of replay plus a margin. */
const RETENTION_SECONDS = 400 * 24 * 3600;

const conditional = async (write: () => Promise<unknown>): Promise<boolean> => {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};

const triggerKey = (rule: string, key: string) => ({ pk: `TRIGGER#${rule}#${key}`, sk: 'TRIGGER' });

const deps: SchedulerDeps = {
  // The event keyed by correlation and time, plus a guard item keyed by its id, in one
  // transaction: an event (or a re-built command with a new time) is stored once per id.
  append: async (event) => {
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
  },
  claim: async (decision) => {
    const claimed = await conditional(() => db.send(new PutCommand({
      TableName: schedulerTable,
      Item: { ...triggerKey(decision.rule, decision.key), rule: decision.rule, commandId: decision.command.id, target: decision.target, claimedAt: new Date().toISOString() },
      ConditionExpression: 'attribute_not_exists(pk)',
    })));
    if (claimed) return 'claimed';
    const existing = await db.send(new GetCommand({ TableName: schedulerTable, Key: triggerKey(decision.rule, decision.key), ConsistentRead: true }));
    return existing.Item?.sentAt === undefined ? 'claimed-earlier-unsent' : 'already-sent';
  },
  markSent: async (decision) => {
    await db.send(new UpdateCommand({
      TableName: schedulerTable, Key: triggerKey(decision.rule, decision.key),
      UpdateExpression: 'SET sentAt = :now', ExpressionAttributeValues: { ':now': new Date().toISOString() },
    }));
  },
  send: (target, command) => send(queues[target], command),
};

export const handler = eventStage({
  stage: 'scheduler',
  accepts: ScheduledTypes,
  handle: async (event, { logger }) => {
    const result = await schedule(event, deps);
    logger.info('event scheduled', { ...result });
    return result;
  },
});
