/**
 * The rule set the scheduler runs: `rules/reference-pipeline.json`, bundled with the function
 * and validated against the catalog and the stack's targets. The CDK app loads it the same way
 * at synth, so a bad rule file fails `cdk synth` (and `npm start`) with the rule's name.
 */
import { TargetNames } from '#shared/config.ts';
import { loadRuleSet } from '#shared/rules/schema.ts';
import type { RuleSet } from '#shared/rules/compile.ts';
import definition from '../../rules/reference-pipeline.json' with { type: 'json' };

/** The validated, compiled rule set. */
export const loadPipelineRules = (): RuleSet => loadRuleSet(definition, { targets: TargetNames });
