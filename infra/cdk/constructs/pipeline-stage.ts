/** One stage of the pipeline: a function consuming its own queue. */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Env, type EnvName, type Stage } from '#shared/config.ts';
import { VisibilityTimeoutFactor, type StageSettings } from '../config.ts';
import { BundledFunction } from './bundled-function.ts';
import { StageQueue } from './stage-queue.ts';

/** Properties of a `PipelineStage`. */
export interface PipelineStageProps {
  /** The stage; its code is `functions/<stage>/handler.ts`, export `handler`. */
  readonly stage: Stage;
  /** Sizing of the function and of the event source mapping. */
  readonly settings: StageSettings;
  /** Folder holding package.json, package-lock.json and `functions/`. */
  readonly projectRoot: string;
  /**
   * Environment variables of the function for settings that come with no grant (grants set
   * their own variables), besides the Powertools ones.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Construct id of the stage's queue, which names it in the template (`<StageId><QueueId>`).
   * @default 'Queue'
   */
  readonly queueId?: string;
  /**
   * The variable through which senders find the stage's queue (`StageQueue.urlVariable`).
   * @default - none: only its event source (S3) sends to it
   */
  readonly queueUrlVariable?: EnvName;
  /**
   * Entry file of the function.
   * @default - `functions/<stage>/handler.ts` under `projectRoot`
   */
  readonly entry?: string;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Global identifiers esbuild replaces with these JSON values in the bundle.
   * @default - none
   */
  readonly define?: Readonly<Record<string, string>>;
  /**
   * Modules bundled ahead of the entry for their side effects (plug-ins that register themselves).
   * @default - none
   */
  readonly inject?: readonly string[];
}

/**
 * A `BundledFunction` consuming its own `StageQueue` in batches with partial batch failures.
 * The queue's visibility timeout is six times the function timeout.
 *
 * @example
 * const ingest = new PipelineStage(this, 'Ingest', { stage: 'ingest', settings, projectRoot, queueUrlVariable: Env.ingestQueueUrl });
 * ingest.queue.grantSend(scheduler.fn);
 */
export class PipelineStage extends Construct {
  /** The function. */
  public readonly fn: BundledFunction;
  /** The queue the function consumes. */
  public readonly queue: StageQueue;
  /** The function's execution role: log writing and tracing only, plus what others grant it. */
  public readonly role: Role;
  /** The function's log group. */
  public readonly logGroup: LogGroup;

  /** Visibility timeout of a queue consumed by a function with this timeout. */
  public static visibilityTimeoutFor(settings: StageSettings): Duration {
    return Duration.seconds(settings.timeoutSeconds * VisibilityTimeoutFactor);
  }

  public constructor(scope: Construct, id: string, props: PipelineStageProps) {
    super(scope, id);
    const { stage, settings, projectRoot } = props;

    this.queue = new StageQueue(this, props.queueId ?? 'Queue', {
      visibilityTimeout: PipelineStage.visibilityTimeoutFor(settings),
      maxReceiveCount: settings.maxReceiveCount,
      ...(props.queueUrlVariable === undefined ? {} : { urlVariable: props.queueUrlVariable }),
    });

    this.fn = new BundledFunction(this, 'Function', {
      entry: props.entry ?? join(projectRoot, 'functions', stage, 'handler.ts'),
      projectRoot,
      description: `cometflow ${stage} stage`,
      serviceName: stage,
      memoryMiB: settings.memoryMiB,
      timeoutSeconds: settings.timeoutSeconds,
      // The stage handler writes a failure record on the last receive before the DLQ.
      environment: { [Env.maxReceiveCount]: String(settings.maxReceiveCount), ...props.environment },
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.define === undefined ? {} : { define: props.define }),
      ...(props.inject === undefined ? {} : { inject: props.inject }),
    });
    this.role = this.fn.executionRole;
    this.logGroup = this.fn.functionLogGroup;

    this.fn.addEventSource(
      new SqsEventSource(this.queue.queue, {
        batchSize: settings.batchSize,
        reportBatchItemFailures: true,
        // Bounds concurrency at the event source instead of reserved concurrency, which accounts
        // with low limits cannot grant.
        maxConcurrency: settings.maxConcurrency,
      }),
    );
  }
}
