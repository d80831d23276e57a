import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localRunner, type ResolvedStateMachine } from '../runtime/state-machines.ts';
import { startStepFunctions, type RunningStepFunctions } from './stepfunctions.ts';

const FunctionArn = 'arn:aws:lambda:us-east-1:000000000000:function:Saga';
const MachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Delivery';

/** Work -> Done, retrying `Flaky` once, catching `Terminal` into a Fail state. */
const machine: ResolvedStateMachine = {
  logicalId: 'Delivery',
  name: 'Delivery',
  arn: MachineArn,
  type: 'STANDARD',
  roleArn: 'arn:aws:iam::000000000000:role/r',
  definition: {
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: FunctionArn,
        ResultPath: '$.work',
        Next: 'Done',
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 0, MaxAttempts: 1 }],
        Catch: [{ ErrorEquals: ['Terminal'], ResultPath: '$.failure', Next: 'Failed' }],
      },
      Done: { Type: 'Succeed' },
      Failed: { Type: 'Fail', Error: 'Compensated', CausePath: '$.failure.Cause' },
    },
  },
};

/** The task's behaviour per execution input: `ok`, `flaky` (fails once), `terminal`, `slow`. */
const calls = new Map<string, number>();
const invoke = async (_fn: string, input: unknown): Promise<unknown> => {
  const { mode, id } = input as { mode: string; id: string };
  calls.set(id, (calls.get(id) ?? 0) + 1);
  if (mode === 'terminal') throw Object.assign(new Error('no way'), { name: 'Terminal' });
  if (mode === 'flaky' && calls.get(id) === 1) throw Object.assign(new Error('try again'), { name: 'Flaky' });
  if (mode === 'slow') await new Promise((r) => setTimeout(r, 500));
  return { done: id };
};

describe('local Step Functions endpoint', () => {
  let endpoint: RunningStepFunctions;
  let sfn: SFNClient;

  beforeAll(async () => {
    endpoint = await startStepFunctions({ region: 'us-east-1' });
    endpoint.register({
      ...machine,
      definition: JSON.stringify(machine.definition),
      runner: localRunner(machine, invoke),
    });
    sfn = new SFNClient({
      region: 'us-east-1',
      endpoint: endpoint.endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
  });

  afterAll(async () => {
    sfn.destroy();
    await endpoint.stop();
  });

  const finished = async (executionArn: string): Promise<DescribeExecutionCommandOutput> => {
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('runs an execution to SUCCEEDED and describes it through the SDK', async () => {
    // Act
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: MachineArn, name: 'ok-1', input: '{"mode":"ok","id":"ok-1"}' }),
    );
    const execution = await finished(executionArn!);

    // Assess
    expect(executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:Delivery:ok-1');
    expect(execution).toMatchObject({ status: 'SUCCEEDED', name: 'ok-1', stateMachineArn: MachineArn });
    expect(JSON.parse(execution.output!)).toEqual({ mode: 'ok', id: 'ok-1', work: { done: 'ok-1' } });
    expect(execution.startDate).toBeInstanceOf(Date);
  });

  it('rejects a second start with the same name with ExecutionAlreadyExists', async () => {
    // Prepare
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn: MachineArn, name: 'dup', input: '{"mode":"ok","id":"dup"}' }),
    );
    await finished('arn:aws:states:us-east-1:000000000000:execution:Delivery:dup');

    // Act
    const again = sfn.send(
      new StartExecutionCommand({ stateMachineArn: MachineArn, name: 'dup', input: '{"mode":"ok","id":"dup"}' }),
    );

    // Assess
    await expect(again).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(calls.get('dup')).toBe(1);
  });

  it('answers a repeated start of a running execution with the same input with its ARN, and a different input with ExecutionAlreadyExists', async () => {
    // Prepare
    const input = '{"mode":"slow","id":"slow"}';
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: MachineArn, name: 'slow', input }));

    // Act
    const same = await sfn.send(new StartExecutionCommand({ stateMachineArn: MachineArn, name: 'slow', input }));
    const different = sfn.send(
      new StartExecutionCommand({ stateMachineArn: MachineArn, name: 'slow', input: '{"mode":"slow","id":"other"}' }),
    );

    // Assess
    expect(same.executionArn).toBe(first.executionArn);
    await expect(different).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await finished(first.executionArn!);
    expect(calls.get('slow')).toBe(1);
  });

  it('matches a thrown error by its name in Retry and Catch, and records it in the history', async () => {
    // Act
    const flaky = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: MachineArn, name: 'flaky', input: '{"mode":"flaky","id":"flaky"}' }),
    );
    const terminal = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: MachineArn,
        name: 'terminal',
        input: '{"mode":"terminal","id":"terminal"}',
      }),
    );
    const [flakyDone, terminalDone] = [await finished(flaky.executionArn!), await finished(terminal.executionArn!)];
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: flaky.executionArn }));

    // Assess
    expect(flakyDone.status).toBe('SUCCEEDED');
    expect(terminalDone).toMatchObject({ status: 'FAILED', error: 'Compensated', cause: 'no way' });
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.find((e) => e.type === 'LambdaFunctionFailed')?.lambdaFunctionFailedEventDetails).toEqual({
      error: 'Flaky',
      cause: 'try again',
    });
    expect(
      events.find((e) => e.type === 'LambdaFunctionScheduled')?.lambdaFunctionScheduledEventDetails?.resource,
    ).toBe(FunctionArn);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  });

  it('lists executions newest first, and answers StateMachineDoesNotExist for an unknown machine', async () => {
    // Act
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MachineArn }));
    const unknown = sfn.send(new ListExecutionsCommand({ stateMachineArn: `${MachineArn}-nope` }));

    // Assess
    expect(executions.map((e) => e.name)).toContain('ok-1');
    expect([...executions].sort((a, b) => b.startDate!.getTime() - a.startDate!.getTime())).toEqual(executions);
    await expect(unknown).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });
});
