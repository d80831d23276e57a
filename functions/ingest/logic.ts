/**
 * Ingest: streams a file from the inbox to its archive location while checking it (SHA-256,
 * the upload's S3 checksum when it carried one, signature, GRIB2 structure), so nothing wrong is
 * ever visible in the archive. A file that fails the check is quarantined with the reason. Pure:
 * effects go through `IngestDeps`, and the same function runs in the Lambda handler and in the
 * container entry point; only the Lambda passes a time budget, and only the container an abort
 * signal for SIGTERM.
 */
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EventTypes, type CometEvent, type FileAttributes } from '#events/registry.ts';
import { sourceOf } from '#shared/config.ts';
import { formatOf } from '#shared/conventions/inbox.ts';
import { FileRejectedError } from '#shared/conventions/rejection.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { ObjectReplacedError, PipelineError } from '#shared/errors.ts';
import { ContentInspector } from '#shared/formats/content-inspector.ts';
import { stableId } from '#shared/ids.ts';
import { rejectFile, type RejectionDeps } from '#shared/storage/reject-file.ts';

/** A streamed write to the archive: feed `body`, then `done()` completes it or throws. */
export interface ArchiveWrite {
  readonly body: Writable;
  readonly done: () => Promise<void>;
  /** Abandons the write; resolves once nothing of it can become visible any more. */
  readonly abort: () => Promise<void>;
}

/** An inbox object opened for reading. */
export interface OpenedObject {
  readonly body: Readable;
  /**
   * The SHA-256 checksum S3 stored with the upload (base64), when the upload carried one. A
   * multipart upload's is composite, `<base64>-<parts>`: a digest of the parts' digests.
   */
  readonly checksumSha256?: string;
  /** `FULL_OBJECT` or `COMPOSITE`, when S3 says. */
  readonly checksumType?: string;
}

/** The effects ingest needs. */
export interface IngestDeps {
  readonly archiveBucket: string;
  /**
   * The content and stored checksum of the upload with this ETag, or undefined when the key is no
   * longer in the inbox; throws `ObjectReplacedError` when the key now holds another upload.
   */
  readonly open: (bucket: string, key: string, etag: string) => Promise<OpenedObject | undefined>;
  readonly write: (bucket: string, key: string, metadata: Record<string, string>) => ArchiveWrite;
  /** Copies this version of the file to quarantine with its reason (`RejectionDeps`). */
  readonly quarantine: RejectionDeps['quarantine'];
  /** Removes this version of the file from the inbox, once its quarantined copy is announced. */
  readonly discard: RejectionDeps['discard'];
  /**
   * Removes this version of the file from the inbox once its archived copy is written and
   * announced (If-Match on its ETag: a newer upload under the same key stays).
   */
  readonly release: RejectionDeps['discard'];
  readonly publish: (event: CometEvent) => Promise<void>;
}

/** The command ingest runs. */
export type IngestCommand = CometEvent<typeof EventTypes.ingestRequested>;

/**
 * The time budget of a runtime that is stopped at a deadline (Lambda). When the rest of the file
 * would not fit in it at the throughput seen so far, ingest abandons its upload and hands the
 * same command to a runtime without a deadline (the container) instead of timing out.
 */
export interface IngestBudget {
  /** Milliseconds left before the runtime is stopped (`context.getRemainingTimeInMillis`). */
  readonly remainingMs: () => number;
  /** Milliseconds kept for what follows the last byte: completing the upload and the publish. */
  readonly reserveMs: number;
  /**
   * Throughput of earlier files in this runtime, in bytes per second, to decide before reading
   * the first byte; undefined before the first measurement.
   */
  readonly expectedBytesPerSecond?: number;
  /** Sends the same command to the container's queue and wakes a worker. */
  readonly handOver: (command: IngestCommand) => Promise<void>;
}

/** Options of `ingestFile`. */
export interface IngestOptions {
  /** Abandons the file when aborted (SIGTERM in the container): the upload is aborted, nothing is published. */
  readonly signal?: AbortSignal;
  /** The Lambda's deadline; the container has none. */
  readonly budget?: IngestBudget;
  /** Told how far the file is, about once per `progressEveryMs`. */
  readonly onProgress?: (progress: IngestProgress) => void;
  /** @default 1000 */
  readonly progressEveryMs?: number;
  /** Monotonic milliseconds. @default performance.now */
  readonly now?: () => number;
}

