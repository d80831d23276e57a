/**
 * What operators watch and what wakes them: a CloudWatch dashboard of every stage and lane
 * (throughput, errors, duration, oldest message age, DLQ depth), product timeliness per product
 * type, saga outcomes and container tasks; and alarms whose actions notify one SNS topic (stack
 * output `AlarmTopic`). The custom metrics are read by the names the emitting code uses
 * (`shared/metrics.ts`).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CalendarService, MetricDimensions, MetricNames, MetricsNamespace, ProjectorService } from '#shared/metrics.ts';
import type { DeliverySaga } from './delivery-saga.ts';
import type { StageQueue } from './stage-queue.ts';

/** One lane of a stage: the queue it consumes and the function consuming it (none for a container lane). */
export interface MonitoredLane {
  /** Stage and lane, for titles and alarm names: `ingest`, `process (bulk)`. */
  readonly name: string;
  readonly queue: StageQueue;
  /** @default - a container lane: no function metrics */
  readonly fn?: IFunction;
  /**
   * Age of the oldest message above which the lane's alarm fires, in seconds.
   * @default - the construct's `oldestMessageAgeSeconds`
   */
  readonly oldestMessageAgeSeconds?: number;
}

/** Properties of `OperationsMonitoring`. */
export interface OperationsMonitoringProps {
  readonly lanes: readonly MonitoredLane[];
  readonly deliverySaga: DeliverySaga;
  /** Name of the ECS cluster of the container workers (Container Insights metrics). */
  readonly containerClusterName: string;
  /** Timeliness budget per product type: the p99 of `ProductTimelinessSeconds` above which an alarm fires, in seconds. */
  readonly timelinessBudgetSeconds: Readonly<Record<string, number>>;
  /**
   * Default bound of a lane's oldest message age, in seconds.
   * @default 300
   */
  readonly oldestMessageAgeSeconds?: number;
  /** Providers the delivery calendar watches: an alarm each on `InputMissing` and `ProviderSilent`. */
  readonly providers: readonly string[];
  /** Alarms made elsewhere whose actions should notify the topic too (each queue's DLQ alarm is added from `lanes`). */
  readonly alarms?: readonly Alarm[];
}

const period = Duration.minutes(5);

/**
 * The dashboard, the alarms and the topic they notify.
 *
 * @example
 * const monitoring = new OperationsMonitoring(this, 'Operations', { lanes, deliverySaga, containerClusterName, timelinessBudgetSeconds });
 * new CfnOutput(this, 'AlarmTopic', { value: monitoring.topic.topicArn });
 */
export class OperationsMonitoring extends Construct {
  /** Every alarm's action notifies this topic; subscribe operators to it. */
  public readonly topic: Topic;
  public readonly dashboard: Dashboard;
  /** The alarms this construct created, by name. */
  public readonly alarms: Readonly<Record<string, Alarm>>;

