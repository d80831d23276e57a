/**
 * The scheduler's Lambda adapter: events from the event bus queue in, commands and timers out;
 * a command to a container target also wakes a worker (ECS RunTask under the cap).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { EventTypes, type EventType } from '#events/registry.ts';
import { documentClient, ecsClient, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { claimStore } from '#shared/clients/claims.ts';
import { Env, isContainerTarget, readEnv, TargetNames, Targets, type Target } from '#shared/config.ts';
import { readWakeSettings, wakeWorker } from '#shared/containers/wake.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { eventStoreAppender } from './event-store.ts';
import { DynamoDbSchedulerStore } from './join-store.ts';
import { schedule, type SchedulerDeps, type SchedulerEvent } from './logic.ts';
import { loadPipelineRules } from './rule-set.ts';

const db = documentClient();
const send = sqsSender(sqsClient(), { claims: claimStore() });
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

const wakeSettings = readWakeSettings();
const wakeLogger = new Logger({ serviceName: 'scheduler' });

const deps: SchedulerDeps = {
  ruleSet: loadPipelineRules(),
  store: new DynamoDbSchedulerStore(db, readEnv(Env.schedulerTable)),
  append: eventStoreAppender(db, eventStoreTable, claimStore()),
  send: (target, command, delaySeconds) => send(queues[target], command, { delaySeconds }),
  sendTimer: (timer, delaySeconds) => send(busUrl, timer, { delaySeconds }),
  // Semantic elasticity: the worker is started when its command is sent, decided from the
  // business event, not after a Lambda timed out or a queue-depth alarm fired.
  wake: async (target, command) => {
    if (!isContainerTarget(target)) return;
    const result = await wakeWorker(ecsClient(), wakeSettings, { wokenBy: command.id });
    wakeLogger.info('container worker wake-up', { target, commandId: command.id, ...result });
  },
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
