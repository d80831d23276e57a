/**
 * Just enough of Amazon ECS for the container workers: a small HTTP server on 127.0.0.1 speaking
 * the AWS JSON 1.1 protocol (`X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>`) for
 * RunTask, ListTasks, DescribeTasks and StopTask, over the clusters and task definitions of the
 * synthesized template. RunTask hands the task to a `launch` function (the local runtime starts
 * the container's command as a child process); StopTask sends SIGTERM and, like ECS, SIGKILL
 * after the container's stopTimeout. `stop()` stops every task it started, by PID.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A container of a task definition, as the template declares it. */
export interface ContainerSpec {
  readonly name: string;
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** Seconds between SIGTERM and SIGKILL (ECS default 30). */
  readonly stopTimeoutSeconds: number;
}

/** A task definition, as the template declares it. */
export interface TaskDefinitionSpec {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly cpu?: string;
  readonly memory?: string;
  readonly containers: readonly ContainerSpec[];
}

/** A cluster of the template. */
export interface ClusterSpec {
  readonly arn: string;
  readonly name: string;
}

/** What `launch` returns: a running container process. */
export interface LaunchedContainer {
  readonly pid: number;
  /** Sends a signal to the process. */
  readonly kill: (signal: NodeJS.Signals) => void;
  /** Settles when the process exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** What the emulator asks the runtime to start. */
export interface LaunchRequest {
  readonly taskArn: string;
  readonly taskDefinition: TaskDefinitionSpec;
  readonly container: ContainerSpec;
  /** The container's environment with RunTask's overrides applied. */
  readonly environment: Readonly<Record<string, string>>;
  readonly command: readonly string[];
}

export interface EcsOptions {
  readonly region: string;
  readonly account: string;
  readonly clusters: readonly ClusterSpec[];
  readonly taskDefinitions: readonly TaskDefinitionSpec[];
  readonly launch: (request: LaunchRequest) => LaunchedContainer;
  /** Told about every state change of a task, for logs and benchmarks. */
  readonly onTaskEvent?: (event: { taskArn: string; status: string; at: number; detail?: string }) => void;
}

export interface RunningEcs {
  readonly endpoint: string;
  readonly port: number;
  /** Stops every running task (SIGTERM, SIGKILL after its stopTimeout), then the server. */
  stop(): Promise<void>;
}

interface ContainerState {
  name: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  runtimeId?: string;
}

interface TaskState {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly definition: TaskDefinitionSpec;
  readonly startedBy?: string;
  readonly overrides: unknown;
  lastStatus: string;
  desiredStatus: string;
  readonly createdAt: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
  stopCode?: string;
  readonly containers: ContainerState[];
  process?: LaunchedContainer;
  killTimer?: NodeJS.Timeout;
}

/** An error the SDK maps by `__type` to an exception of that name. */
class EcsError extends Error {
  public readonly type: string;

