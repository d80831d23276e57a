/**
 * The read side of the event store (CQRS): its DynamoDB stream feeds the projector function,
 * which folds every stored event into the status table (one item per file, cycle and product).
 * No stage reads the status table; the CLI and the console do.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ProjectorService } from '#shared/metrics.ts';
import { BundledFunction } from './bundled-function.ts';
import { acknowledgeFindings } from './nag.ts';
import type { PipelineTables } from './pipeline-tables.ts';

/** Properties of a `StatusProjection`. */
export interface StatusProjectionProps {
  /** The tables: the event store (with its stream) is read, the status table written. */
  readonly tables: PipelineTables;
  /** Folder holding package.json, package-lock.json and `functions/`. */
  readonly projectRoot: string;
  /**
   * Stream records per invocation.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Retries of a failed batch before it goes to the on-failure queue.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The projector: a function on the event store's stream (new images, from the start of the
 * stream), retrying a failed batch halved, its exhausted batches described in an encrypted
 * on-failure queue (`cometflow rebuild-status` repairs what they missed).
 *
 * @example
 * const projection = new StatusProjection(this, 'StatusProjection', { tables, projectRoot });
 */
export class StatusProjection extends Construct {
  /** The projector function. */
  public readonly fn: BundledFunction;
  /** Where the stream mapping describes a batch it gave up on. */
  public readonly onFailureQueue: Queue;
  /** The status read model. */
  public readonly statusTable: Table;

  public constructor(scope: Construct, id: string, props: StatusProjectionProps) {
    super(scope, id);
    const { tables, projectRoot } = props;
    this.statusTable = tables.status;
    this.fn = new BundledFunction(this, 'Function', {
      entry: join(projectRoot, 'functions', 'projector', 'handler.ts'),
      projectRoot,
      description: 'cometflow status projector: event store stream -> status read model',
      serviceName: ProjectorService,
      memoryMiB: 256,
      timeoutSeconds: 60,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    });
    tables.grantReadWriteData('Status', this.fn);

    this.onFailureQueue = new Queue(this, 'OnFailure', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.fn.addEventSource(
      new DynamoEventSource(tables.eventStore, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize ?? 100,
        retryAttempts: props.retryAttempts ?? 10,
        bisectBatchOnError: true,
        onFailure: new SqsDlq(this.onFailureQueue),
      }),
    );

    acknowledgeFindings(this.onFailureQueue, [
      {
        rule: 'SQS3',
        reason:
          'This queue is the on-failure destination of the stream mapping: it holds batch descriptions, no dead-letter queue of its own.',
      },
    ]);
  }
}
