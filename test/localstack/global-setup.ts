/**
 * Finds the stack the integration suite runs against, in this order:
 * 1. `COMETFLOW_STACK_OUTPUTS`: an outputs file of `cdk deploy --outputs-file` (or
 *    `cdklocal deploy`), with endpoints from the SDK's standard environment settings;
 * 2. a running local stack described in `.cometflow/local-stack.json` (`npm start -- --serve`);
 * 3. otherwise it starts one (`npm start -- --serve`) in a child process and stops it by PID.
 * The tests receive the description through `inject('stack')` and talk AWS APIs only.
 */
import { spawn } from 'node:child_process';
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
  // Start the stack as a tester would (`npm start -- --serve`), in its own process, and wait
  // for it to describe itself; stop it by its PID afterwards.
  const child = spawn(process.execPath, [join(projectRoot, 'local', 'start.ts'), '--serve'], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 180_000;
  let description: StackDescription | undefined;
  while (description === undefined) {
    if (child.exitCode !== null) throw new Error(`The local stack exited with code ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`The local stack did not come up within 180 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
    const found = readDescription(descriptionPath(projectRoot));
    if (found?.pid === child.pid) description = found;
  }
  project.provide('stack', description);
  return async () => {
    child.kill('SIGTERM');
    await exited;
  };
}
