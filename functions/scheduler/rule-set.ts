/**
 * The rule set the scheduler runs: `rules/reference-pipeline.json`, bundled with the function
 * and validated against the catalog and the stack's targets. The CDK app loads it the same way
 * at synth, so a bad rule file fails `cdk synth` (and `npm start`) with the rule's name.
 */
import { Lanes, type LaneTable } from '#shared/config.ts';
import { loadRuleSet } from '#shared/rules/index.ts';
import type { RuleSet } from '#shared/rules/index.ts';
import definition from '../../rules/reference-pipeline.json' with { type: 'json' };

/**
 * The validated, compiled rule set. With `samples` (the catalog's sample events, at synth),
 * every rule is also run on the samples of its types, so a template that builds an invalid
 * command fails at synth rather than in the deployed scheduler. `lanes` are the topology's
 * (at synth, the stack's; at cold start, `COMETFLOW_LANES`): a rule whose stage and priority
 * name no lane fails here, naming the rule.
 * @default lanes - `Lanes` of shared/config.ts
 */
export const loadPipelineRules = (options: { samples?: readonly unknown[]; lanes?: LaneTable } = {}): RuleSet => {
  const lanes = options.lanes ?? Lanes;
  return loadRuleSet(definition, {
    targets: Object.keys(lanes),
    lanes,
    ...(options.samples === undefined ? {} : { samples: options.samples }),
  });
};
