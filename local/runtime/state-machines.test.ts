import { describe, expect, it } from 'vitest';
import { lambdaTasksOf, localRunner, resolvedStateMachinesOf, type ResolvedStateMachine } from './state-machines.ts';
import { Resolver, type Template } from './template.ts';

const FunctionArn = 'arn:aws:lambda:us-east-1:000000000000:function:Cometflow-Saga';

describe('resolvedStateMachinesOf', () => {
  it('resolves the Fn::Join of a DefinitionString into ASL with the function ARN', () => {
    // Prepare
    const template: Template = {
      Resources: {
        Saga: { Type: 'AWS::Lambda::Function' },
        Machine: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: {
              'Fn::Join': [
                '',
                [
                  '{"StartAt":"A","States":{"A":{"Type":"Task","End":true,"Resource":"',
                  { 'Fn::GetAtt': ['Saga', 'Arn'] },
                  '"}}}',
                ],
              ],
            },
            StateMachineType: 'STANDARD',
          },
        },
      },
    };
    const resolver = new Resolver({ region: 'us-east-1', stackName: 'Cometflow' });
    resolver.define('Saga', { ref: 'Cometflow-Saga', attributes: { Arn: FunctionArn } });
    resolver.define('Machine', {
      ref: 'arn:aws:states:us-east-1:000000000000:stateMachine:M',
      attributes: { Name: 'M' },
    });

    // Act
    const [machine] = resolvedStateMachinesOf(template, resolver);

    // Assess
    expect(machine).toMatchObject({
      name: 'M',
      arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:M',
      type: 'STANDARD',
    });
    expect(machine!.definition).toEqual({
      StartAt: 'A',
      States: { A: { Type: 'Task', End: true, Resource: FunctionArn } },
    });
  });
});

describe('lambdaTasksOf', () => {
  it('finds function-ARN tasks and optimized lambda:invoke tasks, nested ones included', () => {
    // Act
    const tasks = lambdaTasksOf({
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: FunctionArn, Next: 'P' },
        P: {
          Type: 'Parallel',
          End: true,
          Branches: [
            {
              StartAt: 'B',
              States: {
                B: {
                  Type: 'Task',
                  Resource: 'arn:aws:states:::lambda:invoke',
                  Parameters: { FunctionName: FunctionArn },
                  End: true,
                },
              },
            },
          ],
        },
      },
    });

    // Assess
    expect(tasks).toEqual([
      { state: 'A', functionRef: FunctionArn, optimized: false },
      { state: 'B', functionRef: FunctionArn, optimized: true },
    ]);
  });

  it('refuses a task the local runner cannot run, naming it', () => {
    // Act
    const act = (): unknown =>
      lambdaTasksOf({
        StartAt: 'S',
        States: { S: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } },
      });

    // Assess
    expect(act).toThrow('Task S uses arn:aws:states:::sqs:sendMessage; the local runner runs Lambda tasks only');
  });
});

describe('localRunner', () => {
  it('wraps the result of an optimized lambda:invoke task as { StatusCode, Payload }', async () => {
    // Prepare
    const machine: ResolvedStateMachine = {
      logicalId: 'M',
      name: 'M',
      arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:M',
      type: 'STANDARD',
      roleArn: '',
      definition: {
        StartAt: 'Invoke',
        States: {
          Invoke: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: FunctionArn, 'Payload.$': '$' },
            OutputPath: '$.Payload',
            End: true,
          },
        },
      },
    };
    const seen: unknown[] = [];

    // Act
    const { result } = localRunner(machine, async (fn, event) => {
      seen.push([fn, event]);
      return { echoed: event };
    }).run({ a: 1 }, {});

    // Assess
    await expect(result).resolves.toEqual({ echoed: { a: 1 } });
    expect(seen).toEqual([[FunctionArn, { a: 1 }]]);
  });
});
