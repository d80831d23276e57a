import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { parseFciName } from '#shared/conventions/mtg-fci.ts';
import { parseEcmwfName } from '#shared/conventions/ecmwf.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { ecmwfName, fciChunkName } from '#shared/samples/provider-files.ts';
import type { DeadlineReachedEvent } from '#shared/rules/index.ts';
import { schedule, type SchedulerDeps, type SchedulerEvent } from './logic.ts';
import { MemorySchedulerStore } from './memory-store.ts';
import { loadPipelineRules } from './rule-set.ts';
import { shuffled } from '#shared/testing/random.ts';
import { Lanes } from '#shared/config.ts';
import { samplesOf } from '#events/catalog.ts';

const DAY = '20261122';
const CYCLE = 61;
const SHA = (n: number): string => n.toString(16).padStart(64, '0');

/** A file.ingested event of chunk `chunk` of the test cycle. */
function chunkIngested(chunk: number, cycle = CYCLE): CometEvent {
  const name = fciChunkName(DAY, cycle, chunk);
  const attributes = parseFciName(name);
  return wrap({
    type: EventTypes.fileIngested,
    source: 'test/ingest',
    correlationId: `cycle-${attributes.cycleId}`,
    subject: name,
    data: {
      source: { bucket: 'inbox-bucket', key: `eumetsat/${name}`, size: 100, etag: `etag-${chunk}` },
      ingested: {
        bucket: 'archive-bucket',
        key: `eumetsat/2026/11/22/${name}`,
        size: 100,
        sha256: SHA(cycle * 100 + chunk),
      },
      provider: 'eumetsat',
      name,
      attributes,
    },
  });
}

/** A forecast valid at 12:00 on the test day (cycle 61 starts 10:00, within 3 h). */
function forecastIngested(validHour = 12): CometEvent {
  const name = ecmwfName(new Date(Date.UTC(2026, 10, 22, 0)), validHour);
  const attributes = parseEcmwfName(name, new Date('2026-11-22T06:00:00Z'));
  return wrap({
    type: EventTypes.fileIngested,
    source: 'test/ingest',
    correlationId: `forecast-${attributes.analysisTime}`,
    subject: name,
    data: {
      source: { bucket: 'inbox-bucket', key: `ecmwf/${name}`, size: 200, etag: 'etag-f' },
      ingested: { bucket: 'archive-bucket', key: `ecmwf/2026/11/22/${name}`, size: 200, sha256: SHA(999_999) },
      provider: 'ecmwf',
      name,
      attributes,
    },
  });
}

/** The scheduler on a memory store, recording what it sends, appends and times. */
function fakeScheduler(now = new Date('2026-11-22T10:12:00Z'), store = new MemorySchedulerStore()) {
  const sent: { target: string; command: CometEvent }[] = [];
  const appended: SchedulerEvent[] = [];
  const timers: { timer: DeadlineReachedEvent; delaySeconds: number }[] = [];
  const clock = { now };
  const deps: SchedulerDeps = {
    ruleSet: loadPipelineRules(),
    store,
    append: async (event) => {
      if (appended.some((e) => e.id === event.id)) return false;
      appended.push(event);
      return true;
    },
    send: async (target, command) => {
      sent.push({ target, command });
    },
    sendTimer: async (timer, delaySeconds) => {
      timers.push({ timer, delaySeconds });
    },
    now: () => clock.now,
    minimumWaitSeconds: 60,
  };
  return { deps, store, sent, appended, timers, clock };
}

const processingRequests = (sent: { command: CometEvent }[]) =>
  sent
    .filter((s) => s.command.type === EventTypes.processingRequested)
    .map((s) => s.command as CometEvent<typeof EventTypes.processingRequested>);

