/**
 * Finds the stack the integration suite runs against, in this order:
 * 1. `COMETFLOW_STACK_OUTPUTS`: an outputs file of `cdk deploy --outputs-file` (or
 *    `cdklocal deploy`), with endpoints from the SDK's standard environment settings;
 * 2. a running local stack described in `.cometflow/local-stack.json` (`npm start -- --serve`);
 * 3. otherwise it starts one (`npm start -- --serve`) in a child process and stops it by PID.
 * The tests receive the description through `inject('stack')` and talk AWS APIs only.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import {
  descriptionFromOutputs,
  descriptionPath,
  isServing,
  readDescription,
  type StackDescription,
} from '../../local/stack-description.ts';
import { serveLocalStack } from './support/serve.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackDescription;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const outputsFile = process.env.COMETFLOW_STACK_OUTPUTS;
  if (outputsFile !== undefined && outputsFile !== '') {
    project.provide(
      'stack',
      descriptionFromOutputs(JSON.parse(readFileSync(outputsFile, 'utf8')), process.env, outputsFile),
    );
    return undefined;
  }
  const running = readDescription(descriptionPath(projectRoot));
  if (running?.pid !== undefined && isServing(running)) {
    project.provide('stack', running);
    return undefined;
  }
  // Start the stack as a tester would (`npm start -- --serve`) and stop it by its PID afterwards.
  const served = await serveLocalStack(projectRoot, descriptionPath(projectRoot));
  project.provide('stack', served.description);
  return served.stop;
}
