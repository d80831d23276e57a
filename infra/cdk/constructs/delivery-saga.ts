/**
 * The delivery saga: a Standard Step Functions state machine whose steps (publish -> register ->
 * notify -> confirm) and compensations (unnotify -> unregister -> unpublish) are tasks of one
 * saga function, the subscriber queues it notifies, and the alarms that tell an operator a
 * delivery failed or, worse, could not be compensated.
 */
import { join } from 'node:path';
import { Duration, Fn, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, Role } from 'aws-cdk-lib/aws-iam';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  Fail,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  type CatchProps,
  type IChainable,
  type RetryProps,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { Env } from '#shared/config.ts';
import { SagaErrorNames } from '../../../functions/deliver/errors.ts';
import {
  StepNames,
  type CompensationName,
  type StepName,
  type TaskName,
} from '../../../functions/deliver/steps/saga-state.ts';
import type { SubscriberSettings } from '../subscribers.ts';
import { acknowledgeFindings, arnReference } from './nag.ts';
import { BundledFunction, MetricsNamespace, type ConfigurableGrantee } from './bundled-function.ts';
import type { PipelineTables } from './pipeline-tables.ts';
import type { SecureBucket } from './secure-bucket.ts';
import { StageQueue } from './stage-queue.ts';

/** Settings of the subscribers' circuit breakers. */
export interface SagaBreakerSettings {
  /** Consecutive failed sends that open a subscriber's breaker. */
  readonly failureThreshold: number;
  /** Seconds a breaker stays open before one trial send may go through. */
  readonly coolDownSeconds: number;
}

/** How a task retries. */
export interface SagaRetrySettings {
  /** Seconds before the first retry. */
  readonly intervalSeconds: number;
  /** Retries at most (after the first attempt). */
  readonly maxAttempts: number;
  /** Factor by which each wait grows. */
  readonly backoffRate: number;
  /** Longest wait between two attempts, in seconds. */
  readonly maxDelaySeconds: number;
}

