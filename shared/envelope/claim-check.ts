/**
 * The claim check: an event too large for a queue message or a table item travels without its
 * `data`, which waits in S3, and carries a reference to it in the CloudEvents `dataref`
 * extension (the CloudEvents "Dataref" extension, made for this pattern). Producers check in
 * before sending, readers check out before validating, the event store keeps the checked-in
 * form; an object lives as long as the event store keeps the event (the bucket's lifecycle
 * equals the store's TTL).
 */
import type { CometEvent } from '#events/registry.ts';
import { InvalidInputError } from '../errors.ts';

/**
 * Above this many bytes (the event as JSON, UTF-8) `data` goes to S3. SQS takes 262,144 bytes
 * per message including attributes, DynamoDB 400 KB per item including the event store's other
 * attributes (the store also keeps the id, type, source and keys beside the JSON): 192 KiB
 * leaves room for both.
 */
export const ClaimCheckThresholdBytes = 192 * 1024;

/** SQS's maximum message size (body and attributes), the bound no send may cross. */
export const SqsMaxMessageBytes = 262_144;

/** Where checked-in data is kept. */
export interface ClaimStore {
  /** Stores `body` under `key`; returns the reference (`s3://bucket/key`). */
  readonly put: (key: string, body: string) => Promise<string>;
  /** The body a reference points to. */
  readonly get: (reference: string) => Promise<string>;
}

/** An event, possibly with its data checked in: `dataref` set, `data` absent or resolved. */
export type CheckedEvent = CometEvent & { readonly dataref?: string };

/** A message or item refused for its size: terminal, another attempt sends the same bytes. */
export class MessageTooLargeError extends InvalidInputError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'MessageTooLargeError';
  }
}

/** Bytes of an event as it is sent (JSON, UTF-8). */
export const eventBytes = (event: unknown): number => Buffer.byteLength(JSON.stringify(event), 'utf8');

/** The key prefix of the data of events from `source`: each service may write only its own. */
export const claimPrefixOf = (source: string): string => `${source}/`;

/**
 * The key of an event's data: under its source's prefix, one per event id, so a retried
 * check-in overwrites the same object.
 */
export const claimKeyOf = (event: Pick<CometEvent, 'source' | 'type' | 'id'>): string =>
  `${claimPrefixOf(event.source)}${event.type}/${event.id}.json`;

/**
 * The form of an event to send or store: itself when small enough, else without `data` and with
 * `dataref`. An event that was checked out keeps its reference and is not stored again.
 *
 * @example
 * const message = await checkIn(event, claims, ClaimCheckThresholdBytes);
 */
export async function checkIn(
  event: CheckedEvent,
  claims: ClaimStore | undefined,
  threshold = ClaimCheckThresholdBytes,
): Promise<CheckedEvent> {
  const { data, ...rest } = event;
  if (event.dataref !== undefined) return rest as CheckedEvent;
  const bytes = eventBytes(event);
  if (bytes <= threshold) return event;
  if (claims === undefined) {
    throw new MessageTooLargeError(
      `Event ${event.type} ${event.id} is ${bytes} bytes, over the ${threshold}-byte bound, and this sender has no claim store (bucket) to move its data to; configure one`,
    );
  }
  const dataref = await claims.put(claimKeyOf(event), JSON.stringify(data));
  return { ...rest, dataref } as CheckedEvent;
}

/**
 * The event with its data: loaded from the claim store when the event carries `dataref` and no
 * `data`. The reference stays on the event, so storing it again stores the reference.
 * Throws `InvalidInputError` when the reference cannot be followed by this reader.
 */
export async function checkOut(json: unknown, claims: ClaimStore | undefined): Promise<unknown> {
  if (typeof json !== 'object' || json === null || !('dataref' in json)) return json;
  const event = json as { dataref: unknown; data?: unknown; id?: unknown; type?: unknown };
  if (event.data !== undefined) return json;
  if (typeof event.dataref !== 'string' || !/^s3:\/\/[^/]+\/.+/.test(event.dataref)) {
    throw new InvalidInputError(
      `Event ${String(event.type)} ${String(event.id)} has dataref ${JSON.stringify(event.dataref)}; expected s3://<bucket>/<key>`,
    );
  }
  if (claims === undefined) {
    throw new InvalidInputError(
      `Event ${String(event.type)} ${String(event.id)} keeps its data at ${event.dataref}, and this reader has no claim store configured`,
    );
  }
  const body = await claims.get(event.dataref);
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    throw new InvalidInputError(
      `The data of event ${String(event.id)} at ${event.dataref} is not JSON (first 80 characters: ${JSON.stringify(body.slice(0, 80))})`,
      { cause: error },
    );
  }
  return { ...event, data };
}

/** Parses `s3://bucket/key`. */
export function parseDataRef(reference: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(reference);
  if (match === null) throw new InvalidInputError(`dataref ${JSON.stringify(reference)} is not s3://<bucket>/<key>`);
  return { bucket: match[1]!, key: match[2]! };
}
