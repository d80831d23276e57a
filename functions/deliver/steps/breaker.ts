/**
 * A circuit breaker per subscriber, its state in the deliveries table (`BREAKER#<subscriber>`).
 *
 * - closed: sends go through; each failed send counts, a success resets the count;
 * - open: after `failureThreshold` consecutive failures, for `coolDownSeconds`: the notify step
 *   fails fast with `SubscriberUnavailableError` without touching the subscriber;
 * - half-open: once the cool-down is over, one delivery claims the trial (a conditional write
 *   that also pushes `openUntil` one cool-down further, so concurrent deliveries still fail
 *   fast); its success closes the breaker, its failure keeps it open for another cool-down.
 *
 * Fail fast, not park: a delivery whose subscriber is down is compensated and reported
 * (`delivery.compensated`, error `SubscriberUnavailableError`) rather than held in a wait loop,
 * so no subscriber sees a half-delivered product for an unknown time, and the delivery can be
 * started again once the breaker closed.
 *
 * The policy lives here; `BreakerStore` only reads and writes (the template method of
 * Powertools' idempotency layer).
 */
import { SubscriberUnavailableError } from '../errors.ts';

/** Breaker settings (the CDK app sets them in the saga function's environment). */
export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long it stays open before one trial may go through. */
  readonly coolDownSeconds: number;
}

/** A breaker as stored. */
export interface BreakerState {
  readonly state: 'closed' | 'open';
  /** Consecutive failures. */
  readonly failures: number;
  /** While open: until when (ISO 8601). */
  readonly openUntil?: string;
}

/** Reads and writes breakers; conditions and policy are the caller's. */
export interface BreakerStore {
  read(subscriber: string): Promise<BreakerState | undefined>;
  /** Claims the half-open trial: succeeds once per cool-down, when `openUntil <= now`. */
  claimTrial(subscriber: string, now: Date, openUntil: Date): Promise<boolean>;
  /** Adds one failure; returns the new count. */
  countFailure(subscriber: string): Promise<number>;
  open(subscriber: string, openUntil: Date): Promise<void>;
  close(subscriber: string): Promise<void>;
}

/** Where a breaker stands at `now`. */
export type BreakerPosition = 'closed' | 'open' | 'half-open';

export function positionOf(state: BreakerState | undefined, now: Date): BreakerPosition {
  if (state === undefined || state.state === 'closed') return 'closed';
  return state.openUntil !== undefined && Date.parse(state.openUntil) > now.getTime() ? 'open' : 'half-open';
}

const unavailable = (subscriber: string, state: BreakerState | undefined, why: string): SubscriberUnavailableError =>
  new SubscriberUnavailableError(
    subscriber,
    `Subscriber ${subscriber} is unavailable: its circuit breaker ${why} (${state?.failures ?? 0} consecutive failures, open until ${state?.openUntil ?? 'unknown'}); the delivery fails fast and is compensated`,
  );

/** A guarded call to one subscriber. */
export interface BreakerPermit {
  readonly subscriber: string;
  readonly position: BreakerPosition;
  readonly state: BreakerState | undefined;
}

/**
 * Checks a set of subscribers before any of them is called: throws `SubscriberUnavailableError`
 * for the first whose breaker is open (so nothing is sent when one subscriber is known down).
 */
export async function checkBreakers(
  subscribers: readonly string[],
  store: BreakerStore,
  now: Date,
): Promise<BreakerPermit[]> {
  const permits = await Promise.all(
    subscribers.map(async (subscriber) => {
      const state = await store.read(subscriber);
      return { subscriber, state, position: positionOf(state, now) };
    }),
  );
  const open = permits.find((p) => p.position === 'open');
  if (open !== undefined) throw unavailable(open.subscriber, open.state, 'is open');
  return permits;
}

/**
 * Runs `call` through the breaker of one subscriber: claims the trial when half-open, then
 * records the outcome. Rethrows the call's error.
 */
export async function throughBreaker<T>(
  permit: BreakerPermit,
  store: BreakerStore,
  settings: BreakerSettings,
  now: () => Date,
  call: () => Promise<T>,
): Promise<T> {
  const { subscriber, position, state } = permit;
  const coolDownEnd = (): Date => new Date(now().getTime() + settings.coolDownSeconds * 1000);
  if (position === 'half-open' && !(await store.claimTrial(subscriber, now(), coolDownEnd()))) {
    throw unavailable(subscriber, state, 'is half-open and another delivery holds its one trial');
  }
  let result: T;
  try {
    result = await call();
  } catch (error) {
    const failures = await store.countFailure(subscriber);
    if (position === 'half-open' || failures >= settings.failureThreshold) await store.open(subscriber, coolDownEnd());
    throw error;
  }
  // A clean closed breaker needs no write: the common case costs one read.
  if (position !== 'closed' || (state?.failures ?? 0) > 0) await store.close(subscriber);
  return result;
}
