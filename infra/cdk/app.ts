/**
 * The reference app: one env-agnostic stack, `Cometflow`, holding one `CometflowPipeline` with
 * the reference rules, algorithms, subscribers, lanes and topology. `cdk synth` runs this file
 * (see cdk.json); tests and the local runtime call `buildApp()` and get the same template. A
 * team's own app does the same with its own `CometflowPipelineProps` (docs/extending.md).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ReferenceProviders, withPrincipals, type ProviderTable } from '#shared/conventions/providers.ts';
import { projectRoot } from './config.ts';
import { CometflowPipeline, type CometflowPipelineProps } from './constructs/cometflow-pipeline.ts';

/** Id (and CloudFormation name) of the pipeline stack. */
export const StackId = 'Cometflow';

/**
 * Construct id of the pipeline in its stack. CDK leaves `Default` out of logical ids, so the
 * template's ids are those of a pipeline built directly in the stack; construct paths have it.
 */
export const PipelineId = 'Default';

/** Properties of a `PipelineStack`: the stack's own and the pipeline's. */
export interface PipelineStackProps extends StackProps, CometflowPipelineProps {}

/** A stack holding one `CometflowPipeline`. */
export class PipelineStack extends Stack {
  /** The pipeline: its buckets, queues, tables, stages, lanes, worker, saga and alarms. */
  public readonly pipeline: CometflowPipeline;

  public constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, { description: 'cometflow: choreographed serverless pipeline for file-based data', ...props });
    this.pipeline = new CometflowPipeline(this, PipelineId, props);
  }
}

/**
 * CDK context naming who may upload for each provider, given at deploy time:
 * `cdk deploy -c 'cometflow:providerPrincipals={"eumetsat":["111122223333"]}'` (account ids or
 * IAM role/user ARNs). Without it, each upload role trusts the stack's own account only.
 */
export const ProviderPrincipalsContext = 'cometflow:providerPrincipals';

/** Options of `buildApp`. */
export interface BuildAppOptions {
  /**
   * Folder the cloud assembly is written to.
   * @default - the CLI's `cdk.out`, or a temporary folder outside the CLI
   */
  readonly outdir?: string;
  /**
   * Whether to run the cdk-nag AwsSolutions checks at synth; an unacknowledged finding fails it.
   * @default false
   */
  readonly nag?: boolean;
  /**
   * The providers, before the deploy-time principals of `cometflow:providerPrincipals` are added.
   * @default - `ReferenceProviders` (rules/providers.json)
   */
  readonly providers?: ProviderTable;
  /**
   * Context on top of cdk.json's (the CLI's `-c key=value`), for an app built outside the CLI.
   * @default - none
   */
  readonly context?: Record<string, unknown>;
}

/**
 * The context of cdk.json, so that an app built outside the CLI (tests, the local runtime)
 * synthesizes exactly what `cdk synth` does. The CLI's own context still wins over these defaults.
 */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * An app configured as `cdk synth` configures it (cdk.json's context, path and asset metadata),
 * with no stack yet: a team's app, or a test, adds its own `PipelineStack`.
 *
 * @example
 * const app = createApp({ outdir });
 * new PipelineStack(app, 'Team', { rules, algorithms });
 */
export function createApp(options: BuildAppOptions & { readonly bundling?: boolean } = {}): App {
  const app = new App({
    outdir: options.outdir,
    context: {
      // S3 log delivery through a bucket policy instead of the LogDeliveryWrite ACL, so every
      // bucket keeps ACLs disabled (BucketOwnerEnforced), as AWS recommends.
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
      ...cdkJsonContext(),
      ...options.context,
      // What the CLI turns on by default: `aws:cdk:path` and `aws:asset:*` metadata in the template.
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      // No stack bundles its functions: a test of the wiring only, in seconds.
      ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  if (options.nag === true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return app;
}

/**
 * Builds the app and its pipeline stack without synthesizing it.
 *
 * @example
 * const { app, stack } = buildApp({ outdir: mkdtempSync(join(tmpdir(), 'cdk-')) });
 * const template = Template.fromStack(stack);
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: PipelineStack } {
  const app = createApp(options);
  const providers = withPrincipals(
    options.providers ?? ReferenceProviders,
    app.node.tryGetContext(ProviderPrincipalsContext),
  );
  return { app, stack: new PipelineStack(app, StackId, { providers }) };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  buildApp({ nag: true }).app.synth();
}
