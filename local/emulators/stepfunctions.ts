/**
 * A minimal Step Functions API on 127.0.0.1: the AWS JSON 1.0 protocol (`POST /` with
 * `X-Amz-Target: AWSStepFunctions.<Operation>`) for the operations the pipeline and its tests
 * call: StartExecution, DescribeExecution, ListExecutions, GetExecutionHistory, StopExecution,
 * DescribeStateMachine and ListStateMachines. Executions run in-process through a runner per
 * state machine (aws-local-stepfunctions, see local/runtime/state-machines.ts); their history
 * is kept in the shape of Step Functions' history events.
 *
 * As on AWS, a second StartExecution with a name already used answers `ExecutionAlreadyExists`
 * (HTTP 400), except for a running execution started with the same input, whose ARN it returns.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An event of aws-local-stepfunctions' execution log, as far as the history needs it. */
export interface RunnerEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input?: unknown;
    readonly output?: unknown;
  };
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly input?: unknown;
  readonly output?: unknown;
}

/** Runs executions of one state machine. */
export interface ExecutionRunner {
  run(
    input: unknown,
    context: Record<string, unknown>,
  ): { result: Promise<unknown>; eventLogs: AsyncIterable<RunnerEvent>; abort: () => void };
}

/** A state machine the endpoint serves. */
export interface StateMachineRegistration {
  readonly arn: string;
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly roleArn: string;
  /** The definition as a JSON string (resolved). */
  readonly definition: string;
  readonly runner: ExecutionRunner;
}

/** A registered state machine, with the Resource of each of its Task states. */
type ServedMachine = StateMachineRegistration & {
  readonly creationDate: number;
  readonly resources: ReadonlyMap<string, string>;
};

/** The Resource of every Task state, nested ones included. */
function taskResourcesOf(definition: unknown, into = new Map<string, string>()): Map<string, string> {
  const states = (definition as { States?: Record<string, Record<string, unknown>> } | null)?.States ?? {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') into.set(name, String(state.Resource));
    for (const nested of [state.Iterator, state.ItemProcessor, ...((state.Branches as unknown[] | undefined) ?? [])])
      taskResourcesOf(nested, into);
  }
  return into;
}

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** A history event in the shape of the Step Functions API. */
type HistoryEvent = { timestamp: number; type: string; id: number; previousEventId: number } & Record<string, unknown>;

/**
 * One page of a list call, as Step Functions pages them: `nextToken` (here the offset of the
 * next item) and `maxResults` (at most `defaultSize` when absent or zero).
 */
function pageOf<T>(
  all: readonly T[],
  body: { nextToken?: unknown; maxResults?: unknown },
  defaultSize: number,
): { items: T[]; nextToken: { nextToken?: string } } {
  const start = Number(body.nextToken ?? 0);
  const size = Number(body.maxResults ?? defaultSize) || defaultSize;
  return {
    items: all.slice(start, start + size),
    nextToken: start + size < all.length ? { nextToken: String(start + size) } : {},
  };
}

interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: number;
  status: Status;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  readonly history: HistoryEvent[];
  abort?: () => void;
}

/** A client error of the API: HTTP 400 with `__type`. */
class ApiError extends Error {
  public readonly type: string;
  public constructor(type: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.type = type;
  }
}

export interface RunningStepFunctions {
  readonly endpoint: string;
  readonly port: number;
  /** Serves a state machine from now on. */
  register(machine: StateMachineRegistration): void;
  /** Aborts running executions and closes the endpoint. */
  stop(): Promise<void>;
}

const seconds = (ms: number): number => ms / 1000;
const text = (value: unknown): string =>
  typeof value === 'string' ? value : value instanceof Error ? value.message : JSON.stringify(value ?? null);
const NamePattern = /^[0-9A-Za-z_-]{1,80}$/;

