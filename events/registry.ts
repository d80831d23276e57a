/**
 * The event catalog's source of truth: one zod schema per event type. `events/<type>/schema.json`
 * is generated from these (`npm run events:generate`) and a test keeps the two equal.
 * Code and infrastructure import type names from here, never as string literals.
 */
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';

/** Every type in the catalog, keyed by the short name used in folders and channels. */
export const EventTypes = {
  fileAvailable: 'cometflow.file.available',
  fileRejected: 'cometflow.file.rejected',
  ingestRequested: 'cometflow.ingest.requested',
  fileIngested: 'cometflow.file.ingested',
  processingRequested: 'cometflow.processing.requested',
  productGenerated: 'cometflow.product.generated',
  deliveryRequested: 'cometflow.delivery.requested',
  productDelivered: 'cometflow.product.delivered',
  cycleAbandoned: 'cometflow.cycle.abandoned',
  inputLate: 'cometflow.input.late',
  deadlineReached: 'cometflow.deadline.reached',
  deliveryCompensated: 'cometflow.delivery.compensated',
  deliveryAvailable: 'cometflow.delivery.available',
  deliveryWithdrawn: 'cometflow.delivery.withdrawn',
  inputMissing: 'cometflow.input.missing',
  providerSilent: 'cometflow.provider.silent',
} as const;

export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256 digest');

/** Where an object is: bucket and key. */
export const ObjectLocationSchema = z.object({
  bucket: z.string().min(3).max(63),
  key: z.string().min(1).max(1024),
});

/** An object as uploaded: its location, size and ETag. */
export const UploadedObjectSchema = ObjectLocationSchema.extend({
  size: z.number().int().nonnegative(),
  etag: z.string().min(1),
});

/** An object whose content has been read: its location, size and SHA-256. */
export const VerifiedObjectSchema = ObjectLocationSchema.extend({
  size: z.number().int().nonnegative(),
  sha256: Sha256Schema,
});

/** What the provider's file name says, per naming convention. */
export const FileAttributesSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.enum(['imager-chunk', 'imager-trailer']),
    convention: z.literal('mtg-fci-l1c'),
    satellite: z.string(),
    processingLevel: z.string(),
    /** Repeat cycle of the day, 1..144. */
    repeatCycle: z.number().int().min(1).max(144),
    /** Chunk number, 1..40 for the body, 41 for the trailer. */
    chunk: z.number().int().min(1).max(41),
    sensingStart: z.iso.datetime(),
    sensingEnd: z.iso.datetime(),
    /** The cycle this chunk belongs to, `<YYYYMMDD>-<repeat cycle>`. */
    cycleId: z.string().regex(/^\d{8}-\d{3}$/, 'YYYYMMDD-NNN'),
    /** Nominal start of the repeat cycle: (repeat cycle - 1) x 10 minutes after midnight UTC. */
    cycleStart: z.iso.datetime(),
    /** Nominal end of the repeat cycle: 10 minutes after its start. */
    cycleEnd: z.iso.datetime(),
  }),
  z.object({
    kind: z.literal('lightning'),
    convention: z.literal('mtg-li-l2'),
    satellite: z.string(),
    /** LI Level-2 product type: `LFL` (flashes), `AF` (accumulated flashes), ... */
    productType: z.enum(['LE', 'LEF', 'LGR', 'LFL', 'AF', 'AFA', 'AFR']),
    /** Repeat cycle of the day, 1..144. */
    repeatCycle: z.number().int().min(1).max(144),
    /** The file's 30 s window within its repeat cycle, 1..20. */
    count: z.number().int().min(1).max(20),
    /** Start of the 30 s accumulation window. */
    sensingStart: z.iso.datetime(),
    /** End of the window: 30 s after its start. */
    sensingEnd: z.iso.datetime(),
    /** The product stream (satellite and product type, `mti1-li-lfl`): deliveries are ordered per stream. */
    stream: z.string().regex(/^[a-z0-9]+-li-[a-z]+$/, 'satellite-li-type'),
  }),
  z.object({
    kind: z.literal('forecast'),
    convention: z.literal('ecmwf-dissemination'),
    stream: z.string(),
    analysisTime: z.iso.datetime(),
    validTime: z.iso.datetime(),
  }),
]);
export type FileAttributes = z.infer<typeof FileAttributesSchema>;

/**
 * A provider's name (`rules/providers.json` lists them): the catalog takes any well-formed name,
 * so that adding a provider is one entry in the provider definition, not a change of the catalog.
 */
