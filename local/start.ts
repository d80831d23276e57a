/**
 * `npm start`: synthesizes the CDK app, brings up the local stack from the template and runs
 * the demo, then stops everything it started and exits 0 when the demo met its expectations.
 * `npm start -- --serve`: brings the stack up and keeps it until Ctrl-C or SIGTERM; testers use
 * `.cometflow/local-stack.json` to reach it.
 * `--app <file>`: a team's CDK app instead of infra/cdk/app.ts (a module exporting `buildApp`).
 * `--state-dir <folder>`: logs, run files, cloud assembly and description there instead of
 * `.cometflow` and `cdk.out`, so that a second stack runs beside the first in one checkout.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runDemo } from './demo.ts';
import { startLocalStack } from './stack.ts';
import { descriptionFileIn, descriptionPath } from './stack-description.ts';
import { synthesize } from './synth.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({
  options: { serve: { type: 'boolean' }, app: { type: 'string' }, 'state-dir': { type: 'string' } },
});
const serve = flags.serve === true;
const stateDir = flags['state-dir'] === undefined ? undefined : resolve(flags['state-dir']);
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const t0 = performance.now();
print('synthesizing the CDK app (bundling every function with esbuild)');
const { stackName, outdir } = await synthesize(
  stateDir === undefined ? join(projectRoot, 'cdk.out') : join(stateDir, 'cdk.out'),
  flags.app === undefined ? undefined : resolve(flags.app),
);
const synthSeconds = (performance.now() - t0) / 1000;
print(`starting the local stack from ${outdir}/${stackName}.template.json`);
const stack = await startLocalStack({
  cdkOut: outdir,
  stackName,
  projectRoot,
  ...(stateDir === undefined ? {} : { stateDir }),
  onInvocation: (r) => {
    if (r.error !== undefined) print(`  ! ${r.functionName}: invocation failed: ${r.error}`);
  },
});
print(
  `local stack up in ${stack.timings.total} s (emulators ${stack.timings.emulators} s, resources ${stack.timings.provision} s; synth took ${synthSeconds.toFixed(1)} s)`,
);
print(`  S3 + SQS  ${stack.description.endpoints.s3}`);
print(`  DynamoDB  ${stack.description.endpoints.dynamodb}`);
print(
  `  described in ${stateDir === undefined ? descriptionPath(projectRoot) : descriptionFileIn(stateDir)}; function logs in ${stack.logDir}`,
);

let stopping = false;
const stop = async (code: number): Promise<never> => {
  if (!stopping) {
    stopping = true;
    await stack.stop();
  }
  process.exit(code);
};
process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

if (serve) {
  print('serving; each provider uploads under its own prefix (on AWS, with its role: see the README):');
  for (const provider of Object.values(stack.description.providers ?? {})) {
    print(
      `  ${provider.name}: aws --endpoint-url ${stack.description.endpoints.s3} s3 cp FILE s3://${provider.bucket}/${provider.prefix}NAME  (role ${provider.roleArn})`,
    );
  }
  print('Ctrl-C or SIGTERM stops the stack');
} else {
  try {
    const result = await runDemo(stack.description, print);
    await stop(result.ok ? 0 : 1);
  } catch (error) {
    print(`demo failed: ${(error as Error).stack ?? String(error)}`);
    await stop(1);
  }
}
