/** Synthesizes the CDK app in-process into a cloud assembly folder; returns the stack's name. */
export async function synthesize(outdir: string): Promise<{ stackName: string; outdir: string }> {
  const { buildApp } = await import('../infra/cdk/app.ts');
  const { app, stack } = buildApp({ outdir });
  app.synth();
  return { stackName: stack.stackName, outdir };
}
