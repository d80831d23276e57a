/**
 * The rule engine: business rules as data (`rules/*.json`), validated and compiled by
 * `loadRuleSet`, evaluated by pure functions. No AWS import, no environment: the scheduler
 * stores and sends, this decides.
 *
 * @example
 * const ruleSet = loadRuleSet(json, { targets });
 * const effects = evaluate(ruleSet, event); // fire | collect | reference
 */
export { RuleSetSchema, MaxDelaySeconds, MaxJoinSlots } from './schema.ts';
export type { Priority, RuleDefinition, RuleSetDefinition } from './schema.ts';
export { loadRuleSet, formatAt } from './loader.ts';
export type { LoadOptions } from './loader.ts';
export type { RuleSet } from './compile.ts';
export {
  chooseReference,
  commandId,
  completeJoin,
  deadlineReached,
  evaluate,
  lateInput,
  matchRules,
  referenceRange,
} from './engine.ts';
export type {
  Cause,
  CollectEffect,
  CollectedInput,
  CycleAbandonedEvent,
  DeadlineReachedEvent,
  Effect,
  FireEffect,
  InputLateEvent,
  JoinDecision,
  JoinInput,
  JoinMode,
  JoinState,
  ReferenceCandidate,
  ReferenceEffect,
  RuleMatch,
} from './engine.ts';
export { RuleEvaluationError, RuleSetError } from './errors.ts';
export type { Comparison, Condition, Operator } from './conditions.ts';
