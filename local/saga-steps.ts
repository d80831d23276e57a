/**
 * Reads a delivery saga execution's steps out of its Step Functions history (GetExecutionHistory,
 * the AWS API): each Task state with its outcome, attempts and duration. The demo prints them;
 * the integration suite checks retries with them. Works against AWS, LocalStack or the local
 * endpoint alike.
 */
import {
  paginateGetExecutionHistory,
  paginateListExecutions,
  type ExecutionListItem,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';

/** One Task state of an execution. */
export interface SagaStep {
  /** The state name (`Publish`, `Unpublish`, `ReportCompensation`, ...). */
  readonly name: string;
  readonly outcome: 'succeeded' | 'failed' | 'running';
  /** Invocations of the function: 1, plus one per retry. */
  readonly attempts: number;
  /** Error names of the failed attempts, in order. */
  readonly errors: string[];
  readonly startedAt: Date;
  readonly ms: number;
}

/** Every history event of an execution, oldest first. */
export async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 1000 }, { executionArn }))
    events.push(...(page.events ?? []));
  return events;
}

/** The Task states of a history, in the order they were entered. */
export function sagaStepsOf(history: readonly HistoryEvent[]): SagaStep[] {
  const steps: {
    name: string;
    outcome: SagaStep['outcome'];
    attempts: number;
    errors: string[];
    startedAt: Date;
    endedAt?: Date;
  }[] = [];
  let current: (typeof steps)[number] | undefined;
  for (const event of history) {
    const at = event.timestamp ?? new Date(0);
    switch (event.type) {
      case 'TaskStateEntered':
        current = {
          name: event.stateEnteredEventDetails?.name ?? '?',
          outcome: 'running',
          attempts: 0,
          errors: [],
          startedAt: at,
        };
        steps.push(current);
        break;
      case 'LambdaFunctionScheduled':
        if (current !== undefined) current.attempts += 1;
        break;
      case 'LambdaFunctionFailed':
      case 'LambdaFunctionTimedOut':
        if (current !== undefined) {
          current.errors.push(
            event.lambdaFunctionFailedEventDetails?.error ??
              event.lambdaFunctionTimedOutEventDetails?.error ??
              'States.Timeout',
          );
          current.outcome = 'failed';
          current.endedAt = at;
        }
        break;
      case 'LambdaFunctionSucceeded':
        if (current !== undefined) current.outcome = 'succeeded';
        break;
      case 'TaskStateExited':
        // A caught failure exits the state too: the outcome is the last invocation's.
        if (current !== undefined) current.endedAt = at;
        break;
      default:
        break;
    }
  }
  return steps.map((s) => ({
    name: s.name,
    outcome: s.outcome,
    attempts: s.attempts,
    errors: s.errors,
    startedAt: s.startedAt,
    ms: s.endedAt === undefined ? Number.NaN : s.endedAt.getTime() - s.startedAt.getTime(),
  }));
}

/** `arn:...:stateMachine:<m>` + name -> `arn:...:execution:<m>:<name>`, as Step Functions builds it. */
export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** One line per step: `Publish ok 12 ms`, `Notify ok 1 retry (DownstreamThrottledError) 1043 ms`. */
export function describeSteps(steps: readonly SagaStep[]): string[] {
  return steps.map((s) => {
    const retries = s.attempts - 1;
    const retried = retries > 0 ? ` ${retries} retr${retries === 1 ? 'y' : 'ies'} (${s.errors.join(', ')})` : '';
    const outcome =
      s.outcome === 'succeeded' ? 'ok' : s.outcome === 'failed' ? `FAILED ${s.errors.at(-1) ?? ''}` : 'running';
    return `${s.name.padEnd(19)} ${outcome}${retried} ${Number.isNaN(s.ms) ? '' : `${s.ms} ms`}`.trimEnd();
  });
}

/** Every execution of a state machine, newest first. */
export async function executionsOf(sfn: SFNClient, stateMachineArn: string): Promise<ExecutionListItem[]> {
  const executions: ExecutionListItem[] = [];
  for await (const page of paginateListExecutions({ client: sfn }, { stateMachineArn }))
    executions.push(...(page.executions ?? []));
  return executions;
}

/**
 * A report of every delivery: per execution its name, status and duration, then its steps.
 *
 * @example
 * for (const line of await describeDeliveries(sfn, stack.stateMachines.delivery)) print(line);
 */
export async function describeDeliveries(sfn: SFNClient, stateMachineArn: string): Promise<string[]> {
  const lines: string[] = [];
  for (const execution of (await executionsOf(sfn, stateMachineArn)).reverse()) {
    const ms =
      execution.stopDate === undefined || execution.startDate === undefined
        ? Number.NaN
        : execution.stopDate.getTime() - execution.startDate.getTime();
    lines.push(`${execution.name} ${execution.status}${Number.isNaN(ms) ? '' : ` in ${ms} ms`}`);
    const steps = sagaStepsOf(await historyOf(sfn, execution.executionArn!));
    for (const line of describeSteps(steps)) lines.push(`  ${line}`);
  }
  return lines;
}