describe('schedule', () => {
  it('requests processing of a cycle exactly once when its 41 chunks and a forecast arrive shuffled, with duplicates', async () => {
    // Prepare: every chunk, a tenth of them twice, and the forecast, in a shuffled order.
    const fake = fakeScheduler();
    const chunks = Array.from({ length: 41 }, (_, i) => chunkIngested(i + 1));
    const events = shuffled([...chunks, ...chunks.filter((_, i) => i % 10 === 0), forecastIngested()], 7);

    // Act
    for (const event of events) await schedule(event, fake.deps);

    // Assess
    const requests = processingRequests(fake.sent);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.data.inputs).toHaveLength(42);
    expect(requests[0]!.data.degraded).toBe(false);
    expect(requests[0]!.correlationid).toBe('cycle-20261122-061');
    expect(fake.sent.find((s) => s.command.type === EventTypes.processingRequested)!.target).toBe('process-bulk');
    expect(fake.timers).toHaveLength(1);
  });

  it('waits for the forecast when the chunks are complete first, then fires when it arrives', async () => {
    // Prepare
    const fake = fakeScheduler();
    for (let chunk = 1; chunk <= 41; chunk += 1) await schedule(chunkIngested(chunk), fake.deps);
    const before = processingRequests(fake.sent).length;

    // Act
    await schedule(forecastIngested(), fake.deps);

    // Assess
    expect(before).toBe(0);
    expect(processingRequests(fake.sent)).toHaveLength(1);
  });

  it('ignores a forecast outside the cycle window', async () => {
    const fake = fakeScheduler();
    for (let chunk = 1; chunk <= 41; chunk += 1) await schedule(chunkIngested(chunk), fake.deps);
    await schedule(forecastIngested(18), fake.deps);
    expect(processingRequests(fake.sent)).toHaveLength(0);
  });

  it('requests degraded processing at the deadline, listing the missing chunks', async () => {
    // Prepare: 38 of 41 chunks and the forecast.
    const fake = fakeScheduler();
    await schedule(forecastIngested(), fake.deps);
    for (let chunk = 1; chunk <= 41; chunk += 1)
      if (![5, 17, 33].includes(chunk)) await schedule(chunkIngested(chunk), fake.deps);
    const { timer } = fake.timers[0]!;

    // Act: the timer arrives after its time.
    fake.clock.now = new Date('2026-11-22T10:16:00Z');
    await schedule(timer, fake.deps);

    // Assess
    const [request] = processingRequests(fake.sent);
    expect(request!.data.degraded).toBe(true);
    expect(request!.data.missing).toEqual(['5', '17', '33']);
    expect(request!.data.inputs).toHaveLength(39);
  });

  it('abandons a cycle with too few chunks at the deadline, with the reason', async () => {
    const fake = fakeScheduler();
    await schedule(forecastIngested(), fake.deps);
    for (let chunk = 1; chunk <= 20; chunk += 1) await schedule(chunkIngested(chunk), fake.deps);
    fake.clock.now = new Date('2026-11-22T10:16:00Z');
    await schedule(fake.timers[0]!.timer, fake.deps);

    expect(processingRequests(fake.sent)).toHaveLength(0);
    const abandoned = fake.appended.filter((e) => e.type === EventTypes.cycleAbandoned);
    expect(abandoned).toHaveLength(1);
    expect((abandoned[0]!.data as { reason: string }).reason).toMatch(/only 20 of 41 inputs arrived/);
  });

  it('re-arms a timer that arrives before it is due', async () => {
    const fake = fakeScheduler();
    await schedule(chunkIngested(1), fake.deps);
    await schedule(fake.timers[0]!.timer, fake.deps);
    expect(fake.timers).toHaveLength(2);
    expect(fake.timers[1]!.timer.id).not.toBe(fake.timers[0]!.timer.id);
    expect(processingRequests(fake.sent)).toHaveLength(0);
  });

  it('gives a cycle whose nominal deadline is past at least the minimum wait after its first chunk', async () => {
    const fake = fakeScheduler(new Date('2026-11-23T00:00:00Z'));
    await schedule(chunkIngested(1), fake.deps);
    expect(fake.timers[0]!.delaySeconds).toBe(60);
  });

  it('reports a chunk arriving after its cycle fired as input.late', async () => {
    // Prepare
    const fake = fakeScheduler();
    await schedule(forecastIngested(), fake.deps);
    for (let chunk = 1; chunk <= 40; chunk += 1) await schedule(chunkIngested(chunk), fake.deps);
    fake.clock.now = new Date('2026-11-22T10:16:00Z');
    await schedule(fake.timers[0]!.timer, fake.deps);

    // Act
    await schedule(chunkIngested(41), fake.deps);

    // Assess
    const late = fake.appended.filter((e) => e.type === EventTypes.inputLate);
    expect(late).toHaveLength(1);
    expect((late[0]!.data as { slot: string }).slot).toBe('41');
    expect(processingRequests(fake.sent)).toHaveLength(1);
  });

  it('routes forecast ingestion to the bulk lane, and to the container lane by file size', async () => {
    const fake = fakeScheduler();
    const available = (size: number, key: string) =>
      wrap({
        type: EventTypes.fileAvailable,
        source: 'test/intake',
        correlationId: 'c',
        data: {
          file: { bucket: 'inbox-bucket', key, size, etag: key },
          provider: 'ecmwf',
          name: key.slice(6),
          attributes: (forecastIngested() as CometEvent<typeof EventTypes.fileIngested>).data.attributes,
        },
      });
    await schedule(available(1000, 'ecmwf/S1D11220000112206001'), fake.deps);
    await schedule(available(1_300_000_000, 'ecmwf/S1D11220000112212001'), fake.deps);
    expect(fake.sent.map((s) => s.target)).toEqual(['ingest-bulk', 'ingest-container']);
  });

  it('sends work caused by bulk work to the bulk lane of its stage, carrying its lane priority', async () => {
    // Prepare: the same ingested LI file, once as real-time work and once replayed (bulk).
    const fake = fakeScheduler();
    const deps = { ...fake.deps, lanes: Lanes };
    const lightning = samplesOf(EventTypes.fileIngested).find((s) => s.file.startsWith('lightning'))!
      .event as CometEvent;
    const replayed = { ...lightning, id: `${lightning.id}-replayed`, priority: 'bulk' as const };
    const other = (event: CometEvent, sha: string): CometEvent =>
      ({
        ...event,
        data: {
          ...(event.data as object),
          ingested: { ...(event.data as { ingested: object }).ingested, sha256: sha },
        },
      }) as CometEvent;

    // Act
    await schedule(lightning, deps);
    await schedule(other(replayed, SHA(7)), deps);

    // Assess
    expect(fake.sent.map((s) => [s.target, s.command.type, s.command.priority])).toEqual([
      ['process-realtime', EventTypes.processingRequested, 'realtime'],
      ['process-bulk', EventTypes.processingRequested, 'bulk'],
    ]);
    expect(fake.appended.filter((e) => e.type === EventTypes.processingRequested).map((e) => e.priority)).toEqual([
      'realtime',
      'bulk',
    ]);
  });

  it('wakes the target of every command after sending it, and again when a failed wake-up is retried', async () => {
    // Prepare
    const fake = fakeScheduler();
    const order: string[] = [];
    let failures = 1;
    const deps: SchedulerDeps = {
      ...fake.deps,
      send: async (target, command) => {
        order.push(`send ${target} ${command.id}`);
      },
      wake: async (target, command) => {
        order.push(`wake ${target} ${command.id}`);
        if (failures-- > 0) throw new Error('ThrottlingException');
      },
    };
    const big = wrap({
      type: EventTypes.fileAvailable,
      source: 'test/intake',
      correlationId: 'c',
      data: {
        file: { bucket: 'inbox-bucket', key: 'ecmwf/S1D11220000112212001', size: 1_300_000_000, etag: 'e' },
        provider: 'ecmwf',
        name: 'S1D11220000112212001',
        attributes: (forecastIngested() as CometEvent<typeof EventTypes.fileIngested>).data.attributes,
      },
    });

    // Act: the first attempt fails at the wake-up, the retry (same event) succeeds.
    await expect(schedule(big, deps)).rejects.toThrow('ThrottlingException');
    await schedule(big, deps);
    await schedule(big, deps);

    // Assess: the same command sent twice (the worker deduplicates it), woken after each send; the third delivery does nothing.
    const [first, second] = order.map((line) => line.split(' ').slice(0, 2).join(' '));
    expect([first, second]).toEqual(['send ingest-container', 'wake ingest-container']);
    expect(order).toHaveLength(4);
    expect(new Set(order.map((line) => line.split(' ')[2])).size).toBe(1);
  });

  it('makes the same number of store requests for the 10th and the 40th chunk of a join', async () => {
    // Prepare
    const fake = fakeScheduler();
    const requestsFor = async (event: CometEvent): Promise<number> => {
      const before = [...fake.store.requests.values()].reduce((a, b) => a + b, 0);
      await schedule(event, fake.deps);
      return [...fake.store.requests.values()].reduce((a, b) => a + b, 0) - before;
    };
    for (let chunk = 1; chunk < 10; chunk += 1) await schedule(chunkIngested(chunk), fake.deps);

    // Act
    const tenth = await requestsFor(chunkIngested(10));
    for (let chunk = 11; chunk < 40; chunk += 1) await schedule(chunkIngested(chunk), fake.deps);
    const fortieth = await requestsFor(chunkIngested(40));

    // Assess
    expect(fortieth).toBe(tenth);
  });
});

