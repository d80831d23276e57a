/**
 * The container's worker loop, independent of AWS: it long-polls its queue for one message at a
 * time, processes it, deletes it on success and leaves it on failure (visible again after a
 * backoff, at once for a terminal error, so the queue's redrive policy moves poison to the DLQ
 * after maxReceiveCount receives). While a message is processed its lease (visibility timeout)
 * is extended, so a long file is not delivered twice. It exits after an idle period with an
 * empty queue.
 *
 * On stop (SIGTERM) it receives nothing more. The current file finishes if it does within the
 * grace period; otherwise it is abandoned (its multipart upload aborted, so no half-ingested
 * object is ever visible) and its message made visible again at once, so another worker ingests
 * it once. The grace period ends early when the throughput seen so far says the file cannot
 * finish in it.
 */
import { PipelineError } from '#shared/errors.ts';

/** A message received from the queue. */
export interface WorkerMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: number;
}

/** The queue, as the worker uses it. */
export interface WorkerQueue {
  /** One message, waiting up to `waitSeconds`; undefined when none came. */
  readonly receive: (waitSeconds: number) => Promise<WorkerMessage | undefined>;
  readonly remove: (message: WorkerMessage) => Promise<void>;
  /** Sets when the message is visible again: 0 is at once. */
  readonly setVisibility: (message: WorkerMessage, seconds: number) => Promise<void>;
}

/** Progress of the current file, for the early end of the grace period. */
export interface FileProgress {
  readonly doneBytes: number;
  readonly totalBytes: number;
  readonly bytesPerSecond: number;
}

/** Processes one message; aborting `signal` abandons it. Returns a short outcome for the log. */
export type ProcessMessage = (
  message: WorkerMessage,
  signal: AbortSignal,
  progress: (p: FileProgress) => void,
) => Promise<string>;

/** Settings of the worker loop. */
export interface WorkerOptions {
  /** Exit after this long without a message. */
  readonly idleMs: number;
  /** After a stop, how long the current file may take to finish before it is abandoned. */
  readonly graceMs: number;
  /** The message's lease: the visibility timeout set (and renewed) while it is processed. */
  readonly leaseSeconds: number;
  /**
   * Long-poll wait per receive. A receive is never cut short (a message SQS handed out to an
   * aborted request would stay invisible for a whole lease), so this bounds the exit time.
   * @default 10
   */
  readonly waitSeconds?: number;
  /** Aborted on SIGTERM. */
  readonly stop: AbortSignal;
  /** Retry delay of a retryable failure, by receive count and error (see `retryDelaySeconds`). */
  readonly backoffSeconds: (receiveCount: number, error: unknown) => number;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /**
   * Told of every failed message before it is made visible again: the container writes the
   * failure record of a message on its last receive before the DLQ. A failure here is logged.
   * @default - nothing recorded
   */
  readonly onFailure?: (message: WorkerMessage, error: unknown) => Promise<void>;
  /** Monotonic milliseconds. @default performance.now */
  readonly now?: () => number;
}