export const ProviderNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'a provider name: lower-case letters, digits and dashes, starting with a letter');
const ProviderSchema = ProviderNameSchema;

/**
 * Where a product stands in its stream (real-time products): subscribers that consume in order
 * receive a stream's products by `sensingStart`, the stream being their FIFO message group.
 */
export const SequenceSchema = z.object({
  /** The product stream, for example `mti1-li-lfl`: at most 128 characters (an SQS message group id). */
  stream: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'at most 128 letters, digits, dots, dashes or underscores'),
  /** Start of the sensing window the product covers: its place in the stream. */
  sensingStart: z.iso.datetime(),
  /** End of the window: where the stream's next product is expected to start. */
  sensingEnd: z.iso.datetime(),
});

/** A product id: derived from the algorithm and its inputs' SHA-256s. */
const ProductIdSchema = z.string().regex(/^[0-9a-f]{32}$/);

const FileAvailableDataSchema = z.object({
  file: UploadedObjectSchema,
  provider: ProviderSchema,
  name: z.string(),
  attributes: FileAttributesSchema,
});

/** Data of each event type. */
export const EventDataSchemas = {
  [EventTypes.fileAvailable]: FileAvailableDataSchema,
  [EventTypes.fileRejected]: z.object({
    file: ObjectLocationSchema.extend({ size: z.number().int().nonnegative().optional() }),
    quarantine: ObjectLocationSchema,
    code: z.enum(['unknown-provider', 'bad-name', 'bad-size', 'bad-signature', 'bad-structure', 'checksum-mismatch']),
    reason: z.string().min(1),
  }),
  [EventTypes.ingestRequested]: FileAvailableDataSchema,
  [EventTypes.fileIngested]: z.object({
    source: UploadedObjectSchema,
    ingested: VerifiedObjectSchema,
    provider: ProviderSchema,
    name: z.string(),
    attributes: FileAttributesSchema,
  }),
  [EventTypes.processingRequested]: z.object({
    algorithm: z.string().min(1),
    productType: z.string().min(1),
    inputs: z.array(VerifiedObjectSchema.extend({ name: z.string() })).min(1),
    degraded: z.boolean().default(false),
    missing: z.array(z.string()).default([]),
    /** Set for products of an ordered stream (real-time): carried to the product and its delivery. */
    sequence: SequenceSchema.optional(),
  }),
  [EventTypes.productGenerated]: z.object({
    productId: z.string().regex(/^[0-9a-f]{32}$/),
    productType: z.string(),
    algorithm: z.string(),
    product: VerifiedObjectSchema,
    manifest: ObjectLocationSchema,
    inputCount: z.number().int().positive(),
    sequence: SequenceSchema.optional(),
  }),
  [EventTypes.deliveryRequested]: z.object({
    productId: z.string().regex(/^[0-9a-f]{32}$/),
    productType: z.string(),
    product: VerifiedObjectSchema,
    manifest: ObjectLocationSchema,
    sequence: SequenceSchema.optional(),
  }),
  [EventTypes.productDelivered]: z.object({
    productId: z.string().regex(/^[0-9a-f]{32}$/),
    productType: z.string(),
    distributed: z.array(ObjectLocationSchema).min(1),
  }),
  /** A join closed at its deadline without firing: too few inputs, or a required reference missing. */
  [EventTypes.cycleAbandoned]: z.object({
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
  /** An input arrived for a join that had already closed (fired or abandoned): recorded, not dropped. */
  [EventTypes.inputLate]: z.object({
    rule: z.string().min(1),
    joinKey: z.string().min(1),
    /** The slot the input would have filled, for example the chunk number `"17"`. */
    slot: z.string().min(1),
    input: VerifiedObjectSchema.extend({ name: z.string() }),
    /** Id of the command or event that closed the join. */
    closedBy: z.string().min(1),
  }),
  /** A join's deadline timer: a delayed message the scheduler sends to its own queue. */
  [EventTypes.deadlineReached]: z.object({
    rule: z.string().min(1),
    joinKey: z.string().min(1),
    deadlineAt: z.iso.datetime(),
  }),
  /** A delivery saga failed at a step and undid what the steps before it (and the step itself) had done. */
  [EventTypes.deliveryCompensated]: z.object({
    productId: ProductIdSchema,
    productType: z.string(),
    /** The step that failed. */
    failedStep: z.enum(['publish', 'register', 'notify', 'confirm']),
    /** The error name Step Functions matched, for example `InjectedFaultError` or `SubscriberUnavailableError`. */
    error: z.string().min(1),
    /** The error's message (the cause in the execution history). */
    reason: z.string(),
    /** The compensations that ran, in order. */
    compensations: z.array(z.enum(['unnotify', 'unregister', 'unpublish'])),
    /** The execution name, `product-<productId>`. */
    execution: z.string().min(1),
  }),
  /** The delivery calendar expected a repeat cycle whose first file had not come by its nominal end plus a grace. */
  [EventTypes.inputMissing]: z.object({
    /** The calendar entry that expects it, for example `fci-cycles`. */
    expectation: z.string().min(1),
    provider: ProviderSchema,
    /** What was expected, for a cycle its id `YYYYMMDD-NNN`. */
    expected: z.string().min(1),
    /** Files the entry expects for it (41 for an FCI cycle). */
    expectedFiles: z.number().int().positive(),
    windowStart: z.iso.datetime(),
    windowEnd: z.iso.datetime(),
    /** The window's end plus the entry's grace: when its first file should have come at the latest. */
    dueAt: z.iso.datetime(),
  }),
  /** The delivery calendar saw no file of a provider for longer than it allows. */
  [EventTypes.providerSilent]: z.object({
    provider: ProviderSchema,
    /** Minutes without a file after which the calendar calls the provider silent. */
    afterMinutes: z.number().int().positive(),
    /** Start of the quiet span checked: `checkedAt` minus `afterMinutes`. */
    silentSince: z.iso.datetime(),
    checkedAt: z.iso.datetime(),
  }),
  /** To a subscriber: a product of a type it subscribed to is in the distribution bucket. */
  [EventTypes.deliveryAvailable]: z.object({
    productId: ProductIdSchema,
    productType: z.string(),
    subscriber: z.string().min(1),
    /** The distributed product, with the size and SHA-256 to verify it. */
    product: VerifiedObjectSchema,
    manifest: ObjectLocationSchema,
    /** The product's place in its stream, for a product of an ordered stream. */
    sequence: SequenceSchema.optional(),
    /**
     * True when a later product of the same stream was notified before this one: it is still
     * delivered, after the later one. Absent for products of no stream.
     */
    late: z.boolean().optional(),
  }),
  /** To a subscriber: forget this product; its delivery was compensated. */
  [EventTypes.deliveryWithdrawn]: z.object({
    productId: ProductIdSchema,
    productType: z.string(),
    subscriber: z.string().min(1),
    /** Why, in words: the step that failed and its error. */
    reason: z.string().min(1),
  }),
} as const satisfies Record<EventType, z.ZodType>;

export type EventData<T extends EventType> = z.infer<(typeof EventDataSchemas)[T]>;

/** The `dataschema` URI of a type; folders in `events/` carry the same name without the prefix. */
export const dataSchemaOf = (type: EventType): string => `urn:cometflow:schema:${type}:1`;

/** The folder of a type under `events/`, for example `file.available`. */
export const folderOf = (type: EventType): string => type.replace(/^cometflow\./, '');

/** The CloudEvents 1.0 envelope with the `correlationid` and `causationid` extensions. */
export const EnvelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.enum(Object.values(EventTypes) as [EventType, ...EventType[]]),
  time: z.iso.datetime(),
  subject: z.string().optional(),
  dataschema: z.string(),
  datacontenttype: z.literal('application/json'),
  correlationid: z.string().min(1),
  causationid: z.string().min(1),
  /**
   * Extension: the priority of the work this message belongs to. A command carries its lane's;
   * an event inherits its cause's and goes to the event bus lane of that priority. Absent means
   * `realtime`.
   */
  priority: z.enum(['realtime', 'bulk']).optional(),
  /** CloudEvents Dataref extension: where `data` was moved to (claim check), `s3://<bucket>/<key>`. */
  dataref: z
    .string()
    .regex(/^s3:\/\/[^/]+\/.+/)
    .optional(),
  // Absent only beside `dataref`; `unwrap` and `readEvent` say so when it is missing.
  data: z.unknown().optional(),
});

/** A CloudEvent whose `data` matches its type. */
export type CometEvent<T extends EventType = EventType> = Omit<z.infer<typeof EnvelopeSchema>, 'type' | 'data'> & {
  type: T;
  data: EventData<T>;
};

/** The full schema of one event type: envelope plus typed data. */
export const eventSchemaOf = (type: EventType) =>
  EnvelopeSchema.extend({
    type: z.literal(type),
    dataschema: z.literal(dataSchemaOf(type)),
    data: EventDataSchemas[type],
  });
