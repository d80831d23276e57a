import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { startEcs, type LaunchedContainer, type LaunchRequest, type RunningEcs } from './ecs.ts';

const cluster = { arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/workers', name: 'workers' };
const definition = {
  arn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/ingest-worker:1',
  family: 'ingest-worker',
  revision: 1,
  cpu: '1024',
  memory: '2048',
  containers: [
    { name: 'worker', command: ['node', 'index.mjs'], environment: { QUEUE: 'q', GRACE: '20' }, stopTimeoutSeconds: 1 },
  ],
};

/** A process stand-in: records signals; exits on SIGKILL, or on SIGTERM when `obeysSigterm`. */
function fakeProcess(obeysSigterm: boolean) {
  const signals: string[] = [];
  let exit: (result: { code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
  const launched: LaunchedContainer = {
    pid: 4242,
    kill: (signal) => {
      signals.push(signal);
      if (signal === 'SIGKILL') exit({ code: null, signal });
      if (signal === 'SIGTERM' && obeysSigterm) exit({ code: 0, signal: null });
    },
    exited: new Promise((resolve) => {
      exit = resolve;
    }),
  };
  return { launched, signals, exit: (code: number) => exit({ code, signal: null }) };
}

describe('local ECS emulator', () => {
  let ecs: RunningEcs | undefined;
  afterEach(async () => {
    await ecs?.stop();
    ecs = undefined;
  });

  async function start(obeysSigterm = true) {
    const launches: LaunchRequest[] = [];
    const processes: ReturnType<typeof fakeProcess>[] = [];
    ecs = await startEcs({
      region: 'us-east-1',
      account: '000000000000',
      clusters: [cluster],
      taskDefinitions: [definition],
      launch: (request) => {
        launches.push(request);
        const p = fakeProcess(obeysSigterm);
        processes.push(p);
        return p.launched;
      },
    });
    const client = new ECSClient({
      endpoint: ecs.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    return { client, launches, processes };
  }

  it("starts the container with its environment and RunTask's overrides, and reports the task running", async () => {
    // Prepare
    const { client, launches } = await start();

    // Act
    const run = await client.send(
      new RunTaskCommand({
        cluster: cluster.arn,
        taskDefinition: definition.arn,
        launchType: 'FARGATE',
        startedBy: 'cometflow-wake',
        overrides: {
          containerOverrides: [
            {
              name: 'worker',
              environment: [
                { name: 'GRACE', value: '0' },
                { name: 'WOKEN_BY', value: 'cmd-1' },
              ],
            },
          ],
        },
      }),
    );

    // Assess
    expect(launches).toHaveLength(1);
    expect(launches[0]).toMatchObject({
      command: ['node', 'index.mjs'],
      environment: { QUEUE: 'q', GRACE: '0', WOKEN_BY: 'cmd-1' },
    });
    const task = run.tasks![0]!;
    expect(task).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      clusterArn: cluster.arn,
      taskDefinitionArn: definition.arn,
      startedBy: 'cometflow-wake',
      group: 'family:ingest-worker',
    });
    expect(task.taskArn).toMatch(/^arn:aws:ecs:us-east-1:000000000000:task\/workers\/[0-9a-f]{32}$/);
    expect(task.createdAt).toBeInstanceOf(Date);
    expect(task.containers?.[0]?.runtimeId).toBe('4242');
  });

  it('lists the running tasks of a family, and the stopped ones apart', async () => {
    // Prepare
    const { client, processes } = await start();
    const [first, second] = await Promise.all(
      [1, 2].map(
        async () =>
          (await client.send(new RunTaskCommand({ cluster: 'workers', taskDefinition: 'ingest-worker' }))).tasks![0]!
            .taskArn!,
      ),
    );
    processes[0]!.exit(0);
    await new Promise((r) => setTimeout(r, 10));

    // Act
    const running = await client.send(new ListTasksCommand({ cluster: cluster.arn, family: 'ingest-worker' }));
    const stopped = await client.send(
      new ListTasksCommand({ cluster: cluster.arn, family: 'ingest-worker', desiredStatus: 'STOPPED' }),
    );
    const other = await client.send(new ListTasksCommand({ cluster: cluster.arn, family: 'another-family' }));

    // Assess
    expect(running.taskArns).toEqual([second]);
    expect(stopped.taskArns).toEqual([first]);
    expect(other.taskArns).toEqual([]);
    const [described] = (await client.send(new DescribeTasksCommand({ cluster: cluster.arn, tasks: [first!] }))).tasks!;
    expect(described).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      containers: [{ exitCode: 0 }],
    });
  });

  it("stops a task with SIGTERM, then SIGKILL after the container's stopTimeout", async () => {
    // Prepare: a process that ignores SIGTERM; stopTimeout is 1 s.
    const { client, processes } = await start(false);
    const taskArn = (await client.send(new RunTaskCommand({ cluster: cluster.arn, taskDefinition: definition.arn })))
      .tasks![0]!.taskArn!;

    // Act
    const stopping = await client.send(new StopTaskCommand({ cluster: cluster.arn, task: taskArn, reason: 'test' }));
    await new Promise((r) => setTimeout(r, 1300));

    // Assess
    expect(stopping.task).toMatchObject({ desiredStatus: 'STOPPED', stoppedReason: 'test' });
    expect(processes[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    const [described] = (await client.send(new DescribeTasksCommand({ cluster: cluster.arn, tasks: [taskArn] })))
      .tasks!;
    expect(described).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'test' });
  });

  it('answers an unknown cluster and an unknown action with AWS error types', async () => {
    // Prepare
    const { client } = await start();

    // Act & Assess
    await expect(client.send(new ListTasksCommand({ cluster: 'nope' }))).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
    });
    await expect(client.send(new StopTaskCommand({ cluster: cluster.arn, task: 'missing' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});
