/**
 * A team's own pipeline: `CometflowPipeline` with its own rules and algorithms (the example of
 * docs/extending.md) bundles the rules into the scheduler and the algorithm into every process
 * lane, and validates the rules at synth, naming a bad one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuleSetError } from '#shared/rules/errors.ts';
import { createApp, PipelineId, PipelineStack } from '../app.ts';
import { projectRoot } from '../config.ts';
import { ByteHistogram } from '../../../test/localstack/support/extension/byte-histogram.ts';
import { extendedRules, histogramRule } from '../../../test/localstack/support/extension/rules.ts';
import { logicalIdAt, resource, tempOutdir, type TemplateJson } from './template-helpers.ts';

const algorithmModule = join(projectRoot, 'test/localstack/support/extension/byte-histogram.ts');

describe('CometflowPipeline with a team rules and algorithms', () => {
  let out: { outdir: string; cleanup: () => void };
  let json: TemplateJson;
  const bundleOf = (construct: string): string => {
    const fn = resource(
      json,
      logicalIdAt(json, `Team/${PipelineId}/${construct}/Function/Resource`),
      'AWS::Lambda::Function',
    );
    return readFileSync(join(out.outdir, String(fn.Metadata?.['aws:asset:path']), 'index.mjs'), 'utf8');
  };

  beforeAll(() => {
    out = tempOutdir();
    const app = createApp({ outdir: out.outdir });
    const stack = new PipelineStack(app, 'Team', { rules: extendedRules, algorithms: [algorithmModule] });
    json = Template.fromStack(stack).toJSON() as TemplateJson;
  });
  afterAll(() => out.cleanup());

  it('bundles the rules into the scheduler and the algorithm into every process lane, and no other function', () => {
    // Act
    const scheduler = bundleOf('Scheduler');
    const [processRealtime, processBulk, intake] = ['Process', 'ProcessBulk', 'Intake'].map(bundleOf);

    // Assess
    expect(scheduler).toContain(histogramRule.name);
    expect(processRealtime).toContain(`"${ByteHistogram}"`);
    expect(processBulk).toContain(`"${ByteHistogram}"`);
    expect(intake).not.toContain(`"${ByteHistogram}"`);
    expect(intake).not.toContain(histogramRule.name);
  });

  it('fails the synth naming a rule of the team that sends to no lane', () => {
    // Prepare
    const misrouted = {
      ...histogramRule,
      routes: [{ emit: { ...histogramRule.routes[0].emit, priority: 'express' } }],
    };
    const rules = { ...extendedRules, rules: [...extendedRules.rules.slice(0, -1), misrouted] };

    // Act
    const act = (): PipelineStack => new PipelineStack(createApp({ bundling: false }), 'Bad', { rules });

    // Assess
    expect(act).toThrow(RuleSetError);
    expect(act).toThrow(histogramRule.name);
  });
});