/** Properties of a `DeliverySaga`. */
export interface DeliverySagaProps {
  /** Folder holding package.json, package-lock.json and `functions/`. */
  readonly projectRoot: string;
  /** Where products and manifests are read from. */
  readonly products: SecureBucket;
  /** Where products are published for subscribers. */
  readonly distribution: SecureBucket;
  /** The pipeline's tables; the saga uses `Deliveries` (records, faults, breakers). */
  readonly tables: PipelineTables;
  /** Where `product.delivered` and `delivery.compensated` go. */
  readonly eventBus: StageQueue;
  /** Who is notified of which product types; at least one, names unique and PascalCase. */
  readonly subscribers: readonly SubscriberSettings[];
  /**
   * Timeout of the saga function, in seconds (each task's timeout is 10 s more).
   * @default 30
   */
  readonly timeoutSeconds?: number;
  /**
   * Memory of the saga function, in MiB.
   * @default 256
   */
  readonly memoryMiB?: number;
  /**
   * Circuit breakers of the subscribers.
   * @default - open after 3 consecutive failures, for 60 seconds
   */
  readonly breaker?: SagaBreakerSettings;
  /**
   * Retries of a step on a retryable error (by name) or a timeout.
   * @default - 1 s, doubling, 3 retries, at most 10 s apart
   */
  readonly stepRetry?: SagaRetrySettings;
  /**
   * Retries of a compensation: first on retryable errors like a step, then on any error.
   * @default - 1 s, doubling, 3 retries, at most 10 s apart, for each kind
   */
  readonly compensationRetry?: SagaRetrySettings;
  /**
   * Seconds a product of an ordered stream waits for its predecessor before it is notified
   * anyway (its notify step retries every second meanwhile).
   * @default 10
   */
  readonly holdbackSeconds?: number;
  /**
   * How long the state machine's and the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** The forward steps, with the compensation that undoes each (confirm publishes last: nothing to undo). */
const SagaSteps: readonly { step: StepName; compensation?: CompensationName }[] = [
  { step: 'publish', compensation: 'unpublish' },
  { step: 'register', compensation: 'unregister' },
  { step: 'notify', compensation: 'unnotify' },
  { step: 'confirm' },
];

/** State names: the task names in PascalCase (`publish` -> `Publish`), `report` -> `ReportCompensation`. */
const stateNameOf = (task: TaskName): string =>
  task === 'report' ? 'ReportCompensation' : `${task.charAt(0).toUpperCase()}${task.slice(1)}`;

/** Error names (Step Functions' own and ours) every task retries on. */
const RetryableErrors = [...SagaErrorNames.retryable, ...SagaErrorNames.lambdaService, 'States.Timeout'];

/** Names of the terminal states, for tests and operators. */
export const SagaStates = {
  delivered: 'Delivered',
  compensated: 'DeliveryCompensated',
  compensationFailed: 'CompensationFailed',
  conflict: 'DeliveryConflict',
} as const;

/**
 * The delivery saga. Each forward step is a task of the saga function with its own result path
 * (`$.publish`, ...); its `Catch` records the failed step and goes to its own compensation (the
 * step may have acted in part, or timed out after acting), chained backwards through the
 * compensations of the steps before it, then to `ReportCompensation` (`delivery.compensated`)
 * and the `DeliveryCompensated` fail state. Compensations retry, then end at
 * `CompensationFailed`, which has an alarm of its own.
 *
 * @example
 * const saga = new DeliverySaga(this, 'DeliverySaga', { projectRoot, products, distribution, tables, eventBus, subscribers });
 * saga.grantStartExecution(deliver.fn);
 */
export class DeliverySaga extends Construct {
  /** The function running every task (dispatching on the task input's `step`). */
  public readonly fn: BundledFunction;
  /** The function's execution role. */
  public readonly role: Role;
  /** The state machine. */
  public readonly stateMachine: StateMachine;
  /** The state machine's log group (ALL events, with execution data). */
  public readonly logGroup: LogGroup;
  /** The subscribers' queues, by subscriber name. */
  public readonly subscriberQueues: Readonly<Record<string, StageQueue>>;
  /** Fires when a delivery fails (compensated or not). */
  public readonly failedAlarm: Alarm;
  /** Fires when a compensation exhausted its retries: a product may be partly delivered. */
  public readonly compensationFailedAlarm: Alarm;

