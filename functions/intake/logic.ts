/**
 * Intake: the first look at an uploaded file. It identifies the file from its key, checks size
 * and signature with two ranged reads, quarantines what is wrong with a reason, registers the
 * rest in the catalog (a conditional write: the same content uploaded again is a duplicate)
 * and publishes `file.available`. Pure: every effect goes through `IntakeDeps`.
 */
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { sourceOf } from '#shared/config.ts';
import { identifyInboxKey, formatOf, type ProviderFile } from '#shared/conventions/inbox.ts';
import type { ProviderTable } from '#shared/conventions/providers.ts';
import { FileRejectedError } from '#shared/conventions/rejection.ts';
import { liCorrelationOf } from '#shared/conventions/mtg-li.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { InvalidInputError, ObjectReplacedError } from '#shared/errors.ts';
import { checkSignature, HEAD_BYTES, HEAD_READ_BYTES, TAIL_BYTES } from '#shared/formats/signatures.ts';
import { stableId } from '#shared/ids.ts';
import { rejectFile, type RejectionDeps } from '#shared/storage/reject-file.ts';

/** An object announced by an S3 event notification. */
export interface Upload {
  readonly bucket: string;
  readonly key: string;
  readonly eventTime: Date;
  /** The ETag of the upload announced (S3 notifications carry it), without quotes. */
  readonly etag?: string;
}

/** The object as it is now in the inbox. */
export interface ObjectHead {
  readonly size: number;
  readonly etag: string;
}

/** The effects intake needs. */
export interface IntakeDeps {
  /** Size and ETag of the object, or undefined when it no longer exists. */
  readonly head: (bucket: string, key: string) => Promise<ObjectHead | undefined>;
  /** Bytes `start`..`end` inclusive. */
  readonly readRange: (bucket: string, key: string, start: number, end: number) => Promise<Buffer>;
  /** Copies this version of the object to quarantine with its reason (`RejectionDeps`). */
  readonly quarantine: RejectionDeps['quarantine'];
  /** Removes this version of the object from the inbox, once its quarantined copy is announced. */
  readonly discard: RejectionDeps['discard'];
  /**
   * Records the file: `new`; `duplicate` when the same key and content were registered and
   * announced before; `unpublished` when registered before but never announced (a crash
   * between the two), so the announcement is made again.
   */
  readonly register: (
    file: ProviderFile,
    object: ObjectHead & { bucket: string; key: string },
  ) => Promise<'new' | 'unpublished' | 'duplicate'>;
  /** Records that `file.available` was published for the object. */
  readonly markPublished: (object: ObjectHead & { bucket: string; key: string }) => Promise<void>;
  readonly publish: (event: CometEvent) => Promise<void>;
  /** The providers: prefix, naming conventions and largest file of each (`rules/providers.json`). */
  readonly providers: ProviderTable;
}

/** What intake decided about one upload. */
export type IntakeOutcome =
  | { readonly outcome: 'available'; readonly event: CometEvent<typeof EventTypes.fileAvailable> }
  | { readonly outcome: 'rejected'; readonly event: CometEvent<typeof EventTypes.fileRejected> }
  | { readonly outcome: 'duplicate' | 'gone'; readonly key: string }
  /**
   * The key holds another upload than the one announced (the provider replaced the file after
   * the notification): that upload has a notification of its own; this one is done with.
   */
  | { readonly outcome: 'replaced'; readonly key: string; readonly reason: string };

const source = sourceOf('intake');

/** A stable event id for an upload, so a redelivered notification yields the same event. */
const uploadEventId = (kind: string, key: string, etag: string): string => stableId(kind, key, etag);

/**
 * The correlation of a file: its repeat cycle for imager data, its run for forecasts, its stream
 * and window for lightning files (each one is a product of its own).
 */
export function correlationOf(file: ProviderFile): string {
  const { attributes } = file;
  switch (attributes.kind) {
    case 'forecast':
      return `forecast-${attributes.analysisTime}`;
    case 'lightning':
      return liCorrelationOf(attributes);
    default:
      return `cycle-${attributes.cycleId}`;
  }
}

async function inspect(upload: Upload, head: ObjectHead, deps: IntakeDeps): Promise<ProviderFile> {
  const file = identifyInboxKey(upload.key, upload.eventTime, deps.providers);
  const { maxFileBytes } = deps.providers.find((provider) => provider.name === file.provider)!;
  if (head.size < HEAD_BYTES) {
    throw new FileRejectedError(
      'bad-size',
      `File is ${head.size} bytes; expected at least ${HEAD_BYTES} bytes of ${formatOf(file.attributes)} content`,
    );
  }
  if (head.size > maxFileBytes) {
    throw new FileRejectedError(
      'bad-size',
      `File is ${head.size} bytes; expected at most ${maxFileBytes} bytes, the largest file provider ${file.provider} may send`,
    );
  }
  const [first, last] = await Promise.all([
    deps.readRange(upload.bucket, upload.key, 0, Math.min(head.size, HEAD_READ_BYTES) - 1),
    deps.readRange(upload.bucket, upload.key, head.size - TAIL_BYTES, head.size - 1),
  ]);
  checkSignature(formatOf(file.attributes), first, last, head.size);
  return file;
}

