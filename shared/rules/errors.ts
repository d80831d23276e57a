/** Errors of the rule engine. */
import { InvalidInputError, PipelineError } from '../errors.ts';

/**
 * A rule file that cannot be loaded. Raised at synth and start time, never at run time: the
 * message names each rule at fault (by name, or by position when it has none) and the problem.
 */
export class RuleSetError extends PipelineError {
  /** One line per problem, each starting with the rule it is about. */
  public readonly problems: readonly string[];

  public constructor(problems: readonly string[]) {
    super(
      problems.length === 1
        ? problems[0]!
        : `${problems.length} problems in the rule set:\n${problems.map((problem) => `- ${problem}`).join('\n')}`,
    );
    this.name = 'RuleSetError';
    this.problems = problems;
  }
}

/**
 * An event that a loaded rule cannot handle: a value the rule needs is missing or malformed
 * (for example a chunk number outside the join's expected range). Terminal, like any invalid
 * input: the message goes to the dead-letter queue with this reason.
 */
export class RuleEvaluationError extends InvalidInputError {
  public constructor(rule: string, problem: string, options: { cause?: unknown } = {}) {
    super(`Rule "${rule}": ${problem}`, options);
    this.name = 'RuleEvaluationError';
  }
}
