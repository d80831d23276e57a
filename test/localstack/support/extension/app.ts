/**
 * The team app of docs/extending.md: the reference pipeline plus the `byte-histogram` algorithm
 * and the rule that names it, in a stack of its own. `npm start -- --serve --app <this file>
 * --state-dir <folder>` runs it locally; `cdk deploy --app "node <this file>"` deploys it.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from 'aws-cdk-lib';
import { createApp, PipelineStack, type BuildAppOptions } from '../../../../infra/cdk/app.ts';
import { extendedRules } from './rules.ts';

/** Name of the team's stack. */
export const ExtendedStackId = 'CometflowExtended';

/** The team's app: one `PipelineStack` with its rules and algorithm module. */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: PipelineStack } {
  const app = createApp(options);
  const stack = new PipelineStack(app, ExtendedStackId, {
    rules: extendedRules,
    algorithms: [fileURLToPath(new URL('./byte-histogram.ts', import.meta.url))],
  });
  return { app, stack };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  buildApp({ nag: true }).app.synth();
}
