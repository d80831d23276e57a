/** The scheduler's Lambda adapter: events from the event bus queue in, commands and timers out. */
import { EventTypes, type EventType } from '#events/registry.ts';
import { documentClient, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { Env, readEnv, TargetNames, Targets, type Target } from '#shared/config.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { eventStoreAppender } from './event-store.ts';
import { DynamoDbSchedulerStore } from './join-store.ts';
import { schedule, type SchedulerDeps, type SchedulerEvent } from './logic.ts';
import { loadPipelineRules } from './rule-set.ts';

const db = documentClient();
const send = sqsSender(sqsClient());
const eventStoreTable = readEnv(Env.eventStoreTable);
const busUrl = readEnv(Env.eventBusQueueUrl);
const queues = Object.fromEntries(TargetNames.map((target) => [target, readEnv(Targets[target])])) as Record<Target, string>;
/** The minimum wait of a join's deadline, in seconds; the CDK app sets it from the topology. */
function minimumWait(): number {
  const raw = readEnv(Env.deadlineMinimumWaitSeconds);
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new Error(`${Env.deadlineMinimumWaitSeconds} is ${JSON.stringify(raw)}; expected a whole number of seconds, at least 0`);
  }
  return seconds;
}

const deps: SchedulerDeps = {
  ruleSet: loadPipelineRules(),
  store: new DynamoDbSchedulerStore(db, readEnv(Env.schedulerTable)),
  append: eventStoreAppender(db, eventStoreTable),
  send: (target, command, delaySeconds) => send(queues[target], command, { delaySeconds }),
  sendTimer: (timer, delaySeconds) => send(busUrl, timer, { delaySeconds }),
  now: () => new Date(),
  minimumWaitSeconds: minimumWait(),
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
