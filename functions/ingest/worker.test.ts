import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#shared/errors.ts';
import { runWorker, type ProcessMessage, type WorkerMessage, type WorkerOptions, type WorkerQueue } from './worker.ts';

const message = (id: string, receiveCount = 1): WorkerMessage => ({
  messageId: id,
  receiptHandle: `handle-${id}`,
  body: `{"id":"${id}"}`,
  receiveCount,
});
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A queue holding `messages`; records deletions and visibility changes. */
function fakeQueue(messages: WorkerMessage[]) {
  const waiting = [...messages];
  const removed: string[] = [];
  const visibility: { id: string; seconds: number }[] = [];
  let receives = 0;
  const queue: WorkerQueue = {
    receive: async () => {
      receives += 1;
      const next = waiting.shift();
      if (next === undefined) await sleep(5);
      return next;
    },
    remove: async (m) => {
      removed.push(m.messageId);
    },
    setVisibility: async (m, seconds) => {
      visibility.push({ id: m.messageId, seconds });
    },
  };
  return { queue, removed, visibility, receives: () => receives, waiting };
}

function options(overrides: Partial<WorkerOptions> = {}): WorkerOptions {
  return {
    idleMs: 50,
    graceMs: 1_000,
    leaseSeconds: 300,
    stop: new AbortController().signal,
    backoffSeconds: (count) => 2 ** count,
    log: () => undefined,
    ...overrides,
  };
}

/** A process function that takes `ms` unless its signal aborts first (then it throws). */
const slowProcess =
  (ms: number, calls: string[] = []): ProcessMessage =>
  (m, signal) =>
    new Promise((resolve, reject) => {
      calls.push(m.messageId);
      const timer = setTimeout(() => resolve('ingested'), ms);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(new Error('aborted'));
        },
        { once: true },
      );
    });

describe('runWorker', () => {
  it('processes messages one at a time, deletes them, and exits after the idle period', async () => {
    // Prepare
    const fake = fakeQueue([message('a'), message('b')]);
    const calls: string[] = [];

    // Act
    const summary = await runWorker(fake.queue, slowProcess(1, calls), options());

    // Assess
    expect(calls).toEqual(['a', 'b']);
    expect(fake.removed).toEqual(['a', 'b']);
    expect(summary).toEqual({ processed: 2, failed: 0, handedBack: 0, exit: 'idle' });
  });

  it('leaves a retryable failure for a backoff and a terminal one visible at once, deleting neither', async () => {
    // Prepare
    const fake = fakeQueue([message('flaky', 2), message('poison', 1)]);
    const process: ProcessMessage = async (m) => {
      if (m.messageId === 'flaky') throw new Error('socket hang up');
      throw new InvalidInputError('not an ingest.requested');
    };

    // Act
    const summary = await runWorker(fake.queue, process, options());

    // Assess
    expect(fake.removed).toEqual([]);
    expect(fake.visibility).toEqual([
      { id: 'flaky', seconds: 4 },
      { id: 'poison', seconds: 0 },
    ]);
    expect(summary).toMatchObject({ processed: 0, failed: 2 });
  });

  it('finishes the current file when it completes within the grace period after a stop, then exits', async () => {
    // Prepare
    const fake = fakeQueue([message('a'), message('b')]);
    const stop = new AbortController();
    const calls: string[] = [];
    const process: ProcessMessage = async (m, signal, progress) => {
      stop.abort(new Error('SIGTERM'));
      return slowProcess(30, calls)(m, signal, progress);
    };

    // Act
    const summary = await runWorker(
      fake.queue,
      process,
      options({ stop: stop.signal, graceMs: 1_000, idleMs: 10_000 }),
    );

    // Assess: b is never received.
    expect(calls).toEqual(['a']);
    expect(fake.removed).toEqual(['a']);
    expect(fake.waiting.map((m) => m.messageId)).toEqual(['b']);
    expect(summary).toEqual({ processed: 1, failed: 0, handedBack: 0, exit: 'stopped' });
  });

  it('abandons the file at the end of the grace period and makes its message visible again at once', async () => {
    // Prepare
    const fake = fakeQueue([message('big')]);
    const stop = new AbortController();
    let aborted: unknown;
    const process: ProcessMessage = (m, signal, progress) => {
      signal.addEventListener('abort', () => {
        aborted = signal.reason;
      });
      setTimeout(() => stop.abort(new Error('SIGTERM')), 5);
      return slowProcess(5_000)(m, signal, progress);
    };
    const t0 = performance.now();

    // Act
    const summary = await runWorker(fake.queue, process, options({ stop: stop.signal, graceMs: 100, idleMs: 10_000 }));

    // Assess
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(2_000);
    expect(String(aborted)).toContain('did not finish within the grace period of 100 ms');
    expect(fake.removed).toEqual([]);
    expect(fake.visibility).toEqual([{ id: 'big', seconds: 0 }]);
    expect(summary).toEqual({ processed: 0, failed: 0, handedBack: 1, exit: 'stopped' });
  });

  it('abandons at once a file whose rest cannot finish within the grace period at the throughput seen', async () => {
    // Prepare
    const fake = fakeQueue([message('big')]);
    const stop = new AbortController();
    let aborted: unknown;
    const process: ProcessMessage = (m, signal, progress) => {
      progress({ doneBytes: 100, totalBytes: 1_000_100, bytesPerSecond: 1_000 });
      signal.addEventListener('abort', () => {
        aborted = signal.reason;
      });
      setTimeout(() => stop.abort(new Error('SIGTERM')), 5);
      return slowProcess(5_000)(m, signal, progress);
    };
    const t0 = performance.now();

    // Act
    const summary = await runWorker(
      fake.queue,
      process,
      options({ stop: stop.signal, graceMs: 20_000, idleMs: 60_000 }),
    );

    // Assess: 1 000 000 bytes at 1 000 B/s need 1 000 s, far beyond 20 s.
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(String(aborted)).toContain('more than the grace period of 20000 ms');
    expect(fake.visibility).toEqual([{ id: 'big', seconds: 0 }]);
    expect(summary.handedBack).toBe(1);
  });

  it('receives nothing once stopped', async () => {
    // Prepare
    const fake = fakeQueue([message('a')]);
    const stop = new AbortController();
    stop.abort(new Error('SIGTERM'));

    // Act
    const summary = await runWorker(fake.queue, slowProcess(1), options({ stop: stop.signal }));

    // Assess
    expect(fake.receives()).toBe(0);
    expect(summary).toEqual({ processed: 0, failed: 0, handedBack: 0, exit: 'stopped' });
  });

  it('extends the lease of a long file every third of it', async () => {
    // Prepare: a 3 s lease is renewed every second.
    const fake = fakeQueue([message('long')]);

    // Act
    await runWorker(fake.queue, slowProcess(2_300), options({ leaseSeconds: 3 }));

    // Assess
    expect(fake.visibility).toEqual([
      { id: 'long', seconds: 3 },
      { id: 'long', seconds: 3 },
    ]);
    expect(fake.removed).toEqual(['long']);
  });
});
