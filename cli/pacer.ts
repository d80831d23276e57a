/**
 * The replay's rate cap: a token bucket holding one token, refilled at `rate` per second. Each
 * send takes a token, waiting for it when there is none, so sends are spaced at least
 * `1 / rate` seconds apart and never burst, however long the previous send took.
 */
import { UsageError } from './errors.ts';

/** Time, injectable so tests do not sleep. */
export interface Clock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The default cap: events per second. */
export const DEFAULT_RATE = 20;

/** Parses `--rate`: a positive number of events per second. */
export function parseRate(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RATE;
  const rate = Number(value);
  if (!Number.isFinite(rate) || rate <= 0)
    throw new UsageError(`--rate "${value}" is not a positive number of events per second`);
  return rate;
}

/**
 * A function that resolves when the next send may go.
 *
 * @example
 * const pace = pacer(20);
 * for (const event of events) { await pace(); await send(event); }
 */
export function pacer(rate: number, clock: Clock = systemClock): () => Promise<void> {
  const interval = 1000 / rate;
  let next: number | undefined;
  return async () => {
    const now = clock.now();
    if (next !== undefined && next > now) await clock.sleep(next - now);
    // A slow send does not earn a burst afterwards: the bucket holds one token.
    next = Math.max(next ?? now, now) + interval;
  };
}
