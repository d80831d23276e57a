import { describe, expect, it } from 'vitest';
import { SubscriberUnavailableError } from '../errors.ts';
import { checkBreakers, positionOf, throughBreaker, type BreakerState } from './breaker.ts';
import { NOW, fakeSaga } from './testing.ts';

const settings = { failureThreshold: 3, coolDownSeconds: 60 };
const later = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);
const failing = async (): Promise<never> => {
  throw new Error('AWS.SimpleQueueService.NonExistentQueue');
};
const succeeding = async (): Promise<string> => 'sent';

/** Calls the subscriber through its breaker at `now`, swallowing the call's error. */
async function attempt(
  fake: ReturnType<typeof fakeSaga>,
  now: Date,
  call: () => Promise<unknown>,
): Promise<'ok' | 'failed' | 'unavailable'> {
  try {
    const [permit] = await checkBreakers(['Climate'], fake.deps.breakers, now);
    await throughBreaker(permit!, fake.deps.breakers, settings, () => now, call);
    return 'ok';
  } catch (error) {
    return error instanceof SubscriberUnavailableError ? 'unavailable' : 'failed';
  }
}

describe('circuit breaker', () => {
  it('opens after failureThreshold consecutive failures and then fails fast without calling', async () => {
    // Prepare
    const fake = fakeSaga();
    let calls = 0;
    const counted = async (): Promise<never> => {
      calls += 1;
      return failing();
    };

    // Act
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) outcomes.push(await attempt(fake, NOW, counted));

    // Assess
    expect(outcomes).toEqual(['failed', 'failed', 'failed', 'unavailable', 'unavailable']);
    expect(calls).toBe(3);
    expect(fake.breakers.get('Climate')).toMatchObject({
      state: 'open',
      failures: 3,
      openUntil: later(60).toISOString(),
    });
  });

  it('resets the count on a success, so failures must be consecutive', async () => {
    // Prepare
    const fake = fakeSaga();

    // Act
    const outcomes = [
      await attempt(fake, NOW, failing),
      await attempt(fake, NOW, failing),
      await attempt(fake, NOW, succeeding),
      await attempt(fake, NOW, failing),
      await attempt(fake, NOW, failing),
    ];

    // Assess
    expect(outcomes).toEqual(['failed', 'failed', 'ok', 'failed', 'failed']);
    expect(fake.breakers.get('Climate')).toMatchObject({ state: 'closed', failures: 2 });
  });

  it('lets one trial through after the cool-down; its success closes the breaker', async () => {
    // Prepare
    const fake = fakeSaga({ breakers: { Climate: { state: 'open', failures: 3, openUntil: NOW.toISOString() } } });

    // Act
    const outcome = await attempt(fake, later(1), succeeding);

    // Assess
    expect(outcome).toBe('ok');
    expect(fake.calls).toEqual(['trial Climate', 'close Climate']);
    expect(fake.breakers.get('Climate')).toEqual({ state: 'closed', failures: 0 });
  });

  it('keeps the breaker open for another cool-down when the trial fails', async () => {
    // Prepare
    const fake = fakeSaga({ breakers: { Climate: { state: 'open', failures: 3, openUntil: NOW.toISOString() } } });

    // Act
    const trial = await attempt(fake, later(1), failing);
    const next = await attempt(fake, later(2), succeeding);

    // Assess
    expect([trial, next]).toEqual(['failed', 'unavailable']);
    expect(fake.breakers.get('Climate')).toMatchObject({ state: 'open', openUntil: later(61).toISOString() });
  });

  it('gives the trial to one delivery only; a concurrent one fails fast', async () => {
    // Prepare: both read the breaker half-open before either claims the trial.
    const fake = fakeSaga({ breakers: { Climate: { state: 'open', failures: 3, openUntil: NOW.toISOString() } } });
    const [first] = await checkBreakers(['Climate'], fake.deps.breakers, later(1));
    const [second] = await checkBreakers(['Climate'], fake.deps.breakers, later(1));

    // Act
    const winner = throughBreaker(first!, fake.deps.breakers, settings, () => later(1), succeeding);
    const loser = throughBreaker(second!, fake.deps.breakers, settings, () => later(1), succeeding);

    // Assess
    await expect(winner).resolves.toBe('sent');
    await expect(loser).rejects.toBeInstanceOf(SubscriberUnavailableError);
  });

  it('writes nothing after a success on a clean closed breaker', async () => {
    // Prepare
    const fake = fakeSaga();

    // Act
    await attempt(fake, NOW, succeeding);

    // Assess
    expect(fake.calls).toEqual([]);
  });

  it.each([
    [undefined, 'closed'],
    [{ state: 'closed', failures: 2 }, 'closed'],
    [{ state: 'open', failures: 3, openUntil: later(1).toISOString() }, 'open'],
    [{ state: 'open', failures: 3, openUntil: NOW.toISOString() }, 'half-open'],
  ] as [BreakerState | undefined, string][])('puts %j at %s', (state, position) => {
    // Assess
    expect(positionOf(state, NOW)).toBe(position);
  });
});
