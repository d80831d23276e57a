/**
 * Hand-written on purpose: the envelope is a dozen fields checked by the catalog's zod schemas,
 * which a CloudEvents SDK would duplicate (and add to every cold start) without checking the data.
 *
 * CloudEvents wrap and unwrap. Every message on every queue goes through these two functions,
 * so every boundary validates against the catalog in `events/`.
 */
import { randomUUID } from 'node:crypto';
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';
import {
  EnvelopeSchema,
  EventDataSchemas,
  dataSchemaOf,
  type CometEvent,
  type EventData,
  type EventType,
} from '#events/registry.ts';
import { InvalidInputError } from '../errors.ts';
import { checkOut, type ClaimStore } from './claim-check.ts';

/** What the producer of an event chooses; the rest of the envelope is filled in. */
export interface WrapOptions<T extends EventType> {
  readonly type: T;
  readonly source: string;
  readonly data: EventData<T>;
  /**
   * The event this one answers; its id becomes `causationid`, its `correlationid` and its
   * `priority` are kept (work caused by bulk work is bulk).
   */
  readonly cause?: Pick<CometEvent, 'id' | 'correlationid' | 'priority'>;
  /** Required when there is no cause: starts a new correlation (for example a repeat cycle). */
  readonly correlationId?: string;
  readonly subject?: string;
  /** Deterministic id, for events whose re-emission must be recognized as the same event. */
  readonly id?: string;
  readonly time?: Date;
  /** @default - the cause's priority; none (real time) without a cause */
  readonly priority?: 'realtime' | 'bulk';
}

/**
 * Builds a CloudEvent, validating `data` against its schema.
 *
 * @example
 * const event = wrap({ type: EventTypes.fileIngested, source: 'cometflow/ingest', data, cause });
 */
export function wrap<T extends EventType>(options: WrapOptions<T>): CometEvent<T> {
  const id = options.id ?? randomUUID();
  const correlationid = options.cause?.correlationid ?? options.correlationId;
  if (correlationid === undefined) {
    throw new InvalidInputError(`Event ${options.type} needs a cause or a correlationId; got neither`);
  }
  const priority = options.priority ?? options.cause?.priority;
  const parsed = EventDataSchemas[options.type].safeParse(options.data);
  if (!parsed.success) {
    throw new InvalidInputError(`Data of ${options.type} does not match its schema: ${z.prettifyError(parsed.error)}`);
  }
  return {
    specversion: '1.0',
    id,
    source: options.source,
    type: options.type,
    time: (options.time ?? new Date()).toISOString(),
    ...(options.subject === undefined ? {} : { subject: options.subject }),
    dataschema: dataSchemaOf(options.type),
    datacontenttype: 'application/json',
    correlationid,
    causationid: options.cause?.id ?? id,
    ...(priority === undefined ? {} : { priority }),
    data: parsed.data as EventData<T>,
  };
}

/**
 * Parses a message body into a CloudEvent of one of the expected types.
 * Throws `InvalidInputError` naming what was wrong and what was expected.
 */
export function unwrap<T extends EventType>(body: string, expected: readonly T[]): CometEvent<T> {
  return validate(parseBody(body), expected);
}

/**
 * `unwrap` for every reader of a queue: an event whose data was checked in (`dataref`) has it
 * loaded from `claims` first, so the handler sees the whole event; the reference stays on it.
 *
 * @example
 * const event = await readEvent(record.body, [EventTypes.processingRequested], claims);
 */
export async function readEvent<T extends EventType>(
  body: string,
  expected: readonly T[],
  claims: ClaimStore | undefined,
): Promise<CometEvent<T>> {
  const json = parseBody(body);
  // The type is checked before any S3 read: an unexpected event costs no request.
  const type = (json as { type?: unknown } | null)?.type;
  if (
    typeof type === 'string' &&
    (Object.keys(EventDataSchemas) as string[]).includes(type) &&
    !expected.includes(type as T)
  ) {
    throw new InvalidInputError(`Event type ${type} is not handled here; expected one of ${expected.join(', ')}`);
  }
  return validate(await checkOut(json, claims), expected);
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new InvalidInputError(
      `Message body is not JSON (first 80 characters: ${JSON.stringify(body.slice(0, 80))}); expected a CloudEvents 1.0 JSON event`,
      { cause: error },
    );
  }
}

function validate<T extends EventType>(json: unknown, expected: readonly T[]): CometEvent<T> {
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new InvalidInputError(
      `Message is not a CloudEvents 1.0 event of this catalog: ${z.prettifyError(envelope.error)}`,
    );
  }
  const type = envelope.data.type as T;
  if (!expected.includes(type)) {
    throw new InvalidInputError(`Event type ${type} is not handled here; expected one of ${expected.join(', ')}`);
  }
  if (envelope.data.data === undefined && envelope.data.dataref !== undefined) {
    throw new InvalidInputError(
      `Event ${type} ${envelope.data.id} keeps its data at ${envelope.data.dataref}; read it with readEvent and a claim store`,
    );
  }
  const data = EventDataSchemas[type].safeParse(envelope.data.data);
  if (!data.success) {
    throw new InvalidInputError(
      `Data of ${type} event ${envelope.data.id} does not match its schema: ${z.prettifyError(data.error)}`,
    );
  }
  return { ...envelope.data, type, data: data.data } as CometEvent<T>;
}
