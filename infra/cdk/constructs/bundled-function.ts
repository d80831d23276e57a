/**
 * The one way the pipeline builds a Lambda function: `BundledFunction`, used by every stage and
 * by the delivery saga's function, and `ConfigurableGrantee`, what the intent methods of the
 * buckets, queues and tables grant to and configure.
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeFindings } from './nag.ts';

/** Namespace of the metrics every stage publishes through Powertools (named once, beside the metric names). */
export { MetricsNamespace } from '#shared/metrics.ts';
import { MetricsNamespace } from '#shared/metrics.ts';

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

/**
 * Something that can be granted access and told where to find what it was granted: a function
 * or a container worker. The intent methods (`grantPublish`, `grantReadWriteData`,
 * `grantPutObjects`, ...) grant and set the environment variable naming the resource together,
 * so a grant and the setting it needs cannot drift apart.
 */
export interface ConfigurableGrantee extends IGrantable {
  /** Sets an environment variable of the function or container. */
  addEnvironment(name: string, value: string): unknown;
}

/** Properties of a `BundledFunction`. */
export interface BundledFunctionProps {
  /** The entry file; its export `handler` is the function's handler. */
  readonly entry: string;
  /** Folder holding package.json and package-lock.json. */
  readonly projectRoot: string;
  /** The function's description, also its role's (`Execution role of the <description>`). */
  readonly description: string;
  /** `POWERTOOLS_SERVICE_NAME`: the service in logs, metrics and traces. */
  readonly serviceName: string;
  /** Memory in MiB. */
  readonly memoryMiB: number;
  /** Timeout in seconds. */
  readonly timeoutSeconds: number;
  /**
   * Variables besides the Powertools ones, for settings that come with no grant.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Global identifiers esbuild replaces with these JSON values (the scheduler's rule set).
   * @default - none
   */
  readonly define?: Readonly<Record<string, string>>;
  /**
   * Modules esbuild bundles ahead of the entry, for their side effects (algorithm plug-ins).
   * @default - none
   */
  readonly inject?: readonly string[];
}

/**
 * A Node.js 22 arm64 function bundled as ESM by the local esbuild, traced, with its own role
 * (`<id>Role`: log writing and tracing only, plus what others grant it) and its own retained
 * log group (`<id>LogGroup`), both created beside it in `scope`.
 *
 * @example
 * const fn = new BundledFunction(this, 'Function', {
 *   entry, projectRoot, description: 'cometflow intake stage', serviceName: 'intake', memoryMiB: 256, timeoutSeconds: 30,
 * });
 * eventBus.grantPublish(fn);
 */
export class BundledFunction extends NodejsFunction {
  /** The execution role. */
  public readonly executionRole: Role;
  /** The log group the function writes to. */
  public readonly functionLogGroup: LogGroup;

  public constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An own role instead of the default one: the default attaches the AWSLambdaBasicExecutionRole
    // managed policy, which may write to any log group of the account.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.description}`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMiB,
      timeout: Duration.seconds(props.timeoutSeconds),
      role,
      logGroup,
      tracing: Tracing.ACTIVE,
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: MetricsNamespace,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      bundling: {
        ...StageBundling,
        ...(props.define === undefined ? {} : { define: { ...props.define } }),
        ...(props.inject === undefined ? {} : { inject: [...props.inject] }),
      },
    });
    this.executionRole = role;
    this.functionLogGroup = logGroup;

    acknowledgeFindings(role, [
      {
        rule: 'IAM5[Resource::*]',
        reason:
          'Tracing.ACTIVE grants xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
      },
    ]);
    acknowledgeFindings(this, [
      {
        rule: 'L1',
        reason:
          'The project pins Node.js 22 (nodejs22.x) for Lambda, local runs and CI alike; moving to a newer runtime is a deliberate, separate upgrade.',
      },
    ]);
  }
}
