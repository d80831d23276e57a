/**
 * Runs a function's bundled handler the way Lambda does: each execution environment is a worker
 * thread with the function's environment variables from the template, one invocation at a
 * time, a deadline from the function's timeout (a timed-out environment is discarded and a
 * fresh one cold-starts), and its log output appended to a file.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { InvocationChaos } from '../faults/chaos.ts';

export interface FunctionDefinition {
  readonly logicalId: string;
  readonly name: string;
  /** Absolute path of the bundled module (`cdk.out/asset.<hash>/index.mjs`). */
  readonly entryPath: string;
  readonly exportName: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Record<string, string>;
  /** The nice value its environments' threads run at (the capacity model). @default 0 */
  readonly niceness?: number;
}

/** The error of a failed invocation, as Lambda reports it. */
export class InvocationError extends Error {
  public readonly errorType: string;

  public constructor(errorType: string, message: string) {
    super(message);
    this.name = 'InvocationError';
    this.errorType = errorType;
  }
}

const workerFile = new URL('./lambda-worker.ts', import.meta.url);

/** One execution environment. */
export class ExecutionEnvironment {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly definition: FunctionDefinition;
  private readonly baseEnv: Record<string, string>;
  private readonly log: WriteStream;
  private readonly region: string;
  private readonly chaos: InvocationChaos | undefined;

  /** `chaos`: crashes and hangs to inject (the endurance run's); none by default. */
  public constructor(
    definition: FunctionDefinition,
    baseEnv: Record<string, string>,
    log: WriteStream,
    chaos?: InvocationChaos,
  ) {
    this.definition = definition;
    this.baseEnv = baseEnv;
    this.log = log;
    this.region = baseEnv.AWS_REGION ?? 'us-east-1';
    this.chaos = chaos;
  }

  /**
   * Kills the environment's worker thread now, as an out-of-memory kill or a runtime crash
   * would: a running invocation fails with `Runtime.ExitError` and the next one cold-starts.
   */
  public async crash(): Promise<void> {
    await this.worker?.terminate();
  }

  private start(): Promise<void> {
    const d = this.definition;
    const worker = new Worker(workerFile, {
      env: {
        ...this.baseEnv,
        ...d.environment,
        AWS_LAMBDA_FUNCTION_NAME: d.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(d.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        LAMBDA_TASK_ROOT: d.entryPath.replace(/\/[^/]+$/, ''),
      },
      workerData: {
        entryUrl: new URL(`file://${d.entryPath}`).href,
        exportName: d.exportName,
        functionName: d.name,
        memoryLimitInMB: d.memoryMb,
        region: this.region,
        niceness: d.niceness ?? 0,
      },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(128, d.memoryMb) },
    });
    worker.stdout.pipe(this.log, { end: false });
    worker.stderr.pipe(this.log, { end: false });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean; initError?: { name: string; message: string } }): void => {
        if (message.ready === true) {
          worker.off('message', onMessage);
          resolve();
        }
        if (message.initError !== undefined) {
          worker.off('message', onMessage);
          reject(
            new InvocationError(
              'Runtime.ImportModuleError',
              `${d.name}: ${message.initError.name}: ${message.initError.message}`,
            ),
          );
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  /** Invokes the handler; rejects with `InvocationError` on a thrown error or a timeout. */
  public async invoke(event: unknown): Promise<unknown> {
    if (this.ready === undefined) this.ready = this.start();
    try {
      await this.ready;
    } catch (error) {
      await this.discard();
      throw error;
    }
    const worker = this.worker!;
    const id = this.nextId++;
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const plan = this.chaos?.plan(this.definition.name) ?? {};
    return new Promise((resolve, reject) => {
      const crashTimer =
        plan.crashAfterMs === undefined
          ? undefined
          : setTimeout(() => {
              this.chaos?.crashed(this.definition.name);
              void worker.terminate();
            }, plan.crashAfterMs);
      const timer = setTimeout(() => {
        cleanup();
        if (plan.hangPastTimeout === true) this.chaos?.timedOut(this.definition.name);
        void this.discard();
        reject(
          new InvocationError(
            'Sandbox.Timedout',
            `${this.definition.name} timed out after ${this.definition.timeoutSeconds} seconds`,
          ),
        );
      }, timeoutMs);
      const onMessage = (message: {
        id?: number;
        result?: unknown;
        error?: { name: string; message: string };
      }): void => {
        if (message.id !== id) return;
        cleanup();
        if (message.error !== undefined) reject(new InvocationError(message.error.name, message.error.message));
        else resolve(message.result);
      };
      const onExit = (code: number): void => {
        cleanup();
        this.ready = undefined;
        this.worker = undefined;
        reject(
          new InvocationError(
            'Runtime.ExitError',
            `${this.definition.name} exited with code ${code} during an invocation`,
          ),
        );
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        clearTimeout(crashTimer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      worker.postMessage({ id, event, deadline, requestId: randomUUID(), hang: plan.hangPastTimeout === true });
    });
  }

  /** Ends this environment; the next invocation cold-starts a new one. */
  public async discard(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}

/** Opens the log file of a function (appending). */
export const openLog = (path: string): WriteStream => createWriteStream(path, { flags: 'a' });