  public constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

const TargetPrefix = 'AmazonEC2ContainerServiceV20141113.';
const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

/** Starts the emulator on 127.0.0.1 with a free port. */
export async function startEcs(options: EcsOptions): Promise<RunningEcs> {
  const tasks = new Map<string, TaskState>();
  const event = (task: TaskState, status: string, detail?: string): void =>
    options.onTaskEvent?.({
      taskArn: task.taskArn,
      status,
      at: Date.now(),
      ...(detail === undefined ? {} : { detail }),
    });

  const clusterOf = (value: unknown): ClusterSpec => {
    const wanted = typeof value === 'string' && value !== '' ? value : 'default';
    const cluster = options.clusters.find((c) => c.arn === wanted || c.name === wanted);
    if (cluster === undefined) throw new EcsError('ClusterNotFoundException', `Cluster not found: ${wanted}`);
    return cluster;
  };
  const definitionOf = (value: unknown): TaskDefinitionSpec => {
    const wanted = String(value ?? '');
    const latest = options.taskDefinitions
      .filter((d) => d.family === wanted)
      .sort((a, b) => b.revision - a.revision)[0];
    const found =
      latest ?? options.taskDefinitions.find((d) => d.arn === wanted || `${d.family}:${d.revision}` === wanted);
    if (found === undefined) throw new EcsError('ClientException', `Unable to describe task definition ${wanted}`);
    return found;
  };
  const taskOf = (cluster: ClusterSpec, value: string): TaskState | undefined =>
    tasks.get(value) ??
    [...tasks.values()].find((t) => t.clusterArn === cluster.arn && t.taskArn.endsWith(`/${value}`));

  const render = (task: TaskState): Record<string, unknown> => ({
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    taskDefinitionArn: task.definition.arn,
    group: `family:${task.definition.family}`,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    cpu: task.definition.cpu,
    memory: task.definition.memory,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    startedBy: task.startedBy,
    overrides: task.overrides,
    createdAt: seconds(task.createdAt),
    startedAt: seconds(task.startedAt),
    stoppingAt: seconds(task.stoppingAt),
    stoppedAt: seconds(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stopCode: task.stopCode,
    availabilityZone: `${options.region}a`,
    containers: task.containers.map((c) => ({
      containerArn: `${task.taskArn.replace(':task/', ':container/')}/${c.name}`,
      taskArn: task.taskArn,
      name: c.name,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
      runtimeId: c.runtimeId,
    })),
  });

  const finish = (task: TaskState, code: number | null, signal: NodeJS.Signals | null): void => {
    clearTimeout(task.killTimer);
    task.lastStatus = 'STOPPED';
    task.desiredStatus = 'STOPPED';
    task.stoppedAt = Date.now();
    task.stopCode ??= 'EssentialContainerExited';
    task.stoppedReason ??= 'Essential container in task exited';
    for (const container of task.containers) {
      container.lastStatus = 'STOPPED';
      if (code !== null) container.exitCode = code;
      else container.reason = `killed by ${signal ?? 'a signal'}`;
    }
    event(task, 'STOPPED', `exit ${code ?? signal}`);
  };

  const stopTask = (task: TaskState, reason: string): void => {
    if (task.desiredStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = Date.now();
    task.stopCode = 'UserInitiated';
    task.stoppedReason = reason;
    if (task.process === undefined || task.lastStatus === 'STOPPED') return;
    task.lastStatus = 'DEACTIVATING';
    event(task, 'SIGTERM', reason);
    task.process.kill('SIGTERM');
    const grace = Math.max(...task.definition.containers.map((c) => c.stopTimeoutSeconds)) * 1000;
    task.killTimer = setTimeout(() => {
      event(task, 'SIGKILL', `still running ${grace} ms after SIGTERM`);
      task.process?.kill('SIGKILL');
    }, grace);
  };

  const runTask = (input: Record<string, unknown>): Record<string, unknown> => {
    const cluster = clusterOf(input.cluster);
    const definition = definitionOf(input.taskDefinition);
    const count = Number(input.count ?? 1);
    const overrides = (input.overrides ?? {}) as {
      containerOverrides?: { name?: string; environment?: { name?: string; value?: string }[]; command?: string[] }[];
    };
    const started: Record<string, unknown>[] = [];
    for (let i = 0; i < count; i += 1) {
      const taskArn = `arn:aws:ecs:${options.region}:${options.account}:task/${cluster.name}/${randomBytes(16).toString('hex')}`;
      const task: TaskState = {
        taskArn,
        clusterArn: cluster.arn,
        definition,
        overrides,
        ...(typeof input.startedBy === 'string' ? { startedBy: input.startedBy } : {}),
        lastStatus: 'PROVISIONING',
        desiredStatus: 'RUNNING',
        createdAt: Date.now(),
        containers: definition.containers.map((c) => ({ name: c.name, lastStatus: 'PENDING' })),
      };
      tasks.set(taskArn, task);
      event(task, 'PROVISIONING');
      for (const container of definition.containers) {
        const override = overrides.containerOverrides?.find((o) => o.name === container.name);
        const environment = {
          ...container.environment,
          ...Object.fromEntries((override?.environment ?? []).map((e) => [e.name ?? '', e.value ?? ''])),
        };
        const launched = options.launch({
          taskArn,
          taskDefinition: definition,
          container,
          environment,
          command: override?.command ?? container.command,
        });
        task.process = launched;
        task.lastStatus = 'RUNNING';
        task.startedAt = Date.now();
        const state = task.containers.find((c) => c.name === container.name)!;
        state.lastStatus = 'RUNNING';
        state.runtimeId = String(launched.pid);
        event(task, 'RUNNING', `pid ${launched.pid}`);
        void launched.exited.then(({ code, signal }) => finish(task, code, signal));
      }
      started.push(render(task));
    }
    return { tasks: started, failures: [] };
  };

  const listTasks = (input: Record<string, unknown>): Record<string, unknown> => {
    const cluster = clusterOf(input.cluster);
    const desired = typeof input.desiredStatus === 'string' ? input.desiredStatus : 'RUNNING';
    const taskArns = [...tasks.values()]
      .filter((t) => t.clusterArn === cluster.arn && t.desiredStatus === desired)
      .filter((t) => input.family === undefined || t.definition.family === input.family)
      .filter((t) => input.startedBy === undefined || t.startedBy === input.startedBy)
      .map((t) => t.taskArn);
    return { taskArns };
  };

  const describeTasks = (input: Record<string, unknown>): Record<string, unknown> => {
    const cluster = clusterOf(input.cluster);
    const wanted = (input.tasks ?? []) as string[];
    const found = wanted.map((id) => [id, taskOf(cluster, id)] as const);
    return {
      tasks: found.filter(([, t]) => t !== undefined).map(([, t]) => render(t!)),
      failures: found.filter(([, t]) => t === undefined).map(([id]) => ({ arn: id, reason: 'MISSING' })),
    };
  };

  const stopTaskAction = (input: Record<string, unknown>): Record<string, unknown> => {
    const cluster = clusterOf(input.cluster);
    const task = taskOf(cluster, String(input.task ?? ''));
    if (task === undefined)
      throw new EcsError('InvalidParameterException', `The referenced task was not found: ${String(input.task)}`);
    stopTask(task, typeof input.reason === 'string' && input.reason !== '' ? input.reason : 'Task stopped by user');
    return { task: render(task) };
  };

  const actions: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {
    RunTask: runTask,
    ListTasks: listTasks,
    DescribeTasks: describeTasks,
    StopTask: stopTaskAction,
  };

  const reply = (response: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomBytes(16).toString('hex'),
    });
    response.end(text);
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const action = actions[target.startsWith(TargetPrefix) ? target.slice(TargetPrefix.length) : ''];
      try {
        if (request.method !== 'POST' || action === undefined) {
          throw new EcsError(
            'UnknownOperationException',
            `The local ECS emulator does not implement ${target || `${request.method} ${request.url}`}; it implements ${Object.keys(actions).join(', ')}`,
          );
        }
        const body =
          chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
        reply(response, 200, action(body));
      } catch (error) {
        const type =
          error instanceof EcsError
            ? error.type
            : error instanceof SyntaxError
              ? 'SerializationException'
              : 'ServerException';
        reply(response, type === 'ServerException' ? 500 : 400, { __type: type, message: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      const running = [...tasks.values()].filter((t) => t.process !== undefined && t.lastStatus !== 'STOPPED');
      for (const task of running) stopTask(task, 'The local stack is stopping');
      await Promise.all(running.map((t) => t.process!.exited));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The SDK keeps connections alive; close() alone would wait for them.
      server.closeAllConnections();
      await closed;
    },
  };
}
