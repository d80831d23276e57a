/**
 * Finds the stack the integration suite runs against, in this order:
 * 1. `COMETFLOW_STACK_OUTPUTS`: an outputs file of `cdk deploy --outputs-file` (or
 *    `cdklocal deploy`), with endpoints from the SDK's standard environment settings;
 * 2. a running local stack described in `.cometflow/local-stack.json` (`npm start -- --serve`);
 * 3. otherwise it synthesizes the app and starts a local stack itself, and stops it afterwards.
 * The tests receive the description through `inject('stack')` and talk AWS APIs only.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import {
  descriptionPath, readDescription, resourcesFromOutputs, type StackDescription,
} from '../../local/stack-description.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const alive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function fromOutputsFile(path: string): StackDescription {
  const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
  const [stackName, outputs] = Object.entries(file)[0] ?? [];
  if (stackName === undefined || outputs === undefined) throw new Error(`${path} holds no stack outputs; expected the file written by cdk deploy --outputs-file`);
  const env = process.env;
  const endpoint = (service: string): string | undefined => env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const endpoints = Object.fromEntries([['s3', endpoint('S3')], ['sqs', endpoint('SQS')], ['dynamodb', endpoint('DYNAMODB')]]
    .filter(([, value]) => value !== undefined)) as StackDescription['endpoints'];
  return {
    stackName, region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test' },
    endpoints, ...resourcesFromOutputs(outputs),
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackDescription;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const outputsFile = process.env.COMETFLOW_STACK_OUTPUTS;
  if (outputsFile !== undefined && outputsFile !== '') {
    project.provide('stack', fromOutputsFile(outputsFile));
    return undefined;
  }
  const running = readDescription(descriptionPath(projectRoot));
  if (running !== undefined && alive(running.pid)) {
    project.provide('stack', running);
    return undefined;
  }
  const { synthesize } = await import('../../local/synth.ts');
  const { startLocalStack } = await import('../../local/stack.ts');
  const outdir = join(projectRoot, 'cdk.out', 'test');
  const { stackName } = await synthesize(outdir);
  const stack = await startLocalStack({ cdkOut: outdir, stackName, projectRoot, describe: false });
  project.provide('stack', stack.description);
  return () => stack.stop();
}
