/** One stage of the pipeline: a function consuming its own queue. */
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Stage } from '#shared/config.ts';
import { VisibilityTimeoutFactor, type StageSettings } from '../config.ts';
import { acknowledgeFindings } from './nag.ts';
import { StageQueue } from './stage-queue.ts';

/** Namespace of the metrics every stage publishes through Powertools. */
export const MetricsNamespace = 'cometflow';

/**
 * Makes `require` available inside the ESM bundle: some dependencies bundled from CommonJS call
 * `require('node:...')` at run time. The alias avoids clashing with a bundled `createRequire`.
 */
export const RequireBanner =
  "import { createRequire as __cometflowCreateRequire } from 'node:module'; const require = __cometflowCreateRequire(import.meta.url);";

/**
 * How every function is bundled: one minified ESM file by the local esbuild (never Docker),
 * `require` defined for the CommonJS dependencies. The SDK is bundled at the pinned version
 * rather than taken from the runtime, so what runs in Lambda is what runs locally.
 */
export const StageBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: false,
  target: 'node22',
  mainFields: ['module', 'main'],
  bundleAwsSDK: true,
  externalModules: [],
  banner: RequireBanner,
  forceDockerBundling: false,
};

/** Properties of a `PipelineStage`. */
export interface PipelineStageProps {
  /** The stage; its code is `functions/<stage>/handler.ts`, export `handler`. */
  readonly stage: Stage;
  /** Sizing of the function and of the event source mapping. */
  readonly settings: StageSettings;
  /** Folder holding package.json, package-lock.json and `functions/`. */
  readonly projectRoot: string;
  /**
   * Environment variables of the function, besides the Powertools ones the stage sets itself.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Construct id of the stage's queue, which names it in the template (`<StageId><QueueId>`).
   * @default 'Queue'
   */
  readonly queueId?: string;
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
}

/**
 * A Node.js 22 arm64 function bundled as ESM by the local esbuild, consuming its own `StageQueue`
 * in batches with partial batch failures. The queue's visibility timeout is six times the
 * function timeout.
 *
 * @example
 * const ingest = new PipelineStage(this, 'Ingest', { stage: 'ingest', settings, projectRoot });
 * ingest.queue.grantSendMessages(scheduler.fn);
 */
export class PipelineStage extends Construct {
  /** The function. */
  public readonly fn: NodejsFunction;
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
    });

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An own role instead of the default one: the default attaches the AWSLambdaBasicExecutionRole
    // managed policy, which may write to any log group of the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the cometflow ${stage} stage`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry ?? join(projectRoot, 'functions', stage, 'handler.ts'),
      handler: 'handler',
      description: `cometflow ${stage} stage`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: settings.memoryMiB,
      timeout: Duration.seconds(settings.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: stage,
        POWERTOOLS_METRICS_NAMESPACE: MetricsNamespace,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      bundling: StageBundling,
    });

    this.fn.addEventSource(
      new SqsEventSource(this.queue.queue, {
        batchSize: settings.batchSize,
        reportBatchItemFailures: true,
        // Bounds concurrency at the event source instead of reserved concurrency, which accounts
        // with low limits cannot grant.
        maxConcurrency: settings.maxConcurrency,
      }),
    );

    acknowledgeFindings(this.role, [
      {
        rule: 'IAM5[Resource::*]',
        reason: 'Tracing.ACTIVE grants xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
      },
    ]);
    acknowledgeFindings(this.fn, [
      {
        rule: 'L1',
        reason: 'The project pins Node.js 22 (nodejs22.x) for Lambda, local runs and CI alike; moving to a newer runtime is a deliberate, separate upgrade.',
      },
    ]);
  }
}
