/**
 * The scheduler's Lambda adapter: events from the event bus queue in, commands and timers out;
 * a command to a container target also wakes a worker (ECS RunTask under the cap).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { EventTypes, type EventType } from '#events/registry.ts';
import { documentClient, ecsClient, sqsClient } from '#shared/clients/aws.ts';
import { EventBusEnvironment, sqsSender } from '#shared/clients/bus.ts';
import { claimStore } from '#shared/clients/claims.ts';
import { busLaneOf, Env, isContainerTarget } from '#shared/config.ts';
import { WakeEnvironment, wakeSettingsOf, wakeWorker } from '#shared/containers/wake.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { eventStoreAppender } from './event-store.ts';
import { DynamoDbSchedulerStore } from './join-store.ts';
import { schedule, type SchedulerDeps } from './logic.ts';
import { LanesSchema } from './lanes.ts';
import { loadPipelineRules } from './rule-set.ts';

const db = documentClient();
const send = sqsSender(sqsClient(), { claims: claimStore() });
const env = parseEnvironment({
  [Env.eventStoreTable]: Setting.name('a table name'),
  [Env.schedulerTable]: Setting.name('a table name'),
  ...EventBusEnvironment,
  // Every lane with its queue; the rules are resolved against the same table at synth and here.
  [Env.lanes]: Setting.json(LanesSchema, '{ <lane>: { stage, priority, queueUrl } }'),
  // The minimum wait of a join's deadline; the CDK app sets it from the topology.
  [Env.deadlineMinimumWaitSeconds]: Setting.integer({ min: 0, unit: 'seconds' }),
  ...WakeEnvironment,
});
const busLanes = env[Env.eventBusLanes];
const lanes = env[Env.lanes];
const wakeSettings = wakeSettingsOf(env);
const wakeLogger = new Logger({ serviceName: 'scheduler' });

const deps: SchedulerDeps = {
  ruleSet: loadPipelineRules({ lanes }),
  lanes,
  store: new DynamoDbSchedulerStore(db, env[Env.schedulerTable]),
  append: eventStoreAppender(db, env[Env.eventStoreTable], claimStore()),
  send: (target, command, delaySeconds) => send(lanes[target]!.queueUrl, command, { delaySeconds }),
  // A timer goes back to the event bus lane of the work it times.
  sendTimer: (timer, delaySeconds) => send(busLaneOf(busLanes, timer.priority), timer, { delaySeconds }),
  // Semantic elasticity: the worker is started when its command is sent, decided from the
  // business event, not after a Lambda timed out or a queue-depth alarm fired.
  wake: async (target, command) => {
    if (!isContainerTarget(target)) return;
    const result = await wakeWorker(ecsClient(), wakeSettings, { wokenBy: command.id });
    wakeLogger.info('container worker wake-up', { target, commandId: command.id, ...result });
  },
  now: () => new Date(),
  minimumWaitSeconds: env[Env.deadlineMinimumWaitSeconds],
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