/** What the worker did before it exited. */
export interface WorkerSummary {
  readonly processed: number;
  readonly failed: number;
  readonly handedBack: number;
  readonly exit: 'idle' | 'stopped';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the loop until the queue stayed empty for `idleMs` or `stop` was aborted.
 *
 * @example
 * const summary = await runWorker(queue, processMessage, { idleMs: 60_000, graceMs: 20_000, leaseSeconds: 300, stop, backoffSeconds, log });
 */
export async function runWorker(
  queue: WorkerQueue,
  processMessage: ProcessMessage,
  options: WorkerOptions,
): Promise<WorkerSummary> {
  const now = options.now ?? (() => performance.now());
  const waitSeconds = options.waitSeconds ?? 10;
  let processed = 0;
  let failed = 0;
  let handedBack = 0;
  let idleSince = now();
  while (!options.stop.aborted) {
    const idleLeft = options.idleMs - (now() - idleSince);
    if (idleLeft <= 0) break;
    let message: WorkerMessage | undefined;
    try {
      message = await queue.receive(Math.max(0, Math.min(waitSeconds, Math.ceil(idleLeft / 1000))));
    } catch (error) {
      options.log('warn', 'receive failed', { error: String(error) });
      await sleep(1000);
      continue;
    }
    if (message === undefined) continue;
    if (options.stop.aborted) {
      // Received while stopping: hand it back untouched.
      await queue.setVisibility(message, 0);
      handedBack += 1;
      break;
    }
    const outcome = await processOne(queue, processMessage, message, options, now);
    if (outcome === 'processed') processed += 1;
    else if (outcome === 'handed-back') handedBack += 1;
    else failed += 1;
    idleSince = now();
  }
  return { processed, failed, handedBack, exit: options.stop.aborted ? 'stopped' : 'idle' };
}

async function processOne(
  queue: WorkerQueue,
  processMessage: ProcessMessage,
  message: WorkerMessage,
  options: WorkerOptions,
  now: () => number,
): Promise<'processed' | 'failed' | 'handed-back'> {
  const abandon = new AbortController();
  let progress: FileProgress | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const onStop = (): void => {
    const left =
      progress === undefined || progress.bytesPerSecond <= 0
        ? 0
        : ((progress.totalBytes - progress.doneBytes) / progress.bytesPerSecond) * 1000;
    // Waiting out the grace period for a file that cannot finish in it only delays its hand-back.
    if (progress !== undefined && left > options.graceMs) {
      abandon.abort(
        new Error(
          `stopped; the rest of the file needs about ${Math.round(left)} ms, more than the grace period of ${options.graceMs} ms`,
        ),
      );
      return;
    }
    graceTimer = setTimeout(
      () =>
        abandon.abort(new Error(`stopped; the file did not finish within the grace period of ${options.graceMs} ms`)),
      options.graceMs,
    );
  };
  options.stop.addEventListener('abort', onStop, { once: true });
  // Renews the lease at a third of it, so two renewals may fail before the message reappears.
  const heartbeat = setInterval(
    () => {
      queue.setVisibility(message, options.leaseSeconds).catch((error: unknown) =>
        options.log('warn', 'could not extend the lease of the message', {
          messageId: message.messageId,
          error: String(error),
        }),
      );
    },
    Math.max(1000, (options.leaseSeconds * 1000) / 3),
  );
  const started = now();
  try {
    const outcome = await processMessage(message, abandon.signal, (p) => {
      progress = p;
    });
    await queue.remove(message);
    options.log('info', 'message processed', {
      messageId: message.messageId,
      outcome,
      ms: Math.round(now() - started),
    });
    return 'processed';
  } catch (error) {
    if (abandon.signal.aborted) {
      await queue.setVisibility(message, 0);
      options.log('warn', 'file handed back on stop', {
        messageId: message.messageId,
        reason: String(abandon.signal.reason),
        error: String(error),
      });
      return 'handed-back';
    }
    const retryable = !(error instanceof PipelineError) || error.retryable;
    const delay = retryable ? options.backoffSeconds(message.receiveCount, error) : 0;
    options.log('error', 'message failed', {
      messageId: message.messageId,
      receiveCount: message.receiveCount,
      retryable,
      retryInSeconds: delay,
      errorName: error instanceof Error ? error.name : 'Unknown',
      reason: error instanceof Error ? error.message : String(error),
    });
    await options.onFailure?.(message, error).catch((recordError: unknown) =>
      options.log('warn', 'could not record the failure of a message', {
        messageId: message.messageId,
        error: String(recordError),
      }),
    );
    await queue.setVisibility(message, delay).catch((visibilityError: unknown) =>
      options.log('warn', 'could not change the visibility of a failed message; it waits for its lease', {
        messageId: message.messageId,
        error: String(visibilityError),
      }),
    );
    return 'failed';
  } finally {
    clearInterval(heartbeat);
    clearTimeout(graceTimer);
    options.stop.removeEventListener('abort', onStop);
  }
}
