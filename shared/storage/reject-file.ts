/**
 * Giving up on a provider file, the one way both intake (name, size, first bytes) and ingest
 * (content) do it: copy it to quarantine with its reason (`quarantineObject` in s3.ts), announce
 * `file.rejected`, and only then remove it from the inbox, so the file exists somewhere at every
 * moment and a retry after a failed publish finds it still in the inbox. Pure: the effects come in.
 */
import { EventTypes, type CometEvent } from '#events/registry.ts';
import type { FileRejectedError } from '../conventions/rejection.ts';
import { wrap } from '../envelope/envelope.ts';
import { stableId } from '../ids.ts';

/** Where a rejected file is. */
export interface RejectedFile {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
}

/** An upload: its key and the ETag of this version of it. */
export interface UploadVersion {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
}

/** The effects of a rejection. */
export interface RejectionDeps {
  /**
   * Copies this version of the file to quarantine (a key of its own per version: two bad
   * uploads under one name keep two copies) with its reason; returns where it went. Throws
   * `ObjectReplacedError` when the key now holds another upload.
   */
  readonly quarantine: (file: UploadVersion, rejection: FileRejectedError) => Promise<{ bucket: string; key: string }>;
  readonly publish: (event: CometEvent) => Promise<void>;
  /** Removes this version of the file from the inbox (a newer upload under the key stays). */
  readonly discard: (file: UploadVersion) => Promise<void>;
}

/** Who rejects, and in which correlation: the command's (with `cause`) or an own one. */
export type RejectionContext =
  | { readonly source: string; readonly cause: CometEvent; readonly correlationId?: undefined }
  | { readonly source: string; readonly correlationId: string; readonly cause?: undefined };

/**
 * Quarantines `file`, publishes its `file.rejected` (id from key and ETag: a redelivery yields
 * the same event) and removes it from the inbox; returns the event.
 *
 * @example
 * const event = await rejectFile(file, error, { source: sourceOf('intake'), correlationId: `upload-${file.key}` }, deps);
 */
export async function rejectFile(
  file: RejectedFile,
  rejection: FileRejectedError,
  context: RejectionContext,
  deps: RejectionDeps,
): Promise<CometEvent<typeof EventTypes.fileRejected>> {
  const quarantine = await deps.quarantine(file, rejection);
  const event = wrap({
    type: EventTypes.fileRejected,
    source: context.source,
    subject: file.key,
    id: stableId('rejected', file.key, file.etag),
    ...(context.cause === undefined ? { correlationId: context.correlationId } : { cause: context.cause }),
    data: {
      file: { bucket: file.bucket, key: file.key, size: file.size },
      quarantine,
      code: rejection.code,
      reason: rejection.message,
    },
  });
  await deps.publish(event);
  await deps.discard(file);
  return event;
}