describe('schedule after a join closed', () => {
  it('treats a copy of a chunk the product already used as a duplicate, not a late input', async () => {
    // Prepare: a complete cycle, fired.
    const fake = fakeScheduler();
    await schedule(forecastIngested(), fake.deps);
    for (let chunk = 1; chunk <= 41; chunk += 1) await schedule(chunkIngested(chunk), fake.deps);

    // Act: chunk 7 comes again.
    await schedule(chunkIngested(7), fake.deps);

    // Assess
    expect(fake.appended.filter((e) => e.type === EventTypes.inputLate)).toHaveLength(0);
    expect(processingRequests(fake.sent)).toHaveLength(1);
  });
});

/**
 * A memory store that runs `during` once, the first time `operation` is called: after the slots were read (their
 * answer is then stale), or before the close is written.
 */
class InterleavingStore extends MemorySchedulerStore {
  public during: { operation: 'slots' | 'close'; run: () => Promise<void> } | undefined;

  private async interleave(operation: 'slots' | 'close'): Promise<void> {
    const during = this.during;
    if (during?.operation !== operation) return;
    this.during = undefined;
    await during.run();
  }

  public override async slots(...args: Parameters<MemorySchedulerStore['slots']>) {
    const slots = await super.slots(...args);
    await this.interleave('slots');
    return slots;
  }