  public constructor(scope: Construct, id: string, props: OperationsMonitoringProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'cometflow alarms',
      // SSE with the AWS-managed key, and TLS only: alarm texts name files and products.
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    const action = new SnsAction(this.topic);
    const alarms: Record<string, Alarm> = {};
    const bound = props.oldestMessageAgeSeconds ?? 300;
    const safe = (name: string): string =>
      name
        .replace(/[^A-Za-z0-9]+/g, ' ')
        .trim()
        .split(' ')
        .map((w) => w[0]!.toUpperCase() + w.slice(1))
        .join('');

    for (const lane of props.lanes) {
      const seconds = lane.oldestMessageAgeSeconds ?? bound;
      alarms[`${lane.name} oldest message`] = new Alarm(this, `${safe(lane.name)}OldestMessageAlarm`, {
        alarmDescription: `The oldest message of ${lane.name} has waited over ${seconds} s: the lane is stuck or under capacity`,
        metric: lane.queue.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: seconds,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    for (const [productType, budget] of Object.entries(props.timelinessBudgetSeconds)) {
      alarms[`${productType} timeliness`] = new Alarm(this, `${safe(productType)}TimelinessAlarm`, {
        alarmDescription: `The p99 timeliness of ${productType} (nominal end to delivery) is over its budget of ${budget} s`,
        // Unlabelled: a label turns the alarm into a metric-math alarm (`Metrics`), harder to read.
        metric: timeliness(productType, 'p99', false),
        threshold: budget,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    for (const provider of props.providers) {
      for (const [name, what] of [
        [MetricNames.inputMissing, 'an expected input did not come'],
        [MetricNames.providerSilent, 'sent nothing for too long'],
      ] as const) {
        alarms[`${provider} ${name}`] = new Alarm(this, `${safe(provider)}${name}Alarm`, {
          alarmDescription:
            `${provider}: ${what} (the delivery calendar's ${name === MetricNames.inputMissing ? 'input.missing' : 'provider.silent'}; ` +
            '`cometflow status` lists them, `cometflow trace <cycle>` explains one)',
          metric: calendarMetric(name, provider),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
      }
    }
    this.alarms = alarms;
    const dlqAlarms = props.lanes.map((lane) => lane.queue.deadLetterAlarm).filter((a): a is Alarm => a !== undefined);
    for (const alarm of [...Object.values(alarms), ...dlqAlarms, ...(props.alarms ?? [])]) alarm.addAlarmAction(action);

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# cometflow\nPer stage and lane: throughput, errors, duration, oldest message age, dead letters. ' +
          'Then timeliness per product type, delivery saga outcomes, container tasks. `cometflow status` shows the same, live.',
        width: 24,
        height: 2,
      }),
    );
    for (const lane of props.lanes) {
      const fnMetrics: IMetric[][] =
        lane.fn === undefined
          ? [[], [], []]
          : [
              [lane.fn.metricInvocations({ period, label: 'invocations' })],
              [
                lane.fn.metricErrors({ period, label: 'errors' }),
                lane.fn.metricThrottles({ period, label: 'throttles' }),
              ],
              [
                lane.fn.metricDuration({ period, statistic: 'p50', label: 'p50' }),
                lane.fn.metricDuration({ period, statistic: 'p99', label: 'p99' }),
              ],
            ];
      this.dashboard.addWidgets(
        new GraphWidget({
          title: `${lane.name}: throughput`,
          width: 6,
          height: 5,
          left: [...fnMetrics[0]!, lane.queue.queue.metricNumberOfMessagesDeleted({ period, label: 'messages done' })],
        }),
        new GraphWidget({ title: `${lane.name}: errors`, width: 4, height: 5, left: fnMetrics[1]! }),
        new GraphWidget({ title: `${lane.name}: duration (ms)`, width: 4, height: 5, left: fnMetrics[2]! }),
        new GraphWidget({
          title: `${lane.name}: oldest message (s)`,
          width: 5,
          height: 5,
          left: [
            lane.queue.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum', label: 'oldest' }),
          ],
        }),
        new SingleValueWidget({
          title: `${lane.name}: dead letters`,
          width: 5,
          height: 5,
          metrics: [lane.queue.metricDeadLetterDepth({ period })],
        }),
      );
    }
    const productTypes = Object.keys(props.timelinessBudgetSeconds);
    const machine = props.deliverySaga.stateMachine;
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'timeliness (s): nominal end to delivery',
        width: 8,
        height: 6,
        left: productTypes.flatMap((type) => [timeliness(type, 'p50'), timeliness(type, 'p99')]),
      }),
      new GraphWidget({
        title: 'arrival lateness (s): sensing end to arrival',
        width: 8,
        height: 6,
        left: ['eumetsat', 'ecmwf'].map(
          (provider) =>
            new Metric({
              namespace: MetricsNamespace,
              metricName: MetricNames.arrivalLateness,
              period,
              statistic: 'p99',
              label: `${provider} p99`,
              dimensionsMap: { [MetricDimensions.service]: ProjectorService, [MetricDimensions.provider]: provider },
            }),
        ),
      }),
      new GraphWidget({
        title: 'delivery sagas',
        width: 8,
        height: 6,
        left: [
          machine.metricSucceeded({ period, label: 'succeeded' }),
          machine.metricFailed({ period, label: 'failed (compensated or not)' }),
          ...productTypes.map(
            (type) =>
              new Metric({
                namespace: MetricsNamespace,
                metricName: MetricNames.deliveriesCompensated,
                period,
                statistic: 'Sum',
                label: `${type} compensated`,
                dimensionsMap: { [MetricDimensions.service]: ProjectorService, [MetricDimensions.productType]: type },
              }),
          ),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'missing inputs and silent providers (delivery calendar)',
        width: 24,
        height: 5,
        left: props.providers.flatMap((provider) =>
          [MetricNames.inputMissing, MetricNames.providerSilent].map((name) =>
            calendarMetric(name, provider).with({ label: `${provider} ${name}` }),
          ),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'container tasks',
        width: 12,
        height: 5,
        left: [
          new Metric({
            namespace: 'ECS/ContainerInsights',
            metricName: 'RunningTaskCount',
            period: Duration.minutes(1),
            statistic: 'Maximum',
            label: 'running',
            dimensionsMap: { ClusterName: props.containerClusterName },
          }),
        ],
      }),
      new GraphWidget({
        title: 'events projected into the read model',
        width: 12,
        height: 5,
        left: [
          new MathExpression({
            expression: 'projected',
            label: 'events',
            period,
            usingMetrics: {
              projected: new Metric({
                namespace: MetricsNamespace,
                metricName: MetricNames.eventsProjected,
                statistic: 'Sum',
                dimensionsMap: { service: ProjectorService },
              }),
            },
          }),
        ],
      }),
    );
  }
}

/** A count the delivery calendar's check emits per provider, summed per minute. */
function calendarMetric(name: string, provider: string): Metric {
  return new Metric({
    namespace: MetricsNamespace,
    metricName: name,
    period: Duration.minutes(1),
    statistic: 'Sum',
    dimensionsMap: { [MetricDimensions.service]: CalendarService, [MetricDimensions.provider]: provider },
  });
}

/** The timeliness of a product type at a percentile, as the projector emits it. */
function timeliness(productType: string, statistic: 'p50' | 'p99', labelled = true): Metric {
  return new Metric({
    namespace: MetricsNamespace,
    metricName: MetricNames.productTimeliness,
    period,
    statistic,
    ...(labelled ? { label: `${productType} ${statistic}` } : {}),
    dimensionsMap: { [MetricDimensions.service]: ProjectorService, [MetricDimensions.productType]: productType },
  });
}
