/**
 * The delivery saga as synthesized: its state machine definition (resolved the way the local
 * runtime resolves it, then checked by asl-validator), the Retry and Catch of every state by
 * error name, the order of the compensations, logging, tracing, alarms and grants.
 */
import aslValidator from 'asl-validator';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env, OutputPrefix } from '#shared/config.ts';
import { SagaErrorNames } from '../../../functions/deliver/errors.ts';
import { ACCOUNT, Resolver } from '../../../local/runtime/template.ts';
import { resolvedStateMachinesOf } from '../../../local/runtime/state-machines.ts';
import { buildApp, PipelineStack, StackId } from '../app.ts';
import { subscribers } from '../subscribers.ts';
import {
  logicalIdAt,
  referencedId,
  resource,
  resourcesOfType,
  tempOutdir,
  type TemplateJson,
  PipelinePath,
} from './template-helpers.ts';

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
}
interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string;
}
interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  ResultPath?: string;
  Parameters?: Record<string, unknown>;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Result?: unknown;
  Error?: string;
  Cause?: string;
  CausePath?: string;
  TimeoutSeconds?: number;
}
interface Definition {
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
}

const Retryable = [...SagaErrorNames.retryable, ...SagaErrorNames.lambdaService, 'States.Timeout'];

describe('DeliverySaga', () => {
  let json: TemplateJson;
  let template: Template;
  let definition: Definition;
  let cleanup: () => void;
  let functionArn: string;
  let resolver: Resolver;

  beforeAll(() => {
    const out = tempOutdir();
    cleanup = out.cleanup;
    const { stack } = buildApp({ outdir: out.outdir });
    template = Template.fromStack(stack);
    json = template.toJSON() as TemplateJson;
    // Resolve as the local runtime does: every resource gets a local name and ARN.
    resolver = new Resolver({ region: 'us-east-1', stackName: StackId });
    for (const [id, r] of Object.entries(json.Resources)) {
      const arn =
        r.Type === 'AWS::Lambda::Function'
          ? `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${id}`
          : r.Type === 'AWS::StepFunctions::StateMachine'
            ? `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${id}`
            : `arn:aws:local:us-east-1:${ACCOUNT}:${id}`;
      resolver.define(id, {
        ref: r.Type === 'AWS::StepFunctions::StateMachine' ? arn : id,
        attributes: { Arn: arn, Name: id },
      });
    }
    const [machine] = resolvedStateMachinesOf(json as never, resolver);
    definition = machine!.definition as unknown as Definition;
    functionArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${logicalIdAt(json, `${PipelinePath}/DeliverySaga/Function/Resource`)}`;
  });

  afterAll(() => cleanup());

  it('synthesizes one Standard state machine whose resolved definition asl-validator accepts', () => {
    // Act
    const verdict = aslValidator(definition, { checkArn: true, checkPaths: true });

    // Assess
    expect(Object.keys(resourcesOfType(json, 'AWS::StepFunctions::StateMachine'))).toHaveLength(1);
    expect(verdict.errorsText()).toBe('');
    expect(verdict.isValid).toBe(true);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
  });

  it('runs publish -> register -> notify -> confirm, each a task of the saga function with its own result path', () => {
    // Act
    const order: string[] = [];
    for (let name: string | undefined = definition.StartAt; name !== undefined; name = definition.States[name]?.Next)
      order.push(name);
    const tasks = ['Publish', 'Register', 'Notify', 'Confirm'].map((name) => definition.States[name]!);

    // Assess
    expect(order).toEqual(['Start', 'Publish', 'Register', 'Notify', 'Confirm', 'Delivered']);
    expect(definition.States.Delivered?.Type).toBe('Succeed');
    expect(tasks.map((t) => [t.Resource, t.ResultPath, t.Parameters])).toEqual(
      ['publish', 'register', 'notify', 'confirm'].map((step) => [functionArn, `$.${step}`, { step, 'saga.$': '$' }]),
    );
    expect(definition.States.Start?.Parameters).toEqual({
      'command.$': '$',
      execution: { 'name.$': '$$.Execution.Name', 'startedAt.$': '$$.Execution.StartTime' },
    });
  });

  it('retries each step on retryable errors by name, with backoff, and never on States.ALL', () => {
    for (const name of ['Publish', 'Register', 'Notify', 'Confirm']) {
      // Act
      const retry = definition.States[name]!.Retry;

      // Assess
      const sequence =
        name === 'Notify'
          ? [{ ErrorEquals: ['OutOfSequenceError'], IntervalSeconds: 1, MaxAttempts: 15, BackoffRate: 1 }]
          : [];
      expect(retry, name).toEqual([
        ...sequence,
        { ErrorEquals: Retryable, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 10 },
      ]);
      expect(definition.States[name]!.TimeoutSeconds, name).toBe(40);
    }
  });

  it('catches terminal errors by name first and States.ALL last, recording the failed step before compensating', () => {
    for (const [name, step] of [
      ['Publish', 'publish'],
      ['Register', 'register'],
      ['Notify', 'notify'],
      ['Confirm', 'confirm'],
    ] as const) {
      // Act
      const catches = definition.States[name]!.Catch!;
      const failed = definition.States[`${name}Failed`]!;

      // Assess
      const named =
        name === 'Register'
          ? [{ ErrorEquals: ['DeliveryConflictError'], ResultPath: '$.failure', Next: 'DeliveryConflict' }]
          : [];
      expect(catches, name).toEqual([
        ...named,
        { ErrorEquals: [...SagaErrorNames.terminal], ResultPath: '$.failure', Next: `${name}Failed` },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `${name}Failed` },
      ]);
      expect(failed).toMatchObject({ Type: 'Pass', Result: step, ResultPath: '$.failedStep' });
    }
    expect(definition.States.DeliveryConflict).toMatchObject({ Type: 'Fail', Error: 'DeliveryConflict' });
  });

  it('compensates a failure at step N with the compensations of N (if any) .. 1 in reverse, then reports and fails', () => {
    // Prepare
    const chainFrom = (state: string): string[] => {
      const chain: string[] = [];
      for (let name: string | undefined = state; name !== undefined; name = definition.States[name]?.Next)
        chain.push(name);
      return chain;
    };

    // Act
    const chains = Object.fromEntries(
      ['Publish', 'Register', 'Notify', 'Confirm'].map((name) => [name, chainFrom(`${name}Failed`).slice(1)]),
    );

    // Assess
    const tail = ['ReportCompensation', 'DeliveryCompensated'];
    expect(chains).toEqual({
      Publish: ['Unpublish', ...tail],
      Register: ['Unregister', 'Unpublish', ...tail],
      Notify: ['Unnotify', 'Unregister', 'Unpublish', ...tail],
      Confirm: ['Unnotify', 'Unregister', 'Unpublish', ...tail],
    });
    expect(definition.States.DeliveryCompensated).toMatchObject({
      Type: 'Fail',
      Error: 'DeliveryCompensated',
      CausePath: '$.failure.Cause',
    });
    expect(definition.States.ReportCompensation?.Parameters).toEqual({ step: 'report', 'saga.$': '$' });
  });

  it('retries compensations by name, then on any error, and ends at CompensationFailed when they are exhausted', () => {
    for (const name of ['Unnotify', 'Unregister', 'Unpublish', 'ReportCompensation']) {
      // Act
      const state = definition.States[name]!;

      // Assess
      expect(state.Retry, name).toEqual([
        { ErrorEquals: Retryable, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 10 },
        { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 10 },
      ]);
      expect(state.Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.compensationFailure', Next: 'CompensationFailed' },
      ]);
      expect(state.Resource, name).toBe(functionArn);
    }
    expect(definition.States.CompensationFailed).toMatchObject({ Type: 'Fail', Error: 'CompensationFailed' });
  });

  it('logs ALL events with execution data to its own log group, and traces', () => {
    // Act
    const [machine] = Object.values(resourcesOfType(json, 'AWS::StepFunctions::StateMachine'));
    const logging = machine!.Properties?.LoggingConfiguration as {
      Level: string;
      IncludeExecutionData: boolean;
      Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[];
    };

    // Assess
    expect(logging.Level).toBe('ALL');
    expect(logging.IncludeExecutionData).toBe(true);
    const logGroup = resource(
      json,
      referencedId(logging.Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn),
      'AWS::Logs::LogGroup',
    );
    // The name ends with the stack's UUID, so a stack created again gets a new group.
    const [, parts] = (logGroup.Properties?.LogGroupName as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    expect(parts[0]).toMatch(/^\/aws\/vendedlogs\/states\//);
    expect(parts.at(-1)).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] });
    expect(machine!.Properties?.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('alarms on failed executions, and on CompensationFailed through a metric filter on the log group', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.type = "ExecutionFailed") && ($.details.error = "CompensationFailed") }',
      MetricTransformations: [Match.objectLike({ MetricName: 'DeliveryCompensationsFailed', MetricValue: '1' })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeliveryCompensationsFailed',
      Threshold: 0,
    });
  });

  it("lets the deliver function start executions of this state machine only, and nothing of the saga's data", () => {
    // Prepare
    const deliverRole = referencedId(
      resource(json, logicalIdAt(json, `${PipelinePath}/Deliver/Function/Resource`), 'AWS::Lambda::Function').Properties
        ?.Role,
    );
    const machineId = logicalIdAt(json, `${PipelinePath}/DeliverySaga/StateMachine/Resource`);
    // The claim check's bucket is every function's, not the saga's data.
    const claimsId = logicalIdAt(json, `${PipelinePath}/Claims/Resource/Resource`);

    // Act
    const statements = Object.values(resourcesOfType(json, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties?.Roles as unknown[]).some((r) => referencedId(r) === deliverRole))
      .flatMap(
        (p) =>
          (p.Properties?.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
      )
      .filter((s) => !JSON.stringify(s.Resource).includes(claimsId));
    const actions = statements.flatMap((s) => [s.Action].flat());

    // Assess
    expect(statements.find((s) => s.Action === 'states:StartExecution')?.Resource).toEqual({ Ref: machineId });
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('states:'))).toEqual(['states:StartExecution']);
  });

  it('gives the saga function its subscribers, breaker settings, tables and buckets, and sends only to its queues', () => {
    // Prepare
    const fn = resource(
      json,
      logicalIdAt(json, `${PipelinePath}/DeliverySaga/Function/Resource`),
      'AWS::Lambda::Function',
    );

    // Act
    const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(Object.keys(variables).sort()).toEqual(
      [
        Env.breakerCoolDownSeconds,
        Env.breakerFailureThreshold,
        Env.deliveriesTable,
        Env.distributionBucket,
        Env.eventBusQueueUrl,
        Env.eventBusLanes,
        Env.subscribers,
        Env.sequenceHoldbackSeconds,
        Env.claimsBucket,
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
      ].sort(),
    );
    const queueIdOf = (name: string): string =>
      referencedId(json.Outputs?.[`${OutputPrefix.queue}Subscriber${name}`]?.Value);
    expect(JSON.parse(String(resolver.resolve(variables[Env.subscribers])))).toEqual(
      subscribers.map((s) => ({
        name: s.name,
        queueUrl: queueIdOf(s.name),
        productTypes: s.productTypes,
        ordered: s.ordered === true,
      })),
    );
    expect(variables[Env.sequenceHoldbackSeconds]).toBe('10');
    expect(subscribers.length).toBeGreaterThanOrEqual(2);
    const sendsTo = Object.values(resourcesOfType(json, 'AWS::IAM::Policy'))
      .filter((p) =>
        (p.Properties?.Roles as unknown[]).some((r) => referencedId(r) === referencedId(fn.Properties?.Role)),
      )
      .flatMap(
        (p) =>
          (p.Properties?.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
      )
      .filter((st) => [st.Action].flat().includes('sqs:SendMessage'))
      .flatMap((st) => [st.Resource].flat().map(referencedId))
      .sort();
    expect(sendsTo).toEqual(
      [
        referencedId(json.Outputs?.[`${OutputPrefix.queue}EventBus`]?.Value),
        referencedId(json.Outputs?.[`${OutputPrefix.queue}EventBusBulk`]?.Value),
        ...subscribers.map((s) => queueIdOf(s.name)),
      ].sort(),
    );
    expect(fn.Properties?.Runtime).toBe('nodejs22.x');
    expect(fn.Properties?.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('makes the queue of an ordered subscriber and its dead-letter queue FIFO, and the others standard', () => {
    // Prepare
    const queueOf = (name: string) =>
      resource(json, referencedId(json.Outputs?.[`${OutputPrefix.queue}Subscriber${name}`]?.Value), 'AWS::SQS::Queue');
    const dlqOf = (name: string) =>
      resource(
        json,
        referencedId(json.Outputs?.[`${OutputPrefix.queue}Subscriber${name}Dlq`]?.Value),
        'AWS::SQS::Queue',
      );

    // Act
    const ordered = subscribers.filter((s) => s.ordered === true).map((s) => s.name);
    const unordered = subscribers.filter((s) => s.ordered !== true).map((s) => s.name);

    // Assess
    expect(ordered).toEqual(['Nowcasting']);
    for (const name of ordered) {
      expect(queueOf(name).Properties?.FifoQueue, name).toBe(true);
      expect(dlqOf(name).Properties?.FifoQueue, name).toBe(true);
    }
    for (const name of unordered) expect(queueOf(name).Properties?.FifoQueue, name).toBeUndefined();
  });

  it('refuses subscribers with duplicate or non-PascalCase names', () => {
    // Prepare
    const build = (list: { name: string; productTypes: string[] }[]) => (): PipelineStack =>
      new PipelineStack(new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } }), 'Saga', {
        subscribers: list,
      });

    // Assess
    expect(
      build([
        { name: 'A', productTypes: ['*'] },
        { name: 'A', productTypes: ['*'] },
      ]),
    ).toThrow('Subscriber A is declared twice');
    expect(build([{ name: 'nowcasting', productTypes: ['*'] }])).toThrow(/expected a PascalCase name/);
    expect(build([])).toThrow('DeliverySaga needs at least one subscriber');
  });
});
