/**
 * Crash and redelivery injection for the local runtime: which invocations lose their execution
 * environment mid-way (its worker thread terminated, as an out-of-memory kill or a runtime crash
 * would), which run past their timeout, and which messages become visible again while their
 * first delivery still runs (a visibility timeout expiring early). Decisions are seeded; every
 * injected fault is counted.
 */
import { prng } from '#shared/testing/random.ts';

/** What happens to one invocation. */
export interface InvocationPlan {
  /** Terminate the environment's worker this many ms into the invocation (if it still runs). */
  readonly crashAfterMs?: number;
  /** Let the handler finish, then never answer: the invocation runs past its timeout. */
  readonly hangPastTimeout?: boolean;
}

/** Asked by every execution environment before an invocation, and told what really happened. */
export interface InvocationChaos {
  plan(functionName: string): InvocationPlan;
  /** An environment was killed mid-invocation. */
  crashed(functionName: string): void;
  /** An invocation ran past its timeout because of a planned hang. */
  timedOut(functionName: string): void;
}

/** Asked by every SQS event source for each batch it delivers. */
export interface RedeliveryChaos {
  /** Whether to make the batch's first message visible again while the invocation runs. */
  redeliverEarly(functionName: string): boolean;
  redelivered(functionName: string): void;
}

/** Rates of the crash faults, each a share of invocations (0 to 1). */
export interface ChaosRates {
  readonly crash: number;
  readonly hang: number;
  readonly earlyRedelivery: number;
}

/** Options of `Chaos`. */
export interface ChaosOptions {
  readonly rates: ChaosRates;
  /**
   * Functions whose environments may crash or hang, by a part of their name (`Intake`,
   * `Scheduler`). Crashed batches come back after the queue's visibility timeout (six times the
   * function's timeout), so a short run targets the stages whose timeouts are short.
   * @default - every function
   */
  readonly crashTargets?: readonly string[];
  /** @default 1 */
  readonly seed?: number;
}

/** Injected faults, by kind and function. */
export type ChaosCounts = Record<'crash' | 'hang' | 'earlyRedelivery', Record<string, number>>;

/**
 * The chaos of a local stack: planned per invocation and per batch, switched off with
 * `setEnabled(false)` for the settling phase of a run.
 *
 * @example
 * const chaos = new Chaos({ rates: { crash: 0.02, hang: 0.005, earlyRedelivery: 0.05 } });
 * await startLocalStack({ ..., chaos });
 */
export class Chaos implements InvocationChaos, RedeliveryChaos {
  private readonly random: () => number;
  private readonly options: ChaosOptions;
  private enabled = true;
  private readonly injected: ChaosCounts = { crash: {}, hang: {}, earlyRedelivery: {} };

  public constructor(options: ChaosOptions) {
    this.options = options;
    this.random = prng(options.seed ?? 1);
  }

  /** Turns injection on or off; counts stay. */
  public setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  public plan(functionName: string): InvocationPlan {
    if (!this.enabled || !this.targets(functionName)) return {};
    const draw = this.random();
    const { crash, hang } = this.options.rates;
    if (draw < crash) return { crashAfterMs: Math.floor(this.random() * 150) };
    if (draw < crash + hang) return { hangPastTimeout: true };
    return {};
  }

  public crashed(functionName: string): void {
    this.count('crash', functionName);
  }

  public timedOut(functionName: string): void {
    this.count('hang', functionName);
  }

  public redeliverEarly(functionName: string): boolean {
    return this.enabled && this.random() < this.options.rates.earlyRedelivery && functionName !== '';
  }

  public redelivered(functionName: string): void {
    this.count('earlyRedelivery', functionName);
  }

  /** What was injected so far. */
  public counts(): ChaosCounts {
    return structuredClone(this.injected);
  }

  private targets(functionName: string): boolean {
    const targets = this.options.crashTargets;
    return targets === undefined || targets.some((t) => functionName.includes(t));
  }

  private count(kind: keyof ChaosCounts, functionName: string): void {
    this.injected[kind][functionName] = (this.injected[kind][functionName] ?? 0) + 1;
  }
}
