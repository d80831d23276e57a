import { describe, expect, it } from 'vitest';
import { pacer, parseRate, type Clock } from './pacer.ts';

/** A clock that moves only when slept on, or by `advance`. */
function fakeClock(): Clock & { readonly slept: number[]; advance: (ms: number) => void } {
  let now = 1000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('pacer', () => {
  it('spaces sends 1 / rate apart, the first at once', async () => {
    // Prepare
    const clock = fakeClock();
    const pace = pacer(20, clock);

    // Act
    for (let i = 0; i < 4; i += 1) await pace();

    // Assess
    expect(clock.slept).toEqual([50, 50, 50]);
  });

  it('counts the time a send took against the wait, and gives no burst after a slow one', async () => {
    // Prepare
    const clock = fakeClock();
    const pace = pacer(10, clock);

    // Act
    await pace();
    clock.advance(30);
    await pace();
    clock.advance(500);
    await pace();
    await pace();

    // Assess
    expect(clock.slept).toEqual([70, 100]);
  });
});

describe('parseRate', () => {
  it('defaults to 20 per second and refuses what is not a positive number', () => {
    expect(parseRate(undefined)).toBe(20);
    expect(parseRate('0.5')).toBe(0.5);
    expect(() => parseRate('0')).toThrow('--rate "0" is not a positive number of events per second');
    expect(() => parseRate('fast')).toThrow(/--rate "fast"/);
  });
});
