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
  DescribeTasksCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand, type ECSClient,
} from '@aws-sdk/client-ecs';
import { Env, type EnvName } from '../config.ts';
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

/** Reads the wake settings; a missing or malformed variable fails with its name. */
export function readWakeSettings(env: NodeJS.ProcessEnv = process.env): WakeSettings {
  const read = (name: EnvName): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`Environment variable ${name} is not set; the CDK app sets it on whoever wakes the container worker`);
    return value;
  };
  const list = (name: EnvName): string[] => read(name).split(',').map((s) => s.trim()).filter((s) => s !== '');
  const maxTasks = Number(read(Env.workerMaxTasks));
  if (!Number.isInteger(maxTasks) || maxTasks < 1) throw new Error(`${Env.workerMaxTasks} is ${JSON.stringify(env[Env.workerMaxTasks])}; expected a whole number of at least 1`);
  const assign = read(Env.workerAssignPublicIp);
  if (assign !== 'ENABLED' && assign !== 'DISABLED') throw new Error(`${Env.workerAssignPublicIp} is ${JSON.stringify(assign)}; expected ENABLED or DISABLED`);
  return {
    cluster: read(Env.workerClusterArn), taskDefinition: read(Env.workerTaskDefinitionArn), family: read(Env.workerTaskFamily),
    containerName: read(Env.workerContainerName), subnets: list(Env.workerSubnets), securityGroups: list(Env.workerSecurityGroups),
    assignPublicIp: assign === 'ENABLED', maxTasks,
  };
}

type EcsSend = Pick<ECSClient, 'send'>;

/** ARNs of the family's tasks whose desired status is RUNNING (provisioning, pending or running). */
async function liveTasks(ecs: EcsSend, settings: WakeSettings): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTasksCommand({ cluster: settings.cluster, family: settings.family, desiredStatus: 'RUNNING', nextToken }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined && arns.length <= settings.maxTasks);
  return arns;
}

/**
 * Starts a worker unless the family already has `maxTasks` tasks running or pending.
 *
 * @example
 * const result = await wakeWorker(ecsClient(), readWakeSettings(), { wokenBy: command.id });
 */
export async function wakeWorker(ecs: EcsSend, settings: WakeSettings, request: { wokenBy: string }): Promise<WakeResult> {
  const before = await liveTasks(ecs, settings);
  if (before.length >= settings.maxTasks) return { outcome: 'at-cap', tasks: before.length };
  const run = await ecs.send(new RunTaskCommand({
    cluster: settings.cluster, taskDefinition: settings.taskDefinition, launchType: 'FARGATE', count: 1,
    startedBy: StartedBy,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...settings.subnets], securityGroups: [...settings.securityGroups],
        assignPublicIp: settings.assignPublicIp ? 'ENABLED' : 'DISABLED',
      },
    },
    overrides: { containerOverrides: [{ name: settings.containerName, environment: [{ name: Env.workerWokenBy, value: request.wokenBy }] }] },
  }));
  const taskArn = run.tasks?.[0]?.taskArn;
  if (taskArn === undefined) {
    const reasons = (run.failures ?? []).map((f) => `${f.reason ?? 'unknown'}${f.detail === undefined ? '' : ` (${f.detail})`}`).join('; ');
    throw new WorkerNotStartedError(`RunTask of ${settings.taskDefinition} on ${settings.cluster} started no task: ${reasons || 'no reason given'}`);
  }
  const after = await liveTasks(ecs, settings);
  if (after.length <= settings.maxTasks) return { outcome: 'started', taskArn, tasks: after.length };
  const described = await ecs.send(new DescribeTasksCommand({ cluster: settings.cluster, tasks: after.slice(0, 100) }));
  const order = (described.tasks ?? [])
    .map((t) => ({ arn: t.taskArn ?? '', created: t.createdAt?.getTime() ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.created - b.created || a.arn.localeCompare(b.arn));
  const keep = new Set(order.slice(0, settings.maxTasks).map((t) => t.arn));
  if (keep.has(taskArn)) return { outcome: 'started', taskArn, tasks: after.length };
  await ecs.send(new StopTaskCommand({ cluster: settings.cluster, task: taskArn, reason: `over the concurrency cap of ${settings.maxTasks} tasks of ${settings.family}` }));
  return { outcome: 'over-cap-stopped', taskArn, tasks: after.length - 1 };
}
