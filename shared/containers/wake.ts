/**
 * Waking a container worker: ECS RunTask (Fargate) of the worker's task definition when fewer
 * than the concurrency cap of its family's tasks are running or pending. The commands stay
 * durable in the worker's queue; this only makes sure something consumes it. Used by the
 * scheduler (every command to a container target) and by the ingest Lambda (a hand-over).
 *
 * The cap is checked before RunTask (ListTasks by family) and again after it: two wakers racing
 * may both see room and both start a task, so after RunTask the waker lists the family again
 * and, when there are more tasks than the cap, stops its own task if it is not among the oldest
 * `maxTasks` (ordered by `createdAt`, then ARN). Every racer computes the same order, so exactly
 * the surplus is stopped, and a stopped task that had started hands back what it received.
 */
import {
  DescribeTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  paginateListTasks,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { Env } from '../config.ts';
import { parseEnvironment, Setting, type EnvironmentOf } from '../environment.ts';
import { PipelineError } from '../errors.ts';

/** Where and how the worker runs: from the environment the CDK app sets (`readWakeSettings`). */
export interface WakeSettings {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly family: string;
  readonly containerName: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: boolean;
  /** Tasks of the family running or pending at once, at most. */
  readonly maxTasks: number;
}

/** What a wake-up did. */
export type WakeResult =
  | { readonly outcome: 'started'; readonly taskArn: string; readonly tasks: number }
  | { readonly outcome: 'at-cap'; readonly tasks: number }
  | { readonly outcome: 'over-cap-stopped'; readonly taskArn: string; readonly tasks: number };

/** ECS could not start the worker (capacity, throttling): the caller retries. */
export class WorkerNotStartedError extends PipelineError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
    this.name = 'WorkerNotStartedError';
  }
}

/** Who starts the tasks, in `startedBy` (at most 36 characters). */
export const StartedBy = 'cometflow-wake';

/** The variables a waker reads (the CDK app's `IngestContainer.grantWake` sets them). */
export const WakeEnvironment = {
  [Env.workerClusterArn]: Setting.name('a cluster ARN or name'),
  [Env.workerTaskDefinitionArn]: Setting.name('a task definition ARN'),
  [Env.workerTaskFamily]: Setting.name('a task definition family'),
  [Env.workerContainerName]: Setting.name('a container name'),
  [Env.workerSubnets]: Setting.list('a comma-separated list of subnet ids'),
  [Env.workerSecurityGroups]: Setting.list('a comma-separated list of security group ids'),
  [Env.workerAssignPublicIp]: Setting.oneOf(['ENABLED', 'DISABLED']),
  [Env.workerMaxTasks]: Setting.integer({ min: 1 }),
};

/** The wake settings out of a parsed environment holding `WakeEnvironment`. */
export function wakeSettingsOf(env: EnvironmentOf<typeof WakeEnvironment>): WakeSettings {
  return {
    cluster: env[Env.workerClusterArn],
    taskDefinition: env[Env.workerTaskDefinitionArn],
    family: env[Env.workerTaskFamily],
    containerName: env[Env.workerContainerName],
    subnets: env[Env.workerSubnets],
    securityGroups: env[Env.workerSecurityGroups],
    assignPublicIp: env[Env.workerAssignPublicIp] === 'ENABLED',
    maxTasks: env[Env.workerMaxTasks],
  };
}

/** Reads the wake settings; a missing or malformed variable fails with its name and the form expected. */
export function readWakeSettings(env: NodeJS.ProcessEnv = process.env): WakeSettings {
  return wakeSettingsOf(parseEnvironment(WakeEnvironment, env));
}

/** ARNs of the family's tasks whose desired status is RUNNING (provisioning, pending or running). */
async function liveTasks(ecs: ECSClient, settings: WakeSettings): Promise<string[]> {
  const arns: string[] = [];
  const pages = paginateListTasks(
    { client: ecs },
    { cluster: settings.cluster, family: settings.family, desiredStatus: 'RUNNING' },
  );
  for await (const page of pages) {
    arns.push(...(page.taskArns ?? []));
    // More than the cap is all a waker needs to know: the rest of the pages cannot change that.
    if (arns.length > settings.maxTasks) break;
  }
  return arns;
}

/**
 * Starts a worker unless the family already has `maxTasks` tasks running or pending.
 *
 * @example
 * const result = await wakeWorker(ecsClient(), readWakeSettings(), { wokenBy: command.id });
 */
export async function wakeWorker(
  ecs: ECSClient,
  settings: WakeSettings,
  request: { wokenBy: string },
): Promise<WakeResult> {
  const before = await liveTasks(ecs, settings);
  if (before.length >= settings.maxTasks) return { outcome: 'at-cap', tasks: before.length };
  const run = await ecs.send(
    new RunTaskCommand({
      cluster: settings.cluster,
      taskDefinition: settings.taskDefinition,
      launchType: 'FARGATE',
      count: 1,
      startedBy: StartedBy,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...settings.subnets],
          securityGroups: [...settings.securityGroups],
          assignPublicIp: settings.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
      overrides: {
        containerOverrides: [
          { name: settings.containerName, environment: [{ name: Env.workerWokenBy, value: request.wokenBy }] },
        ],
      },
    }),
  );
  const taskArn = run.tasks?.[0]?.taskArn;
  if (taskArn === undefined) {
    const reasons = (run.failures ?? [])
      .map((f) => `${f.reason ?? 'unknown'}${f.detail === undefined ? '' : ` (${f.detail})`}`)
      .join('; ');
    throw new WorkerNotStartedError(
      `RunTask of ${settings.taskDefinition} on ${settings.cluster} started no task: ${reasons || 'no reason given'}`,
    );
  }
  const after = await liveTasks(ecs, settings);
  if (after.length <= settings.maxTasks) return { outcome: 'started', taskArn, tasks: after.length };
  const described = await ecs.send(new DescribeTasksCommand({ cluster: settings.cluster, tasks: after.slice(0, 100) }));
  const order = (described.tasks ?? [])
    .map((t) => ({ arn: t.taskArn ?? '', created: t.createdAt?.getTime() ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.created - b.created || a.arn.localeCompare(b.arn));
  const keep = new Set(order.slice(0, settings.maxTasks).map((t) => t.arn));
  if (keep.has(taskArn)) return { outcome: 'started', taskArn, tasks: after.length };
  await ecs.send(
    new StopTaskCommand({
      cluster: settings.cluster,
      task: taskArn,
      reason: `over the concurrency cap of ${settings.maxTasks} tasks of ${settings.family}`,
    }),
  );
  return { outcome: 'over-cap-stopped', taskArn, tasks: after.length - 1 };
}