/**
 * Takes in one upload.
 *
 * @example
 * const outcome = await intakeUpload({ bucket, key, eventTime }, deps);
 */
export async function intakeUpload(upload: Upload, deps: IntakeDeps): Promise<IntakeOutcome> {
  const head = await deps.head(upload.bucket, upload.key);
  // A notification redelivered after the object was quarantined finds nothing: done already.
  if (head === undefined) return { outcome: 'gone', key: upload.key };
  if (upload.etag !== undefined && upload.etag !== head.etag) {
    return {
      outcome: 'replaced',
      key: upload.key,
      reason: `the notification announced ETag ${upload.etag}; the key now holds ${head.etag} (${head.size} bytes), taken in by its own notification`,
    };
  }
  let file: ProviderFile;
  try {
    file = await inspect(upload, head, deps);
  } catch (error) {
    if (!(error instanceof FileRejectedError)) throw error;
    try {
      const event = await rejectFile(
        { bucket: upload.bucket, key: upload.key, ...head },
        error,
        { source, correlationId: `upload-${upload.key}` },
        deps,
      );
      return { outcome: 'rejected', event };
    } catch (replaced) {
      if (replaced instanceof ObjectReplacedError)
        return { outcome: 'replaced', key: upload.key, reason: replaced.message };
      throw replaced;
    }
  }
  const object = { bucket: upload.bucket, key: upload.key, ...head };
  if ((await deps.register(file, object)) === 'duplicate') return { outcome: 'duplicate', key: upload.key };
  const event = wrap({
    type: EventTypes.fileAvailable,
    source,
    subject: upload.key,
    id: uploadEventId('available', upload.key, head.etag),
    correlationId: correlationOf(file),
    data: { file: object, provider: file.provider, name: file.name, attributes: file.attributes },
  });
  await deps.publish(event);
  await deps.markPublished(object);
  return { outcome: 'available', event };
}

/** An S3 event notification record, as much of it as intake reads. */
interface S3NotificationRecord {
  readonly eventName?: string;
  readonly eventTime?: string;
  readonly s3?: { bucket?: { name?: string }; object?: { key?: string; eTag?: string } };
}

/**
 * Reads the uploads out of an SQS message body holding an S3 event notification. The test
 * event S3 sends when notifications are configured yields none. Keys arrive URL-encoded with
 * `+` for spaces (S3 notification format).
 */
export function parseNotification(body: string): Upload[] {
  let message: { Event?: unknown; Records?: unknown } | null;
  try {
    message = JSON.parse(body) as typeof message;
  } catch (error) {
    throw new InvalidInputError(
      `Intake queue message is not JSON; expected an S3 event notification (first 80 characters: ${JSON.stringify(body.slice(0, 80))})`,
      { cause: error },
    );
  }
  // Anything but InvalidInputError would be retried as if it were transient: check every shape.
  if (typeof message !== 'object' || message === null) {
    throw new InvalidInputError(
      `Intake queue message is ${JSON.stringify(message)}; expected an S3 event notification object`,
    );
  }
  if (message.Event === 's3:TestEvent') return [];
  if (!Array.isArray(message.Records)) {
    throw new InvalidInputError('Intake queue message has no Records array; expected an S3 event notification');
  }
  return (message.Records as unknown[])
    .filter((r): r is S3NotificationRecord => {
      if (typeof r !== 'object' || r === null) {
        throw new InvalidInputError(
          `S3 notification record ${JSON.stringify(r)} is not an S3 event record; expected an object with eventName and s3`,
        );
      }
      const { eventName } = r as S3NotificationRecord;
      return typeof eventName === 'string' && eventName.startsWith('ObjectCreated:');
    })
    .map((r) => {
      const bucket = r.s3?.bucket?.name;
      const key = r.s3?.object?.key;
      if (typeof bucket !== 'string' || typeof key !== 'string') {
        throw new InvalidInputError('S3 notification record lacks s3.bucket.name or s3.object.key');
      }
      const eventTime = new Date(r.eventTime ?? Date.now());
      if (Number.isNaN(eventTime.getTime())) {
        throw new InvalidInputError(
          `S3 notification record has eventTime ${JSON.stringify(r.eventTime)}; expected an ISO 8601 time`,
        );
      }
      let decoded: string;
      try {
        decoded = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch (error) {
        throw new InvalidInputError(
          `S3 notification key ${JSON.stringify(key)} is not a valid URL-encoded key; expected S3's form encoding (+ for a space, %XX escapes)`,
          { cause: error },
        );
      }
      const etag = r.s3?.object?.eTag;
      return {
        bucket,
        key: decoded,
        eventTime,
        ...(typeof etag === 'string' && etag !== '' ? { etag: etag.replaceAll('"', '') } : {}),
      };
    });
}
