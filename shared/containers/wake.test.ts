import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { Env } from '../config.ts';
import { readWakeSettings, wakeWorker, WorkerNotStartedError, type WakeSettings } from './wake.ts';

const settings: WakeSettings = {
  cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/ingest',
  taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/ingest-worker:3',
  family: 'ingest-worker',
  containerName: 'worker',
  subnets: ['subnet-1', 'subnet-2'],
  securityGroups: ['sg-1'],
  assignPublicIp: true,
  maxTasks: 2,
};

/**
 * ECS in memory: tasks with a creation time. `raceOnRun` adds tasks another waker started while
 * ours was being started.
 */
function fakeEcs(
  initial: { arn: string; created: number }[],
  options: { raceOnRun?: { arn: string; created: number }[]; fail?: string } = {},
) {
  const tasks = [...initial];
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  let clock = 1_000;
  // A real client whose send is replaced: the SDK's paginators accept only an ECSClient.
  const ecs = Object.assign(new ECSClient({ region: 'us-east-1' }), {
    send: async (command: unknown) => {
      const { input } = command as { input: Record<string, unknown> };
      calls.push({ name: (command as object).constructor.name, input });
      if (command instanceof ListTasksCommand) return { taskArns: tasks.map((t) => t.arn) };
      if (command instanceof RunTaskCommand) {
        if (options.fail !== undefined) return { tasks: [], failures: [{ reason: options.fail }] };
        tasks.push(...(options.raceOnRun ?? []));
        const arn = `arn:task/ours-${calls.length}`;
        clock += 1;
        tasks.push({ arn, created: clock });
        return { tasks: [{ taskArn: arn }], failures: [] };
      }
      if (command instanceof DescribeTasksCommand) {
        return {
          tasks: tasks
            .filter((t) => (input.tasks as string[]).includes(t.arn))
            .map((t) => ({ taskArn: t.arn, createdAt: new Date(t.created) })),
        };
      }
      if (command instanceof StopTaskCommand) {
        tasks.splice(
          tasks.findIndex((t) => t.arn === input.task),
          1,
        );
        return { task: { taskArn: input.task } };
      }
      throw new Error(`unexpected ${String(command)}`);
    },
  }) as unknown as ECSClient;
  return { ecs, calls, tasks };
}

describe('wakeWorker', () => {
  it('starts a Fargate task with the network settings and the waking command id when below the cap', async () => {
    // Prepare
    const fake = fakeEcs([{ arn: 'arn:task/running', created: 1 }]);

    // Act
    const result = await wakeWorker(fake.ecs, settings, { wokenBy: 'command-7' });

    // Assess
    expect(result).toMatchObject({ outcome: 'started', tasks: 2 });
    const run = fake.calls.find((c) => c.name === 'RunTaskCommand')!.input;
    expect(run).toMatchObject({
      cluster: settings.cluster,
      taskDefinition: settings.taskDefinition,
      launchType: 'FARGATE',
      count: 1,
      startedBy: 'cometflow-wake',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' },
      },
      overrides: {
        containerOverrides: [{ name: 'worker', environment: [{ name: Env.workerWokenBy, value: 'command-7' }] }],
      },
    });
    expect(fake.calls.find((c) => c.name === 'ListTasksCommand')!.input).toMatchObject({
      cluster: settings.cluster,
      family: 'ingest-worker',
      desiredStatus: 'RUNNING',
    });
  });

  it('starts nothing when the cap of tasks is running or pending', async () => {
    // Prepare
    const fake = fakeEcs([
      { arn: 'arn:task/a', created: 1 },
      { arn: 'arn:task/b', created: 2 },
    ]);

    // Act
    const result = await wakeWorker(fake.ecs, settings, { wokenBy: 'command-8' });

    // Assess
    expect(result).toEqual({ outcome: 'at-cap', tasks: 2 });
    expect(fake.calls.map((c) => c.name)).toEqual(['ListTasksCommand']);
  });

  it('stops its own task when a racing waker filled the cap first, keeping the oldest tasks', async () => {
    // Prepare: one task runs; another waker's task is created while ours starts, just before it.
    const fake = fakeEcs([{ arn: 'arn:task/a', created: 1 }], {
      raceOnRun: [{ arn: 'arn:task/theirs', created: 500 }],
    });

    // Act
    const result = await wakeWorker(fake.ecs, settings, { wokenBy: 'command-9' });

    // Assess
    expect(result.outcome).toBe('over-cap-stopped');
    expect(fake.tasks.map((t) => t.arn)).toEqual(['arn:task/a', 'arn:task/theirs']);
    expect(fake.calls.find((c) => c.name === 'StopTaskCommand')!.input.reason).toBe(
      'over the concurrency cap of 2 tasks of ingest-worker',
    );
  });

  it('throws a retryable WorkerNotStartedError with the reasons when RunTask starts nothing', async () => {
    // Prepare
    const fake = fakeEcs([], { fail: 'Capacity is unavailable at this time' });

    // Act
    const act = wakeWorker(fake.ecs, settings, { wokenBy: 'command-10' });

    // Assess
    await expect(act).rejects.toThrow(WorkerNotStartedError);
    await expect(act).rejects.toMatchObject({
      retryable: true,
      message: expect.stringContaining('Capacity is unavailable at this time'),
    });
  });
});

describe('readWakeSettings', () => {
  const env = {
    [Env.workerClusterArn]: settings.cluster,
    [Env.workerTaskDefinitionArn]: settings.taskDefinition,
    [Env.workerTaskFamily]: 'ingest-worker',
    [Env.workerContainerName]: 'worker',
    [Env.workerSubnets]: 'subnet-1, subnet-2',
    [Env.workerSecurityGroups]: 'sg-1',
    [Env.workerAssignPublicIp]: 'ENABLED',
    [Env.workerMaxTasks]: '2',
  };

  it('reads the settings the CDK app sets', () => {
    // Act
    const read = readWakeSettings(env);

    // Assess
    expect(read).toEqual(settings);
  });

  it('names a missing variable and a bad cap', () => {
    // Assess
    expect(() => readWakeSettings({ ...env, [Env.workerClusterArn]: '' })).toThrow(Env.workerClusterArn);
    expect(() => readWakeSettings({ ...env, [Env.workerMaxTasks]: '0' })).toThrow(
      `${Env.workerMaxTasks} is "0"; expected a whole number of at least 1`,
    );
  });
});
