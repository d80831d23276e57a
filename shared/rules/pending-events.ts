/**
 * PENDING REGISTRATION: the event types the rule engine emits that `events/registry.ts` does not
 * have yet. Their data schemas live here until they move to the registry; `buildPendingEvent`
 * is the one place that builds them, validating against these schemas instead of going through
 * `wrap` (which accepts registered types only). When the registry has them: move the schemas
 * there, replace `buildPendingEvent` by `wrap`, and delete this file.
 */
import { z } from 'zod';
import type { CometEvent } from '#events/registry.ts';
import { InvalidInputError } from '../errors.ts';

/** The types waiting for the registry. */
export const PendingEventTypes = {
  /** A join closed at its deadline without firing. */
  cycleAbandoned: 'cometflow.cycle.abandoned',
  /** An input arrived for a join that had already closed (fired or abandoned). */
  inputLate: 'cometflow.input.late',
  /** A join's deadline timer went off (sent by the timer, for example EventBridge Scheduler). */
  deadlineReached: 'cometflow.deadline.reached',
} as const;
export type PendingEventType = (typeof PendingEventTypes)[keyof typeof PendingEventTypes];

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256 digest');

/** An input of a join: where the object is, its size and digest, and its file name. */
export const JoinInputSchema = z.object({
  bucket: z.string().min(3).max(63),
  key: z.string().min(1).max(1024),
  size: z.number().int().nonnegative(),
  sha256: Sha256Schema,
  name: z.string(),
});

/** Data of each pending type. */
export const PendingEventDataSchemas = {
  [PendingEventTypes.cycleAbandoned]: z.object({
    /** The join rule. */
    rule: z.string().min(1),
    /** The join key, for the reference pipeline the cycle id (`20261122-061`). */
    joinKey: z.string().min(1),
    /** Why, in words: how many inputs arrived, the share required, which requirement is missing. */
    reason: z.string().min(1),
    windowStart: z.iso.datetime(),
    windowEnd: z.iso.datetime(),
    deadlineAt: z.iso.datetime(),
    expectedCount: z.number().int().positive(),
    arrivedCount: z.number().int().nonnegative(),
    minShare: z.number().min(0).max(1),
    /** Missing slots (chunk numbers as strings), then missing requirement names. */
    missing: z.array(z.string()),
  }),
  [PendingEventTypes.inputLate]: z.object({
    rule: z.string().min(1),
    joinKey: z.string().min(1),
    /** The slot the input would have filled, for example the chunk number `"17"`. */
    slot: z.string().min(1),
    input: JoinInputSchema,
    /** Id of the command or event that closed the join: its `processing.requested` or its `cycle.abandoned`. */
    closedBy: z.string().min(1),
  }),
  [PendingEventTypes.deadlineReached]: z.object({
    rule: z.string().min(1),
    joinKey: z.string().min(1),
    deadlineAt: z.iso.datetime(),
  }),
} as const satisfies Record<PendingEventType, z.ZodType>;

/** Data of a pending type. */
export type PendingEventData<T extends PendingEventType> = z.infer<(typeof PendingEventDataSchemas)[T]>;

/** An event of a pending type: the same envelope as `CometEvent`. */
export type PendingEvent<T extends PendingEventType = PendingEventType> = Omit<CometEvent, 'type' | 'data'> & {
  type: T;
  data: PendingEventData<T>;
};

/** A `cometflow.cycle.abandoned` event. */
export type CycleAbandonedEvent = PendingEvent<typeof PendingEventTypes.cycleAbandoned>;
/** A `cometflow.input.late` event. */
export type InputLateEvent = PendingEvent<typeof PendingEventTypes.inputLate>;
/** A `cometflow.deadline.reached` event. */
export type DeadlineReachedEvent = PendingEvent<typeof PendingEventTypes.deadlineReached>;

/**
 * Builds an event of a pending type, validating its data against the schema above. Same
 * envelope as `wrap` builds; deterministic by construction (id and time are required).
 */
export function buildPendingEvent<T extends PendingEventType>(options: {
  readonly type: T;
  readonly source: string;
  readonly id: string;
  readonly time: string;
  readonly subject?: string;
  readonly cause: Pick<CometEvent, 'id' | 'correlationid'>;
  readonly data: PendingEventData<T>;
}): PendingEvent<T> {
  const parsed = PendingEventDataSchemas[options.type].safeParse(options.data);
  if (!parsed.success) {
    throw new InvalidInputError(`Data of ${options.type} does not match its schema: ${z.prettifyError(parsed.error)}`);
  }
  return {
    specversion: '1.0',
    id: options.id,
    source: options.source,
    type: options.type,
    time: options.time,
    ...(options.subject === undefined ? {} : { subject: options.subject }),
    dataschema: `urn:cometflow:schema:${options.type}:1`,
    datacontenttype: 'application/json',
    correlationid: options.cause.correlationid,
    causationid: options.cause.id,
    data: parsed.data as PendingEventData<T>,
  };
}
