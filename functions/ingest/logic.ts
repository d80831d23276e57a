/**
 * Ingest: streams a file from the inbox to its archive location while checking it (SHA-256,
 * signature, GRIB2 structure), so nothing wrong is ever visible in the archive. A file that
 * fails the check is quarantined with the reason. Pure: effects go through `IngestDeps`, and the
 * same function runs in the Lambda handler and in the container entry point.
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { EventTypes, type CometEvent, type FileAttributes } from '#events/registry.ts';
import { sourceOf } from '#shared/config.ts';
import { formatOf } from '#shared/conventions/inbox.ts';
import { FileRejectedError } from '#shared/conventions/rejection.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { ContentInspector } from '#shared/formats/content-inspector.ts';

/** A streamed write to the archive: feed `body`, then `done()` completes it or throws. */
export interface ArchiveWrite {
  readonly body: Writable;
  readonly done: () => Promise<void>;
  readonly abort: () => Promise<void>;
}

/** The effects ingest needs. */
export interface IngestDeps {
  readonly archiveBucket: string;
  /** The object's content, or undefined when it is no longer in the inbox. */
  readonly open: (bucket: string, key: string) => Promise<Readable | undefined>;
  readonly write: (bucket: string, key: string, metadata: Record<string, string>) => ArchiveWrite;
  /** Copies the file to quarantine with its reason. */
  readonly quarantine: (bucket: string, key: string, rejection: FileRejectedError) => Promise<{ bucket: string; key: string }>;
  /** Removes the file from the inbox, once its quarantined copy is announced. */
  readonly discard: (bucket: string, key: string) => Promise<void>;
  readonly markIngested: (sourceKey: string, etag: string, sha256: string, archived: { bucket: string; key: string }) => Promise<void>;
  readonly publish: (event: CometEvent) => Promise<void>;
}

/** What ingest did with one request. */
export type IngestOutcome =
  | { readonly outcome: 'ingested'; readonly event: CometEvent<typeof EventTypes.fileIngested> }
  | { readonly outcome: 'rejected'; readonly event: CometEvent<typeof EventTypes.fileRejected> }
  | { readonly outcome: 'gone'; readonly key: string };

const source = sourceOf('ingest');

/** Where an ingested file lands: `<provider>/<YYYY>/<MM>/<DD>/<name>`, dated by sensing or analysis. */
export function archiveKeyOf(provider: string, name: string, attributes: FileAttributes): string {
  const date = attributes.kind === 'forecast' ? attributes.analysisTime : attributes.sensingStart;
  return `${provider}/${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/${name}`;
}

/**
 * Ingests the file a command names.
 *
 * @example
 * await ingestFile(command, deps);
 */
export async function ingestFile(command: CometEvent<typeof EventTypes.ingestRequested>, deps: IngestDeps): Promise<IngestOutcome> {
  const { file, provider, name, attributes } = command.data;
  const content = await deps.open(file.bucket, file.key);
  if (content === undefined) return { outcome: 'gone', key: file.key };
  const archived = { bucket: deps.archiveBucket, key: archiveKeyOf(provider, name, attributes) };
  const inspector = new ContentInspector(formatOf(attributes), file.size);
  const write = deps.write(archived.bucket, archived.key, { 'source-key': file.key, 'source-etag': file.etag });
  try {
    await Promise.all([pipeline(content, inspector, write.body), write.done()]);
  } catch (error) {
    await write.abort();
    if (!(error instanceof FileRejectedError)) throw error;
    const quarantine = await deps.quarantine(file.bucket, file.key, error);
    const event = wrap({
      type: EventTypes.fileRejected, source, cause: command, subject: file.key,
      id: createHash('sha256').update(`rejected\n${file.key}\n${file.etag}`).digest('hex').slice(0, 32),
      data: { file: { bucket: file.bucket, key: file.key, size: file.size }, quarantine, code: error.code, reason: error.message },
    });
    await deps.publish(event);
    await deps.discard(file.bucket, file.key);
    return { outcome: 'rejected', event };
  }
  const { sha256, size } = inspector.inspection;
  await deps.markIngested(file.key, file.etag, sha256, archived);
  const event = wrap({
    type: EventTypes.fileIngested, source, cause: command, subject: file.key,
    id: createHash('sha256').update(`ingested\n${file.key}\n${file.etag}`).digest('hex').slice(0, 32),
    data: { source: file, ingested: { ...archived, size, sha256 }, provider, name, attributes },
  });
  await deps.publish(event);
  return { outcome: 'ingested', event };
}
