/**
 * Runs the template's state machines locally with aws-local-stepfunctions (Node 22): each
 * `AWS::StepFunctions::StateMachine` definition is resolved from the template (its
 * `DefinitionString` is an `Fn::Join` of Refs and GetAtts), and every Lambda task is mapped to
 * an execution environment of the function it names, running that function's bundle with the
 * template's environment, as the SQS event sources do.
 */
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { ExecutionEnvironment, InvocationError, openLog, type FunctionDefinition } from './lambda-host.ts';
import { resourcesOfType, type Resolver, type Template } from './template.ts';
import type { ExecutionRunner, StateMachineRegistration } from '../emulators/stepfunctions.ts';

/** The Resource of the optimized Lambda integration (`{ FunctionName, Payload }` in, `{ Payload }` out). */
const OptimizedLambdaInvoke = 'arn:aws:states:::lambda:invoke';

/** A state machine of the template, its definition resolved. */
export interface ResolvedStateMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly roleArn: string;
  readonly definition: Record<string, unknown>;
}

/** The state machines of a template, with every intrinsic of their definitions resolved. */
export function resolvedStateMachinesOf(template: Template, resolver: Resolver): ResolvedStateMachine[] {
  return resourcesOfType(template, 'AWS::StepFunctions::StateMachine').map(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    const text = resolver.resolve(props.DefinitionString ?? props.Definition);
    const definition = (typeof text === 'string' ? JSON.parse(text) : text) as Record<string, unknown>;
    return {
      logicalId,
      arn: resolver.ref(logicalId),
      name: resolver.getAtt(logicalId, 'Name'),
      type: props.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      roleArn: String(resolver.resolve(props.RoleArn ?? '')),
      definition,
    };
  });
}

/** A Lambda task state: its name and the function it invokes. */
export interface LambdaTask {
  readonly state: string;
  /** The function's ARN or name. */
  readonly functionRef: string;
  /** `arn:aws:states:::lambda:invoke` (result wrapped as `{ StatusCode, Payload }`) rather than the function ARN itself. */
  readonly optimized: boolean;
}

/** Every Task state of a definition, nested ones (Parallel branches, Map processors) included. */
export function lambdaTasksOf(definition: Record<string, unknown>): LambdaTask[] {
  const tasks: LambdaTask[] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const states = (node as { States?: Record<string, Record<string, unknown>> }).States;
    for (const [state, body] of Object.entries(states ?? {})) {
      if (body.Type === 'Task') {
        const resource = String(body.Resource);
        if (resource === OptimizedLambdaInvoke || resource.startsWith(`${OptimizedLambdaInvoke}.`)) {
          const functionName = (body.Parameters as Record<string, unknown> | undefined)?.FunctionName;
          if (typeof functionName !== 'string')
            throw new Error(`Task ${state} invokes Lambda without a literal FunctionName; the local runner needs one`);
          tasks.push({ state, functionRef: functionName, optimized: true });
        } else if (/^arn:aws:lambda:[^:]+:\d+:function:[^:]+(:[^:]+)?$/.test(resource)) {
          tasks.push({ state, functionRef: resource, optimized: false });
        } else {
          throw new Error(`Task ${state} uses ${resource}; the local runner runs Lambda tasks only`);
        }
      }
      for (const nested of [body.Iterator, body.ItemProcessor, ...((body.Branches as unknown[] | undefined) ?? [])])
        visit(nested);
    }
  };
  visit(definition);
  return tasks;
}

/**
 * A few execution environments of one function, one invocation each at a time, as Lambda runs
 * concurrent invocations: an invocation waits for a free environment.
 */
export class EnvironmentPool {
  private readonly idle: ExecutionEnvironment[];
  private readonly all: ExecutionEnvironment[];
  private readonly waiting: ((environment: ExecutionEnvironment) => void)[] = [];