  public override async close(...args: Parameters<MemorySchedulerStore['close']>) {
    await this.interleave('close');
    return super.close(...args);
  }
}

describe('schedule when a chunk races the close of its join', () => {
  for (const operation of ['slots', 'close'] as const) {
    it(`uses a chunk recorded while the deadline's close ${operation === 'slots' ? 'has read the slots' : 'is being written'}, or reports it late`, async () => {
      // Prepare: 39 of 41 chunks and the forecast; chunk 41 is recorded by another instance as the deadline closes.
      const store = new InterleavingStore();
      const fake = fakeScheduler(undefined, store);
      await schedule(forecastIngested(), fake.deps);
      for (let chunk = 1; chunk <= 39; chunk += 1) await schedule(chunkIngested(chunk), fake.deps);
      const { timer } = fake.timers[0]!;
      fake.clock.now = new Date('2026-11-22T10:16:00Z');
      store.during = { operation, run: async () => void (await schedule(chunkIngested(41), fake.deps)) };

      // Act
      await schedule(timer, fake.deps);

      // Assess: the chunk is an input of the one request, or reported late; never neither, never both.
      const requests = processingRequests(fake.sent);
      expect(requests).toHaveLength(1);
      const used = requests[0]!.data.inputs.some((input) => input.name === chunkIngested(41).subject);
      const late = fake.appended.filter((e) => e.type === EventTypes.inputLate);
      expect(used || late.length === 1).toBe(true);
      expect(used && late.length > 0).toBe(false);
      expect(requests[0]!.data.missing).toEqual(used ? ['40'] : ['40', '41']);
    });
  }

  it('fires the command of a join it closed when its first run failed after closing, on the retry of the same timer', async () => {
    // Prepare: a degraded cycle whose first deadline run fails on the send.
    const fake = fakeScheduler();
    await schedule(forecastIngested(), fake.deps);
    for (let chunk = 1; chunk <= 39; chunk += 1) await schedule(chunkIngested(chunk), fake.deps);
    const { timer } = fake.timers[0]!;
    fake.clock.now = new Date('2026-11-22T10:16:00Z');
    const send = fake.deps.send;
    let failures = 1;
    const deps: SchedulerDeps = {
      ...fake.deps,
      send: async (target, command, delay) => {
        if (failures-- > 0) throw new Error('SQS unavailable');
        await send(target, command, delay);
      },
    };
    await expect(schedule(timer, deps)).rejects.toThrow('SQS unavailable');

    // Act: the timer comes again (its message was not deleted); a late chunk comes in between.
    await schedule(chunkIngested(40), deps);
    await schedule(timer, deps);

    // Assess: one request; chunk 40 is in it or reported late, not both.
    const requests = processingRequests(fake.sent);
    expect(requests).toHaveLength(1);
    const used = requests[0]!.data.inputs.some((input) => input.name === chunkIngested(40).subject);
    const late = fake.appended.filter((e) => e.type === EventTypes.inputLate);
    expect(late).toHaveLength(used ? 0 : 1);
    expect(requests[0]!.data.missing).toEqual(used ? ['41'] : ['40', '41']);
  });
});
