/**
 * The rule set the scheduler runs: by default `rules/reference-pipeline.json`; a team's own
 * (`CometflowPipelineProps.rules`) is substituted into the scheduler's bundle by esbuild under
 * `RulesDefine`. The CDK app validates the same definition at synth, so a bad rule file fails
 * `cdk synth` (and `npm start`) with the rule's name.
 */
import { Lanes, type LaneTable } from '#shared/config.ts';
import { loadRuleSet } from '#shared/rules/index.ts';
import type { RuleSet } from '#shared/rules/index.ts';
import reference from '../../rules/reference-pipeline.json' with { type: 'json' };

/** The global identifier esbuild replaces with a team's rule set in the scheduler's bundle. */
export const RulesDefine = 'COMETFLOW_RULES';
declare const COMETFLOW_RULES: unknown;

/** The definition bundled with this code: a team's rule set when the bundle carries one, else the reference. */
const bundled: unknown = typeof COMETFLOW_RULES === 'undefined' ? reference : COMETFLOW_RULES;

/**
 * The validated, compiled rule set. With `samples` (the catalog's sample events, at synth),
 * every rule is also run on the samples of its types, so a template that builds an invalid
 * command fails at synth rather than in the deployed scheduler. `lanes` are the topology's
 * (at synth, the stack's; at cold start, `COMETFLOW_LANES`): a rule whose stage and priority
 * name no lane fails here, naming the rule.
 * @default lanes - `Lanes` of shared/config.ts
 * @default definition - the bundled rule set (the reference one outside a team's bundle)
 */
export const loadPipelineRules = (
  options: { samples?: readonly unknown[]; lanes?: LaneTable; definition?: unknown } = {},
): RuleSet => {
  const lanes = options.lanes ?? Lanes;
  return loadRuleSet(options.definition ?? bundled, {
    targets: Object.keys(lanes),
    lanes,
    ...(options.samples === undefined ? {} : { samples: options.samples }),
  });
};