/** Starts the endpoint on 127.0.0.1 with a free port. */
export async function startStepFunctions(options: { region?: string } = {}): Promise<RunningStepFunctions> {
  const region = options.region ?? 'us-east-1';
  const machines = new Map<string, ServedMachine>();
  const executions = new Map<string, Execution>();

  const machineOf = (arn: unknown): ServedMachine => {
    const machine = typeof arn === 'string' ? machines.get(arn) : undefined;
    if (machine === undefined)
      throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    return machine;
  };
  const executionOf = (arn: unknown): Execution => {
    const execution = typeof arn === 'string' ? executions.get(arn) : undefined;
    if (execution === undefined)
      throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return execution;
  };

  /** Appends a history event; returns its id. */
  const record = (
    execution: Execution,
    type: string,
    details: Record<string, unknown>,
    timestamp = Date.now(),
  ): number => {
    const id = execution.history.length + 1;
    execution.history.push({ timestamp: seconds(timestamp), type, id, previousEventId: id - 1, ...details });
    return id;
  };

  /** Turns aws-local-stepfunctions' events into Step Functions history events. */
  const follow = async (
    execution: Execution,
    machine: ServedMachine,
    events: AsyncIterable<RunnerEvent>,
  ): Promise<void> => {
    const finish = (status: Status, at: number, fields: Partial<Execution> = {}): void => {
      Object.assign(execution, { status, stopDate: seconds(at), ...fields });
    };
    // Task states whose last invocation failed: a caught failure exits the state without a success.
    const failedTasks = new Set<string>();
    // A Task state's invocation, on entering it and on each retry.
    const scheduled = (name: string, input: unknown, at: number): void => {
      record(
        execution,
        'LambdaFunctionScheduled',
        { lambdaFunctionScheduledEventDetails: { resource: machine.resources.get(name), input: text(input) } },
        at,
      );
    };
    for await (const event of events) {
      const at = event.timestamp;
      const state = event.state;
      const isTask = state?.type === 'Task';
      switch (event.type) {
        case 'ExecutionStarted':
          record(
            execution,
            'ExecutionStarted',
            {
              executionStartedEventDetails: {
                input: execution.input,
                inputDetails: { truncated: false },
                roleArn: machine.roleArn,
              },
            },
            at,
          );
          break;
        case 'StateEntered':
          failedTasks.delete(state!.name);
          record(
            execution,
            `${state!.type}StateEntered`,
            {
              stateEnteredEventDetails: {
                name: state!.name,
                input: text(state!.input),
                inputDetails: { truncated: false },
              },
            },
            at,
          );
          if (isTask) scheduled(state!.name, state!.input, at);
          break;
        case 'StateRetried':
          failedTasks.delete(state!.name);
          if (isTask) scheduled(state!.name, state!.input, at);
          break;
        case 'StateFailed':
          if (isTask) {
            failedTasks.add(state!.name);
            const timedOut = event.Error === 'States.Timeout';
            record(
              execution,
              timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed',
              {
                [timedOut ? 'lambdaFunctionTimedOutEventDetails' : 'lambdaFunctionFailedEventDetails']: {
                  error: event.Error,
                  cause: text(event.Cause),
                },
              },
              at,
            );
          }
          break;
        case 'StateExited':
          if (isTask && !failedTasks.delete(state!.name))
            record(
              execution,
              'LambdaFunctionSucceeded',
              {
                lambdaFunctionSucceededEventDetails: {
                  output: text(state!.output),
                  outputDetails: { truncated: false },
                },
              },
              at,
            );
          record(
            execution,
            `${state!.type}StateExited`,
            {
              stateExitedEventDetails: {
                name: state!.name,
                output: text(state!.output),
                outputDetails: { truncated: false },
              },
            },
            at,
          );
          break;
        case 'ExecutionSucceeded':
          finish('SUCCEEDED', at, { output: text(event.output) });
          record(
            execution,
            'ExecutionSucceeded',
            { executionSucceededEventDetails: { output: execution.output, outputDetails: { truncated: false } } },
            at,
          );
          break;
        case 'ExecutionFailed':
          finish('FAILED', at, { error: event.Error ?? 'States.Runtime', cause: text(event.Cause) });
          record(
            execution,
            'ExecutionFailed',
            { executionFailedEventDetails: { error: execution.error, cause: execution.cause } },
            at,
          );
          break;
        case 'ExecutionAborted':
          finish('ABORTED', at);
          record(execution, 'ExecutionAborted', { executionAbortedEventDetails: {} }, at);
          break;
        case 'ExecutionTimeout':
          finish('TIMED_OUT', at);
          record(execution, 'ExecutionTimedOut', { executionTimedOutEventDetails: {} }, at);
          break;
        default:
          break;
      }
    }
  };

  const summaryOf = (e: Execution): Record<string, unknown> => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: seconds(e.startDate),
    ...(e.stopDate === undefined ? {} : { stopDate: e.stopDate }),
  });

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: (body) => {
      const machine = machineOf(body.stateMachineArn);
      const name = body.name === undefined ? randomUUID() : String(body.name);
      if (!NamePattern.test(name)) throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
      const input = body.input === undefined ? '{}' : String(body.input);
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch {
        throw new ApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${input.slice(0, 80)}'`);
      }
      const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
      const existing = executions.get(executionArn);
      if (existing !== undefined) {
        // Step Functions is idempotent for a running execution started with the same input.
        if (existing.status === 'RUNNING' && existing.input === input)
          return { executionArn, startDate: seconds(existing.startDate) };
        throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      const execution: Execution = {
        executionArn,
        stateMachineArn: machine.arn,
        name,
        input,
        startDate: Date.now(),
        status: 'RUNNING',
        history: [],
      };
      executions.set(executionArn, execution);
      const { result, eventLogs, abort } = machine.runner.run(parsed, {
        Execution: {
          Id: executionArn,
          Name: name,
          RoleArn: machine.roleArn,
          StartTime: new Date(execution.startDate).toISOString(),
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      });
      execution.abort = abort;
      // The outcome is read from the event log; the result promise only must not go unhandled.
      result.catch(() => undefined);
      follow(execution, machine, eventLogs).catch((error: unknown) => {
        if (execution.status === 'RUNNING')
          Object.assign(execution, {
            status: 'FAILED',
            stopDate: seconds(Date.now()),
            error: 'States.Runtime',
            cause: text(error),
          });
      });
      return { executionArn, startDate: seconds(execution.startDate) };
    },
    DescribeExecution: (body) => {
      const e = executionOf(body.executionArn);
      return {
        ...summaryOf(e),
        input: e.input,
        inputDetails: { included: true },
        ...(e.output === undefined ? {} : { output: e.output, outputDetails: { included: true } }),
        ...(e.error === undefined ? {} : { error: e.error }),
        ...(e.cause === undefined ? {} : { cause: e.cause }),
      };
    },
    ListExecutions: (body) => {
      const machine = machineOf(body.stateMachineArn);
      const all = [...executions.values()]
        .filter(
          (e) =>
            e.stateMachineArn === machine.arn && (body.statusFilter === undefined || e.status === body.statusFilter),
        )
        .sort((a, b) => b.startDate - a.startDate);
      const { items, nextToken } = pageOf(all, body, 100);
      return { executions: items.map(summaryOf), ...nextToken };
    },
    GetExecutionHistory: (body) => {
      const e = executionOf(body.executionArn);
      const events = body.reverseOrder === true ? [...e.history].reverse() : e.history;
      const { items, nextToken } = pageOf(events, body, 1000);
      return { events: items, ...nextToken };
    },
    StopExecution: (body) => {
      const e = executionOf(body.executionArn);
      if (e.status === 'RUNNING') e.abort?.();
      return { stopDate: seconds(Date.now()) };
    },
    DescribeStateMachine: (body) => {
      const m = machineOf(body.stateMachineArn);
      return {
        stateMachineArn: m.arn,
        name: m.name,
        status: 'ACTIVE',
        definition: m.definition,
        roleArn: m.roleArn,
        type: m.type,
        creationDate: m.creationDate,
      };
    },
    ListStateMachines: () => ({
      stateMachines: [...machines.values()].map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: m.type,
        creationDate: m.creationDate,
      })),
    }),
  };

  const reply = (response: ServerResponse, status: number, body: unknown, errorType?: string): void => {
    const payload = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': randomUUID(),
      ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
    });
    response.end(payload);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = operations[target.replace(/^AWSStepFunctions\./, '')];
    try {
      if (request.method !== 'POST' || !target.startsWith('AWSStepFunctions.') || operation === undefined) {
        throw new ApiError(
          'UnknownOperationException',
          `Operation ${target || '(no X-Amz-Target)'} is not served by the local Step Functions endpoint`,
        );
      }
      const body =
        chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      reply(response, 200, operation(body));
    } catch (error) {
      if (error instanceof ApiError) reply(response, 400, { __type: error.type, message: error.message }, error.type);
      else reply(response, 500, { __type: 'InternalFailure', message: text(error) }, 'InternalFailure');
    }
  };

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    register: (machine) => {
      if (!machine.arn.startsWith(`arn:aws:states:${region}:`))
        throw new Error(`State machine ${machine.arn} is not in region ${region}`);
      machines.set(machine.arn, {
        ...machine,
        creationDate: seconds(Date.now()),
        resources: taskResourcesOf(JSON.parse(machine.definition)),
      });
    },
    stop: async () => {
      for (const execution of executions.values()) if (execution.status === 'RUNNING') execution.abort?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