/**
 * What happened to the upload's own S3 checksum: compared with the streamed SHA-256, not
 * comparable (a multipart upload's composite checksum is a digest of its parts' digests, and the
 * part boundaries the uploader used are unknown here), or absent.
 */
export type ChecksumCheck = 'verified' | 'composite-not-comparable' | 'none';

/** What ingest did with one request. */
export type IngestOutcome =
  | {
      readonly outcome: 'ingested';
      readonly event: CometEvent<typeof EventTypes.fileIngested>;
      readonly checksum: ChecksumCheck;
      readonly bytesPerSecond: number;
    }
  | { readonly outcome: 'rejected'; readonly event: CometEvent<typeof EventTypes.fileRejected> }
  | { readonly outcome: 'handed-over'; readonly key: string; readonly reason: string }
  | { readonly outcome: 'gone'; readonly key: string }
  /** The key holds another upload now (the provider replaced the file): that one has its own command. */
  | { readonly outcome: 'replaced'; readonly key: string; readonly reason: string };

/** The file was abandoned on request (SIGTERM): its upload is aborted, nothing was published. */
export class IngestInterruptedError extends PipelineError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
    this.name = 'IngestInterruptedError';
  }
}

const source = sourceOf('ingest');

/** Where an ingested file lands: `<provider>/<YYYY>/<MM>/<DD>/<name>`, dated by sensing or analysis. */
export function archiveKeyOf(provider: string, name: string, attributes: FileAttributes): string {
  const date = attributes.kind === 'forecast' ? attributes.analysisTime : attributes.sensingStart;
  return `${provider}/${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/${name}`;
}

/** The full-object SHA-256 to verify, or why there is none. */
function checksumToVerify(opened: OpenedObject): { check: ChecksumCheck; expected?: string } {
  const value = opened.checksumSha256;
  if (value === undefined || value === '') return { check: 'none' };
  if (opened.checksumType === 'COMPOSITE' || /-\d+$/.test(value)) return { check: 'composite-not-comparable' };
  return { check: 'verified', expected: value };
}

/** Milliseconds the rest of the file needs at `bytesPerSecond`. */
const millisFor = (bytes: number, bytesPerSecond: number): number => (bytes / bytesPerSecond) * 1000;

/** How far a file is. */
export interface IngestProgress {
  readonly doneBytes: number;
  readonly totalBytes: number;
  /** Since the first byte. */
  readonly bytesPerSecond: number;
}

/**
 * Counts bytes as they pass and, at most once per `everyMs`, reports the progress to `onTick`;
 * a reason returned by `onTick` fails the stream and is kept in `stoppedBecause`.
 */
class ProgressMeter extends Transform {
  public stoppedBecause: string | undefined;
  private bytes = 0;
  private readonly started: number;
  private lastTick: number;
  private readonly total: number;
  private readonly everyMs: number;
  private readonly now: () => number;
  private readonly onTick: (progress: IngestProgress) => string | undefined;

  public constructor(
    total: number,
    everyMs: number,
    now: () => number,
    onTick: (progress: IngestProgress) => string | undefined,
  ) {
    super();
    this.total = total;
    this.everyMs = everyMs;
    this.now = now;
    this.onTick = onTick;
    this.started = now();
    this.lastTick = this.started;
  }

  public override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const now = this.now();
    if (now - this.lastTick >= this.everyMs) {
      this.lastTick = now;
      const bytesPerSecond = (this.bytes / Math.max(1, now - this.started)) * 1000;
      const reason = this.onTick({ doneBytes: this.bytes, totalBytes: this.total, bytesPerSecond });
      if (reason !== undefined) {
        this.stoppedBecause = reason;
        callback(new Error(reason));
        return;
      }
    }
    callback(null, chunk);
  }
}

/** The reason to hand over, from the progress and the budget left, or undefined. */
function handOverWhileReading(progress: IngestProgress, budget: IngestBudget): string | undefined {
  const needed = millisFor(progress.totalBytes - progress.doneBytes, progress.bytesPerSecond);
  const left = budget.remainingMs() - budget.reserveMs;
  if (needed <= left) return undefined;
  return `after ${progress.doneBytes} of ${progress.totalBytes} bytes at ${Math.round(progress.bytesPerSecond)} B/s the rest needs ${Math.round(needed)} ms; ${Math.max(0, Math.round(left))} ms are left before the reserve`;
}

