/** The queue a stage consumes, with its dead-letter queue. */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  TreatMissingData,
  type Metric,
  type MetricOptions,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvName } from '#shared/config.ts';
import type { ConfigurableGrantee } from './bundled-function.ts';

/** Properties of a `StageQueue`. */
export interface StageQueueProps {
  /**
   * How long a received message stays hidden from other consumers. A `PipelineStage` sets six
   * times its function timeout.
   */
  readonly visibilityTimeout: Duration;
  /**
   * Receives after which a message moves to the dead-letter queue.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /**
   * How long the dead-letter queue keeps a message (the SQS maximum, to leave time to redrive).
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
  /**
   * Whether to create an alarm that fires as soon as the dead-letter queue holds a message.
   * @default true
   */
  readonly deadLetterAlarm?: boolean;
  /**
   * The environment variable through which a sender finds the queue: `grantSend` sets it.
   * @default - none: `grantSend` refuses, `grantSendMessages` only grants
   */
  readonly urlVariable?: EnvName;
  /**
   * An SQS FIFO queue (and FIFO dead-letter queue): messages of a group are received in the
   * order they were sent, and a deduplication id is dropped when sent again within 5 minutes.
   * @default false
   */
  readonly fifo?: boolean;
}

/**
 * An encrypted SQS queue (`<Id>`) whose messages move to a dead-letter queue (`<Id>Dlq`) after
 * `maxReceiveCount` receives. Both queues refuse non-TLS requests.
 *
 * @example
 * const queue = new StageQueue(this, 'Queue', { visibilityTimeout: Duration.minutes(3) });
 * queue.grantSendMessages(producer);
 * eventBus.grantSend(stage.fn); // grants and sets COMETFLOW_EVENT_BUS_QUEUE_URL
 */
export class StageQueue extends Construct {
  /** The queue consumers read. */
  public readonly queue: Queue;
  /** Where messages go after `maxReceiveCount` failed receives. */
  public readonly deadLetterQueue: Queue;
  /** Receives before a message moves to the dead-letter queue. */
  public readonly maxReceiveCount: number;
  /** The alarm on the dead-letter queue's depth, when created. */
  public readonly deadLetterAlarm?: Alarm;
  /** The variable naming the queue's URL on its senders, when it has one. */
  public readonly urlVariable?: EnvName;

  public constructor(scope: Construct, id: string, props: StageQueueProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? 3;
    if (props.urlVariable !== undefined) this.urlVariable = props.urlVariable;
    // A FIFO queue's dead-letter queue must be FIFO too (SQS refuses a mixed redrive policy).
    const fifo = props.fifo === true ? { fifo: true } : {};
    this.deadLetterQueue = new Queue(this, 'Dlq', {
      ...fifo,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.deadLetterRetention ?? Duration.days(14),
    });
    this.queue = new Queue(this, 'Resource', {
      ...fifo,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });
    if (props.deadLetterAlarm ?? true) {
      this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
        alarmDescription: `Messages of ${this.node.path} failed ${this.maxReceiveCount} times and wait in its dead-letter queue`,
        metric: this.metricDeadLetterDepth(),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
  }

  /** URL of the queue consumers read. */
  public get queueUrl(): string {
    return this.queue.queueUrl;
  }

  /** ARN of the queue consumers read. */
  public get queueArn(): string {
    return this.queue.queueArn;
  }

  /** Lets `grantee` send messages to the queue. */
  public grantSendMessages(grantee: IGrantable): Grant {
    return this.queue.grantSendMessages(grantee);
  }

  /** Lets `sender` send messages to the queue and tells it the queue's URL (`urlVariable`). */
  public grantSend(sender: ConfigurableGrantee): Grant {
    if (this.urlVariable === undefined) {
      throw new Error(
        `Queue ${this.node.path} has no urlVariable; expected one to tell its senders its URL (or use grantSendMessages)`,
      );
    }
    sender.addEnvironment(this.urlVariable, this.queueUrl);
    return this.grantSendMessages(sender);
  }

  /** Number of messages waiting in the dead-letter queue (maximum over one minute). */
  public metricDeadLetterDepth(props?: MetricOptions): Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
      ...props,
    });
  }
}
