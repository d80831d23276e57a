/**
 * The CDK app: one env-agnostic stack, `Cometflow`. `cdk synth` runs this file (see cdk.json);
 * tests and the local runtime call `buildApp()` and get the same template.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { projectRoot } from './config.ts';
import { PipelineStack } from './stacks/pipeline-stack.ts';

/** Id (and CloudFormation name) of the pipeline stack. */
export const StackId = 'Cometflow';

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
 * Builds the app and its pipeline stack without synthesizing it.
 *
 * @example
 * const { app, stack } = buildApp({ outdir: mkdtempSync(join(tmpdir(), 'cdk-')) });
 * const template = Template.fromStack(stack);
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: PipelineStack } {
  const app = new App({
    outdir: options.outdir,
    context: {
      // S3 log delivery through a bucket policy instead of the LogDeliveryWrite ACL, so every
      // bucket keeps ACLs disabled (BucketOwnerEnforced), as AWS recommends.
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
      ...cdkJsonContext(),
      // What the CLI turns on by default: `aws:cdk:path` and `aws:asset:*` metadata in the template.
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
    },
  });
  const stack = new PipelineStack(app, StackId);
  if (options.nag === true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return { app, stack };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  buildApp({ nag: true }).app.synth();
}