/** The reason to hand over before reading, from earlier files' throughput, or undefined. */
function handOverBeforeReading(size: number, budget: IngestBudget): string | undefined {
  const left = budget.remainingMs() - budget.reserveMs;
  if (left <= 0) return `no time is left before the reserve of ${budget.reserveMs} ms`;
  const rate = budget.expectedBytesPerSecond;
  if (rate === undefined || rate <= 0) return undefined;
  const needed = millisFor(size, rate);
  return needed > left
    ? `${size} bytes at the ${Math.round(rate)} B/s seen on earlier files need ${Math.round(needed)} ms; ${Math.round(left)} ms are left before the reserve`
    : undefined;
}

/**
 * Ingests the file a command names. With `options.budget` (Lambda) it hands the file over to
 * the container when its deadline would not cover the rest; with `options.signal` (container)
 * it abandons the file when aborted, leaving no object, and throws `IngestInterruptedError`.
 *
 * @example
 * await ingestFile(command, deps);
 * await ingestFile(command, deps, { budget: { remainingMs: () => context.getRemainingTimeInMillis(), reserveMs: 15_000, handOver } });
 */
export async function ingestFile(
  command: IngestCommand,
  deps: IngestDeps,
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const { file, provider, name, attributes } = command.data;
  const { signal, budget, onProgress } = options;
  const now = options.now ?? (() => performance.now());
  // A function, not a property read: TypeScript would keep the narrowing of the first check.
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted())
    throw new IngestInterruptedError(`Ingest of ${file.key} abandoned before it started`, { cause: signal?.reason });
  let opened: OpenedObject | undefined;
  try {
    opened = await deps.open(file.bucket, file.key, file.etag);
  } catch (error) {
    if (error instanceof ObjectReplacedError) return { outcome: 'replaced', key: file.key, reason: error.message };
    throw error;
  }
  if (opened === undefined) return { outcome: 'gone', key: file.key };
  if (budget !== undefined) {
    const early = handOverBeforeReading(file.size, budget);
    if (early !== undefined) {
      opened.body.destroy();
      await budget.handOver(command);
      return { outcome: 'handed-over', key: file.key, reason: early };
    }
  }
  const checksum = checksumToVerify(opened);
  const archived = { bucket: deps.archiveBucket, key: archiveKeyOf(provider, name, attributes) };
  const inspector = new ContentInspector(formatOf(attributes), file.size, checksum.expected);
  const meter = new ProgressMeter(file.size, options.progressEveryMs ?? 1000, now, (progress) => {
    onProgress?.(progress);
    return budget === undefined ? undefined : handOverWhileReading(progress, budget);
  });
  const write = deps.write(archived.bucket, archived.key, { 'source-key': file.key, 'source-etag': file.etag });
  const started = now();
  try {
    const stages: (Readable | Transform | Writable)[] = [opened.body, meter, inspector, write.body];
    await Promise.all([signal === undefined ? pipeline(stages) : pipeline(stages, { signal }), write.done()]);
  } catch (error) {
    await write.abort();
    if (meter.stoppedBecause !== undefined && budget !== undefined) {
      await budget.handOver(command);
      return { outcome: 'handed-over', key: file.key, reason: meter.stoppedBecause };
    }
    if (aborted()) {
      throw new IngestInterruptedError(
        `Ingest of ${file.key} abandoned after ${inspector.bytesSeen} bytes: its upload is aborted`,
        { cause: signal?.reason },
      );
    }
    if (!(error instanceof FileRejectedError)) throw error;
    try {
      const event = await rejectFile(file, error, { source, cause: command }, deps);
      return { outcome: 'rejected', event };
    } catch (replaced) {
      if (replaced instanceof ObjectReplacedError)
        return { outcome: 'replaced', key: file.key, reason: replaced.message };
      throw replaced;
    }
  }
  const { sha256, size } = inspector.inspection;
  const bytesPerSecond = (size / Math.max(1, now() - started)) * 1000;
  const event = wrap({
    type: EventTypes.fileIngested,
    source,
    cause: command,
    subject: file.key,
    id: stableId('ingested', file.key, file.etag),
    data: { source: file, ingested: { ...archived, size, sha256 }, provider, name, attributes },
  });
  await deps.publish(event);
  // Retention: the archived copy is complete (S3 acknowledged the write of bytes whose SHA-256,
  // and the provider's checksum when given, were verified on the way) and announced, so the
  // inbox copy only doubles storage. A failure here retries the command, which is idempotent.
  await deps.release(file);
  return { outcome: 'ingested', event, checksum: checksum.check, bytesPerSecond };
}
