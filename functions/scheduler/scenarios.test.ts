/**
 * Whole scenarios on the scheduler's real logic (`schedule`) over `MemorySchedulerStore`, with a
 * clock and the deadline timers kept as SQS would keep delayed messages. `logic.test.ts` covers
 * each step once; these follow a cycle from its first chunk to what closes it.
 */
import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { commandId, type DeadlineReachedEvent } from '#shared/rules/index.ts';
import { chunkIngested, forecastIngested, productGenerated } from '#shared/rules/testing.ts';
import { schedule, type SchedulerDeps } from './logic.ts';
import { MemorySchedulerStore } from './memory-store.ts';
import { loadPipelineRules } from './rule-set.ts';

const ruleSet = loadPipelineRules();
const JOIN = 'join-fci-cycle';
const CYCLE_61 = '20261122-061';
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** The chunks of a cycle of 2026-11-22 (default 61), each at its own time: 20 s apart from the cycle's start. */
const chunks = (numbers: readonly number[], cycle = 61): CometEvent[] =>
  numbers.map((chunk) => chunkIngested({ chunk, cycle }));
/** A forecast valid at 12:00, within 3 hours of cycle 61 (10:00) and far from cycle 1 (00:00). */
const forecast = forecastIngested({ validTime: '2026-11-22T12:00:00.000Z' });

/** The scheduler on a memory store: what it sends and stores, and its timers, delivered when due. */
function scheduler() {
  const store = new MemorySchedulerStore();
  const clock = { now: new Date(0) };
  const sent: { target: string; command: CometEvent }[] = [];
  const stored: CometEvent[] = [];
  const timers: { timer: DeadlineReachedEvent; dueAt: number }[] = [];
  const deps: SchedulerDeps = {
    ruleSet,
    store,
    append: async (event) => {
      if (stored.some((existing) => existing.id === event.id)) return false;
      stored.push(event);
      return true;
    },
    send: async (target, command) => {
      sent.push({ target, command });
    },
    sendTimer: async (timer, delaySeconds) => {
      timers.push({ timer, dueAt: clock.now.getTime() + delaySeconds * 1000 });
    },
    now: () => clock.now,
    minimumWaitSeconds: 60,
  };
  return {
    store,
    sent,
    stored,
    /** Handles events one by one, each at its own time. */
    receive: async (...events: CometEvent[]): Promise<string[]> => {
      const outcomes: string[] = [];
      for (const event of events) {
        clock.now = new Date(event.time);
        outcomes.push(...(await schedule(event, deps)).outcomes);
      }
      return outcomes;
    },
    /** Delivers the timers due by `until`, earliest first, each at its due time (re-sent ones included). */
    runTimers: async (until: string): Promise<void> => {
      for (;;) {
        timers.sort((a, b) => a.dueAt - b.dueAt);
        const next = timers[0];
        if (next === undefined || next.dueAt > Date.parse(until)) return;
        timers.shift();
        clock.now = new Date(next.dueAt);
        await schedule(next.timer, deps);
      }
    },
    processingRequests: () =>
      sent
        .map((s) => s.command)
        .filter(
          (command): command is CometEvent<typeof EventTypes.processingRequested> =>
            command.type === EventTypes.processingRequested,
        ),
    storedOf: <T extends CometEvent['type']>(type: T) =>
      stored.filter((event): event is CometEvent<T> => event.type === type),
  };
}

describe('scheduler scenarios', () => {
  it('completes only the waiting cycles within range of a forecast, caused by it and in the cycle correlation', async () => {
    // Prepare: two complete cycles wait for a forecast, cycle 1 at 00:00 and cycle 61 at 10:00.
    const fake = scheduler();
    await fake.receive(...chunks(range(1, 41), 1), ...chunks(range(1, 41), 61));

    // Act
    await fake.receive({ ...forecast, time: '2026-11-22T10:14:00.000Z' });

    // Assess
    const requests = fake.processingRequests();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      subject: CYCLE_61,
      causationid: forecast.id,
      correlationid: 'cycle-20261122-061',
    });
    expect((await fake.store.readJoin(JOIN, '20261122-001'))?.closed).toBeUndefined();
  });

  it('gives a degraded request the deadline as its time and its timer as its cause', async () => {
    // Prepare: the forecast and every chunk but 2, 20 and the trailer.
    const fake = scheduler();
    await fake.receive(forecast, ...chunks(range(1, 41).filter((chunk) => ![2, 20, 41].includes(chunk))));

    // Act
    await fake.runTimers('2026-11-22T10:15:00.000Z');

    // Assess
    const [request] = fake.processingRequests();
    expect(request).toMatchObject({
      id: commandId(JOIN, CYCLE_61),
      time: '2026-11-22T10:15:00.000Z',
      causationid: commandId(`${JOIN}#deadline`, CYCLE_61),
      correlationid: 'cycle-20261122-061',
      data: { degraded: true, missing: ['2', '20', '41'] },
    });
    expect(fake.storedOf(EventTypes.deadlineReached)).toHaveLength(1);
  });

  it('abandons a complete cycle whose forecast never came, and a forecast after the deadline does not reopen it', async () => {
    // Prepare
    const fake = scheduler();
    await fake.receive(...chunks(range(1, 41)));
    await fake.runTimers('2026-11-22T10:15:00.000Z');

    // Act
    await fake.receive({ ...forecast, time: '2026-11-22T10:20:00.000Z' });

    // Assess
    expect(fake.processingRequests()).toEqual([]);
    const abandoned = fake.storedOf(EventTypes.cycleAbandoned);
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]).toMatchObject({
      id: commandId(JOIN, CYCLE_61),
      data: { arrivedCount: 41, missing: ['forecast'] },
    });
    expect((await fake.store.readJoin(JOIN, CYCLE_61))?.closed).toBe('abandoned');
  });

  it('records a chunk that comes after its cycle fired as late once, however often it comes', async () => {
    // Prepare: the cycle fires degraded at its deadline without its trailer.
    const fake = scheduler();
    await fake.receive(forecast, ...chunks(range(1, 40)));
    await fake.runTimers('2026-11-22T10:15:00.000Z');
    const trailer = chunkIngested({ chunk: 41, time: new Date('2026-11-22T10:30:00.000Z') });

    // Act
    await fake.receive(trailer, { ...trailer, id: 'trailer-uploaded-again' });

    // Assess
    const [request] = fake.processingRequests();
    expect(fake.processingRequests()).toHaveLength(1);
    const late = fake.storedOf(EventTypes.inputLate);
    expect(late).toHaveLength(1);
    expect(late[0]?.data).toMatchObject({ slot: '41', closedBy: request?.id });
  });

  it('sends a forward command once however often its event comes', async () => {
    // Prepare
    const fake = scheduler();
    const product = productGenerated();

    // Act
    const outcomes = await fake.receive(product, { ...product, id: 'emitted-again' }, product);

    // Assess
    expect(fake.sent.map((s) => [s.target, s.command.type])).toEqual([['deliver', EventTypes.deliveryRequested]]);
    expect(outcomes.filter((outcome) => outcome.startsWith('already fired'))).toHaveLength(2);
  });
});
