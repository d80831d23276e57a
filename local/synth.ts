import type { App, Stack } from 'aws-cdk-lib';

/**
 * Synthesizes a CDK app in-process into a cloud assembly folder; returns the stack's name. The
 * app is infra/cdk/app.ts, or `appModule`: any module exporting `buildApp({ outdir })` that
 * returns `{ app, stack }` (a team's own app, docs/extending.md).
 */
export async function synthesize(outdir: string, appModule?: string): Promise<{ stackName: string; outdir: string }> {
  const module = (await import(appModule ?? '../infra/cdk/app.ts')) as {
    buildApp?: (options: { outdir: string }) => { app: App; stack: Stack };
  };
  if (typeof module.buildApp !== 'function') {
    throw new Error(`${appModule} exports no buildApp; expected buildApp({ outdir }) returning { app, stack }`);
  }
  const { app, stack } = module.buildApp({ outdir });
  app.synth();
  return { stackName: stack.stackName, outdir };
}