  public constructor(scope: Construct, id: string, props: DeliverySagaProps) {
    super(scope, id);
    validateSubscribers(props.subscribers);
    const timeoutSeconds = props.timeoutSeconds ?? 30;
    const breaker = props.breaker ?? { failureThreshold: 3, coolDownSeconds: 60 };
    const stepRetry = props.stepRetry ?? { intervalSeconds: 1, maxAttempts: 3, backoffRate: 2, maxDelaySeconds: 10 };
    const compensationRetry = props.compensationRetry ?? stepRetry;
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;

    const holdbackSeconds = props.holdbackSeconds ?? 10;
    this.subscriberQueues = Object.fromEntries(
      props.subscribers.map((subscriber) => [
        subscriber.name,
        new StageQueue(this, `Subscriber${subscriber.name}`, {
          visibilityTimeout: Duration.seconds(60),
          maxReceiveCount: subscriber.maxReceiveCount ?? 5,
          fifo: subscriber.ordered === true,
        }),
      ]),
    );

    this.fn = new BundledFunction(this, 'Function', {
      entry: join(props.projectRoot, 'functions', 'deliver', 'saga.ts'),
      projectRoot: props.projectRoot,
      description: 'cometflow delivery saga: publish, register, notify, confirm and their compensations',
      serviceName: 'deliver-saga',
      memoryMiB: props.memoryMiB ?? 256,
      timeoutSeconds,
      logRetention: retention,
      environment: {
        [Env.subscribers]: Stack.of(this).toJsonString(
          props.subscribers.map((subscriber) => ({
            name: subscriber.name,
            queueUrl: this.subscriberQueues[subscriber.name]!.queueUrl,
            productTypes: subscriber.productTypes,
            ordered: subscriber.ordered === true,
          })),
        ),
        [Env.sequenceHoldbackSeconds]: String(holdbackSeconds),
        [Env.breakerFailureThreshold]: String(breaker.failureThreshold),
        [Env.breakerCoolDownSeconds]: String(breaker.coolDownSeconds),
      },
    });
    this.role = this.fn.executionRole;

    // Least privilege: read products, put and delete distributed copies, the deliveries table,
    // and sending to the event bus and the subscribers' queues. Nothing else. The grants that
    // name a resource also tell the function its name.
    props.products.grantReadObjects(this.fn);
    props.distribution.grantPutObjects(this.fn);
    props.distribution.grantDeleteObjects(this.fn);
    props.tables.grantReadWriteData('Deliveries', this.fn);
    props.eventBus.grantSend(this.fn);
    for (const queue of Object.values(this.subscriberQueues)) queue.grantSendMessages(this.fn);

    const taskTimeout = Timeout.duration(Duration.seconds(timeoutSeconds + 10));
    const retryOf = (settings: SagaRetrySettings, errors: string[]): RetryProps => ({
      errors,
      interval: Duration.seconds(settings.intervalSeconds),
      maxAttempts: settings.maxAttempts,
      backoffRate: settings.backoffRate,
      maxDelay: Duration.seconds(settings.maxDelaySeconds),
    });
    const task = (name: TaskName): LambdaInvoke =>
      new LambdaInvoke(this, stateNameOf(name), {
        lambdaFunction: this.fn,
        // The function's own result is the task's result (Resource = the function ARN): the
        // local runner runs that form, and no `Payload` unwrapping is needed.
        payloadResponseOnly: true,
        payload: TaskInput.fromObject({ step: name, saga: JsonPath.entirePayload }),
        resultPath: `$.${name}`,
        taskTimeout,
        // Lambda's service errors are retried by name below, with our backoff.
        retryOnServiceExceptions: false,
      });

    const compensationFailed = new Fail(this, SagaStates.compensationFailed, {
      error: 'CompensationFailed',
      cause:
        'A compensation exhausted its retries: the product may be partly delivered. The execution history names the compensation and its error.',
    });
    const compensation = (name: CompensationName | 'report'): LambdaInvoke => {
      const state = task(name);
      state.addRetry(retryOf(compensationRetry, RetryableErrors));
      // Compensations must finish: after the named retries, any error gets its retries too.
      state.addRetry(retryOf(compensationRetry, ['States.ALL']));
      state.addCatch(compensationFailed, { errors: ['States.ALL'], resultPath: '$.compensationFailure' });
      return state;
    };

    const compensated = compensation('report').next(
      new Fail(this, SagaStates.compensated, {
        error: 'DeliveryCompensated',
        causePath: JsonPath.stringAt('$.failure.Cause'),
      }),
    );
    const conflict = new Fail(this, SagaStates.conflict, {
      error: 'DeliveryConflict',
      cause:
        "Another execution registered this product; this one stopped without compensating, since the distributed objects are the other delivery's too.",
    });

    // Compensations chained backwards: a failure in step N enters at the compensation of the
    // last step <= N that has one, which continues with those of the steps before it.
    let undo: IChainable = compensated;
    const undoFrom = {} as Record<StepName, IChainable>;
    for (const { step, compensation: name } of SagaSteps) {
      if (name !== undefined) undo = compensation(name).next(undo);
      undoFrom[step] = undo;
    }

    const forward = SagaSteps.map(({ step }) => {
      const state = task(step);
      // A held-back product retries every second; the step stops holding it after the
      // holdback, so these attempts (a few more than its seconds) are never exhausted.
      if (step === 'notify') {
        state.addRetry({
          errors: [...SagaErrorNames.sequence],
          interval: Duration.seconds(1),
          maxAttempts: holdbackSeconds + 5,
          backoffRate: 1,
        });
      }
      state.addRetry(retryOf(stepRetry, RetryableErrors));
      const failed = new Pass(this, `${stateNameOf(step)}Failed`, {
        result: Result.fromString(step),
        resultPath: '$.failedStep',
      }).next(undoFrom[step]);
      const caught: CatchProps = { resultPath: '$.failure' };
      if (step === 'register') state.addCatch(conflict, { ...caught, errors: [...SagaErrorNames.conflict] });
      state.addCatch(failed, { ...caught, errors: [...SagaErrorNames.terminal] });
      // The last resort: whatever else failed (retries exhausted included) is compensated too.
      state.addCatch(failed, { ...caught, errors: ['States.ALL'] });
      return state;
    });

    const start = new Pass(this, 'Start', {
      comment: 'Keeps the delivery.requested command under $.command, next to the execution name and start time',
      parameters: {
        command: JsonPath.entirePayload,
        execution: { name: JsonPath.executionName, startedAt: JsonPath.executionStartTime },
      },
    });
    let definition = start.next(forward[0]!);
    for (const state of forward.slice(1)) definition = definition.next(state);
    definition = definition.next(new Succeed(this, SagaStates.delivered));

    this.logGroup = new LogGroup(this, 'LogGroup', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy small (AWS's advice
      // for log groups Step Functions writes to). The stack's id (its UUID) ends the name: the
      // group is retained, and a stack created again after a destroy or a rolled-back create has
      // a new id, so its group is a new one instead of failing on "already exists".
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-delivery-${Fn.select(2, Fn.split('/', Stack.of(this).stackId))}`,
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: `Delivers a product: ${StepNames.join(' -> ')}; a failed step is compensated in reverse`,
      definitionBody: DefinitionBody.fromChainable(definition),
      stateMachineType: StateMachineType.STANDARD,
      timeout: Duration.minutes(15),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });

    this.failedAlarm = new Alarm(this, 'FailedAlarm', {
      alarmDescription: 'A delivery failed: see delivery.compensated in the event store, or the execution history',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const compensationsFailed = new MetricFilter(this, 'CompensationFailedFilter', {
      logGroup: this.logGroup,
      metricNamespace: MetricsNamespace,
      metricName: 'DeliveryCompensationsFailed',
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.type', '=', 'ExecutionFailed'),
        FilterPattern.stringValue('$.details.error', '=', 'CompensationFailed'),
      ),
      metricValue: '1',
    });
    this.compensationFailedAlarm = new Alarm(this, 'CompensationFailedAlarm', {
      alarmDescription:
        'A delivery could not be compensated: a product may be partly delivered; the execution history names the compensation',
      metric: compensationsFailed.metric({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    acknowledgeFindings(this.stateMachine.role, [
      {
        rule: 'IAM5[Resource::*]',
        reason:
          'Step Functions logging (logs:CreateLogDelivery and the other log-delivery actions) and X-Ray tracing support no resource-level permissions.',
      },
      {
        rule: `IAM5[Resource::${arnReference(this.fn.node.defaultChild as CfnElement)}:*]`,
        reason:
          'LambdaInvoke grants lambda:InvokeFunction on the saga function and its versions and aliases (<arn>:*), and on nothing else.',
      },
    ]);
  }

  /**
   * Lets `starter` start executions of the state machine (and nothing else on it), and tells it
   * the state machine's ARN.
   */
  public grantStartExecution(starter: ConfigurableGrantee): Grant {
    starter.addEnvironment(Env.deliveryStateMachineArn, this.stateMachineArn);
    return this.stateMachine.grantStartExecution(starter);
  }

  /** The state machine's ARN. */
  public get stateMachineArn(): string {
    return this.stateMachine.stateMachineArn;
  }
}

function validateSubscribers(subscribers: readonly SubscriberSettings[]): void {
  if (subscribers.length === 0) throw new Error('DeliverySaga needs at least one subscriber; got none');
  const seen = new Set<string>();
  for (const { name, productTypes } of subscribers) {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(name))
      throw new Error(
        `Subscriber name ${JSON.stringify(name)} is invalid; expected a PascalCase name (it names a queue and a stack output)`,
      );
    if (seen.has(name)) throw new Error(`Subscriber ${name} is declared twice; expected unique names`);
    if (productTypes.length === 0)
      throw new Error(`Subscriber ${name} subscribes to no product type; expected at least one, or '*'`);
    seen.add(name);
  }
}