  public constructor(environments: ExecutionEnvironment[]) {
    this.all = environments;
    this.idle = [...environments];
  }

  /** Invokes the function; rejects with an error whose `name` is Lambda's error type. */
  public async invoke(event: unknown): Promise<unknown> {
    const environment =
      this.idle.pop() ?? (await new Promise<ExecutionEnvironment>((resolve) => this.waiting.push(resolve)));
    try {
      return await environment.invoke(event);
    } catch (error) {
      // Step Functions matches a Lambda error by its error type, which is the thrown error's name.
      if (error instanceof InvocationError) throw Object.assign(new Error(error.message), { name: error.errorType });
      throw error;
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.idle.push(environment);
      else next(environment);
    }
  }

  public async discard(): Promise<void> {
    await Promise.all(this.all.map((e) => e.discard()));
  }
}

/** Runs one state machine's executions with local task handlers. */
export function localRunner(
  machine: ResolvedStateMachine,
  invoke: (functionRef: string, event: unknown) => Promise<unknown>,
): ExecutionRunner {
  const handlers = Object.fromEntries(
    lambdaTasksOf(machine.definition).map((task) => [
      task.state,
      async (input: unknown) => {
        if (!task.optimized) return invoke(task.functionRef, input);
        const { Payload } = input as { Payload?: unknown };
        return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: await invoke(task.functionRef, Payload ?? {}) };
      },
    ]),
  );
  const stateMachine = new StateMachine(machine.definition as never);
  return {
    run: (input, context) =>
      stateMachine.run(input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never },
        context: context as never,
      }),
  };
}

export interface LocalStateMachinesOptions {
  readonly template: Template;
  readonly resolver: Resolver;
  /** Bundled functions by logical id (the ones the local runtime runs). */
  readonly functions: ReadonlyMap<string, FunctionDefinition>;
  readonly baseEnv: Record<string, string>;
  readonly logDir: string;
  /** Execution environments per function invoked by a state machine. @default 3 */
  readonly concurrency?: number;
}

/**
 * The template's state machines, ready to register with the local Step Functions endpoint, and
 * a function ending the execution environments they started.
 */
export function localStateMachines(options: LocalStateMachinesOptions): {
  registrations: StateMachineRegistration[];
  discard: () => Promise<void>;
} {
  const machines = resolvedStateMachinesOf(options.template, options.resolver);
  const byRef = new Map<string, FunctionDefinition>();
  for (const definition of options.functions.values()) {
    byRef.set(options.resolver.getAtt(definition.logicalId, 'Arn'), definition);
    byRef.set(definition.name, definition);
  }
  const pools = new Map<string, EnvironmentPool>();
  const poolOf = (functionRef: string): EnvironmentPool => {
    const definition = byRef.get(functionRef);
    if (definition === undefined)
      throw new Error(`A state machine invokes ${functionRef}, which is not a bundled function of this template`);
    let pool = pools.get(definition.logicalId);
    if (pool === undefined) {
      const log = openLog(join(options.logDir, `${definition.logicalId}.log`));
      pool = new EnvironmentPool(
        Array.from(
          { length: options.concurrency ?? 3 },
          () => new ExecutionEnvironment(definition, options.baseEnv, log),
        ),
      );
      pools.set(definition.logicalId, pool);
    }
    return pool;
  };
  const registrations = machines.map((machine) => {
    // Fails now, at start, for a task the local runner cannot run.
    for (const task of lambdaTasksOf(machine.definition)) poolOf(task.functionRef);
    return {
      arn: machine.arn,
      name: machine.name,
      type: machine.type,
      roleArn: machine.roleArn,
      definition: JSON.stringify(machine.definition),
      runner: localRunner(machine, (functionRef, event) => poolOf(functionRef).invoke(event)),
    };
  });
  return {
    registrations,
    discard: async () => {
      await Promise.all([...pools.values()].map((p) => p.discard()));
    },
  };
}
