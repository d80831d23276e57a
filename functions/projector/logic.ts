/**
 * The status read model (CQRS read side): what the event store's events say about every file,
 * repeat cycle and product, as one item per entity. Pure: no SDK, no environment.
 *
 * An event becomes one compact *fact* per entity it concerns (`factsOf`), keyed by the event id;
 * an entity's view is a fold of its facts (`viewOf`) that ignores their order and counts each
 * event id once, so the projector may see events late, twice or out of order (a stream shard per
 * correlation, and a file's rejection lives in another correlation than its cycle) and still
 * converge on the view a rebuild from the store computes.
 */
import { EventTypes, type CometEvent, type FileAttributes } from '#events/registry.ts';
import { looksLikeFciName, TRAILER_CHUNK } from '#shared/conventions/mtg-fci.ts';
import { LI_WINDOW_SECONDS } from '#shared/conventions/mtg-li.ts';

/** The kinds of entity the read model holds. */
export const EntityKinds = ['file', 'cycle', 'product'] as const;
export type EntityKind = (typeof EntityKinds)[number];

/** An entity: its kind and its id (an inbox key, a cycle id `YYYYMMDD-NNN`, a product id). */
export interface EntityRef {
  readonly kind: EntityKind;
  readonly id: string;
}

/** What one event says about one entity; `t` is the event's short type, `at` its time. */
export interface Fact {
  readonly t: string;
  readonly at: string;
  readonly [field: string]: string | number | boolean | readonly string[] | undefined;
}

/** A fact for an entity, keyed by the event id it came from. */
export interface EntityFact {
  readonly entity: EntityRef;
  readonly eventId: string;
  readonly fact: Fact;
}

/** The short name of a type, `file.available` for `cometflow.file.available`. */
export const shortType = (type: string): string => type.replace(/^cometflow\./, '');

const cycleOfCorrelation = (correlationId: string): string | undefined =>
  /^cycle-(\d{8}-\d{3})$/.exec(correlationId)?.[1];

type FciAttributes = Extract<FileAttributes, { convention: 'mtg-fci-l1c' }>;

/** A cycle's window as the facts carry it, from an event that states it (`windowStart`, `windowEnd`). */
const windowOf = (data: { windowStart: string; windowEnd: string }): { start: string; end: string } => ({
  start: data.windowStart,
  end: data.windowEnd,
});

/**
 * The facts an event adds to the read model: one per entity it concerns (none for a type the
 * read model does not follow, such as a subscriber's notification).
 */
export function factsOf(event: CometEvent): EntityFact[] {
  const at = event.time;
  const id = event.id;
  const out: EntityFact[] = [];
  const add = (kind: EntityKind, entityId: string, fact: Omit<Fact, 't' | 'at'>): void => {
    out.push({ entity: { kind, id: entityId }, eventId: id, fact: { t: shortType(event.type), at, ...fact } as Fact });
  };
  // A chunk's arrival and its ingestion say the same about its cycle: which slot, which key, the window.
  const chunkOf = (attributes: FciAttributes, key: string): void =>
    add('cycle', attributes.cycleId, {
      slot: attributes.chunk,
      key,
      start: attributes.cycleStart,
      end: attributes.cycleEnd,
    });
  // Every product event says the same two things about its product; the extra fields differ.
  const product = (data: { productId: string; productType: string }, extra: Omit<Fact, 't' | 'at'> = {}): void =>
    add('product', data.productId, { productType: data.productType, correlation: event.correlationid, ...extra });
  // An event whose data is in the claim store (`dataref`) is stored without it; the projector
  // reads no bucket, so such an event adds nothing (no type the read model follows gets that big).
  if ((event as { data?: unknown }).data === undefined) return out;
  const cycle = cycleOfCorrelation(event.correlationid);
  switch (event.type) {
    case EventTypes.fileAvailable:
    case EventTypes.ingestRequested: {
      const { data } = event as CometEvent<typeof EventTypes.fileAvailable>;
      const attributes = data.attributes;
      const chunk = attributes.convention === 'mtg-fci-l1c' ? attributes.chunk : undefined;
      const due = attributes.kind === 'forecast' ? attributes.analysisTime : attributes.sensingEnd;
      add('file', data.file.key, {
        provider: data.provider,
        name: data.name,
        correlation: event.correlationid,
        size: data.file.size,
        due,
        ...(chunk === undefined ? {} : { chunk }),
        ...(attributes.kind === 'forecast' ? { valid: attributes.validTime } : {}),
      });
      // Lightning files are products of their own: they belong to no cycle.
      if (event.type === EventTypes.fileAvailable && attributes.convention === 'mtg-fci-l1c') {
        chunkOf(attributes, data.file.key);
      }
      break;
    }
    case EventTypes.fileIngested: {
      const { data } = event as CometEvent<typeof EventTypes.fileIngested>;
      add('file', data.source.key, { archive: data.ingested.key, correlation: event.correlationid });
      if (data.attributes.convention === 'mtg-fci-l1c') {
        chunkOf(data.attributes, data.source.key);
      }
      break;
    }
    case EventTypes.fileRejected: {
      const { data } = event as CometEvent<typeof EventTypes.fileRejected>;
      add('file', data.file.key, {
        code: data.code,
        reason: data.reason,
        quarantine: data.quarantine.key,
        correlation: event.correlationid,
      });
      if (cycle !== undefined) add('cycle', cycle, { key: data.file.key, code: data.code });
      break;
    }
    case EventTypes.processingRequested: {
      const { data } = event as CometEvent<typeof EventTypes.processingRequested>;
      // The inputs that are not chunks of the cycle are the references the join required (its forecast).
      const references = data.inputs.filter((input) => !looksLikeFciName(input.name)).map((input) => input.name);
      if (cycle !== undefined)
        add('cycle', cycle, { inputs: data.inputs.length, degraded: data.degraded, missing: data.missing, references });
      break;
    }
    case EventTypes.cycleAbandoned: {
      const { data } = event as CometEvent<typeof EventTypes.cycleAbandoned>;
      add('cycle', data.joinKey, { reason: data.reason, missing: data.missing, ...windowOf(data) });
      break;
    }
    case EventTypes.inputLate: {
      const { data } = event as CometEvent<typeof EventTypes.inputLate>;
      add('cycle', data.joinKey, { slot: data.slot, name: data.input.name });
      break;
    }
    case EventTypes.inputMissing: {
      const { data } = event as CometEvent<typeof EventTypes.inputMissing>;
      if (cycle !== undefined) add('cycle', cycle, { files: data.expectedFiles, due: data.dueAt, ...windowOf(data) });
      break;
    }
    case EventTypes.deadlineReached: {
      const { data } = event as CometEvent<typeof EventTypes.deadlineReached>;
      add('cycle', data.joinKey, { deadline: data.deadlineAt });
      break;
    }
    case EventTypes.productGenerated: {
      const { data } = event as CometEvent<typeof EventTypes.productGenerated>;
      product(data, { inputs: data.inputCount, product: data.product.key });
      if (cycle !== undefined) add('cycle', cycle, { productId: data.productId });
      break;
    }
    case EventTypes.deliveryRequested:
      product((event as CometEvent<typeof EventTypes.deliveryRequested>).data);
      break;
    case EventTypes.productDelivered: {
      const { data } = event as CometEvent<typeof EventTypes.productDelivered>;
      product(data);
      if (cycle !== undefined) add('cycle', cycle, { productId: data.productId });
      break;
    }
    case EventTypes.deliveryCompensated: {
      const { data } = event as CometEvent<typeof EventTypes.deliveryCompensated>;
      product(data, { step: data.failedStep, error: data.error, reason: data.reason });
      break;
    }
    default:
      break;
  }
  return out;
}

/** The first time each stage was reached, by short event type. */
export type StageTimes = Readonly<Record<string, string>>;

/** The last error of an entity, in words. */
export interface LastError {
  readonly at: string;
  readonly code: string;
  readonly reason: string;
}

/** Fields every view has. */
interface ViewBase {
  readonly kind: EntityKind;
  readonly id: string;
  /** The latest stage reached, in words (`ingested`, `collecting`, `delivered` ...). */
  readonly stage: string;
  /** When each stage was first reached (short event type -> time). */
  readonly stages: StageTimes;
  /** The day the entity belongs to (`YYYY-MM-DD`), for listing by day. */
  readonly day: string;
  /** Time of the latest fact. */
  readonly updatedAt: string;
  /** What it waits for, in words; empty when it is done or failed. */
  readonly waitingFor: readonly string[];
  readonly lastError?: LastError;
  /** How many events the view was folded from. */
  readonly events: number;
}

/** A file: an inbox key from its upload to its archive or quarantine. */
export interface FileView extends ViewBase {
  readonly kind: 'file';
  readonly provider?: string;
  readonly name?: string;
  readonly correlationId?: string;
  /** Chunk number (1..41) of an imager file. */
  readonly chunk?: number;
  readonly size?: number;
  /** Uploads of this key (distinct `file.available` events). */
  readonly attempts: number;
  readonly archiveKey?: string;
  readonly quarantineKey?: string;
  /**
   * Arrival lateness in seconds: arrival (`file.available`) minus the end of sensing (imager) or
   * the analysis time (forecast).
   */
  readonly arrivalLatenessSeconds?: number;
  /** A forecast's valid time. */
  readonly validTime?: string;
}

/** A repeat cycle: the join of its 41 chunks and a forecast, to its product. */
export interface CycleView extends ViewBase {
  readonly kind: 'cycle';
  readonly window?: { readonly start: string; readonly end: string };
  /** Slots (1..41) announced by a `file.available`. */
  readonly available: readonly number[];
  /** Slots ingested (what the join counts). */
  readonly ingested: readonly number[];
  /** Slots not ingested yet. */
  readonly missing: readonly number[];
  /** Slots ingested under more than one event id (a re-upload with other content), with how many. */
  readonly duplicates: readonly { readonly slot: number; readonly count: number }[];
  readonly rejected: readonly { readonly key: string; readonly code: string }[];
  readonly fired?: {
    readonly at: string;
    readonly inputs: number;
    readonly degraded: boolean;
    readonly missing: readonly string[];
    /** Names of the inputs that are not chunks of the cycle: the references the join required (a forecast). */
    readonly references: readonly string[];
  };
  readonly abandoned?: { readonly at: string; readonly reason: string };
  readonly late: readonly string[];
  readonly productIds: readonly string[];
  /** The forecast that `trace` found for a collecting cycle (the projection itself does not set it). */
  readonly forecast?: string;
}

/** A product: generated, requested for delivery, delivered or compensated. */
export interface ProductView extends ViewBase {
  readonly kind: 'product';
  readonly productType?: string;
  readonly correlationId?: string;
  /** Deliveries tried (distinct `delivery.requested` and compensations after them). */
  readonly attempts: number;
  /**
   * Timeliness in seconds: delivery minus the nominal end of the cycle (imager products) or
   * the analysis time (forecast products).
   */
  readonly timelinessSeconds?: number;
}

/** Any view. */
export type EntityView = FileView | CycleView | ProductView;

/** Facts of one entity, by event id. */
export type FactsById = Readonly<Record<string, Fact>>;

const byTime = (facts: FactsById): [string, Fact][] =>
  Object.entries(facts).sort(([ia, a], [ib, b]) =>
    a.at < b.at ? -1 : a.at > b.at ? 1 : ia < ib ? -1 : ia > ib ? 1 : 0,
  );

const firstTimes = (ordered: readonly [string, Fact][]): Record<string, string> => {
  const stages: Record<string, string> = {};
  for (const [, fact] of ordered) stages[fact.t] ??= fact.at;
  return stages;
};

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const seconds = (from: string, to: string): number => Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10;

/**
 * The nominal end of what a correlation stands for: a repeat cycle's end (`cycle-YYYYMMDD-NNN`:
 * cycle N ends N x 10 minutes after midnight UTC), a lightning window's end, or a forecast's
 * analysis time.
 */
export function nominalEndOf(correlationId: string): string | undefined {
  const cycle = /^cycle-(\d{4})(\d{2})(\d{2})-(\d{3})$/.exec(correlationId);
  if (cycle !== null) {
    const [, y, m, d, n] = cycle;
    return new Date(Date.parse(`${y}-${m}-${d}T00:00:00.000Z`) + Number(n) * 600_000).toISOString();
  }
  // A lightning stream's window `li-<stream>-<YYYYMMDDHHMMSS>` (its start) ends 30 s later.
  const lightning = /^li-.+-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(correlationId);
  if (lightning !== null) {
    const [, y, mo, d, h, mi, se] = lightning;
    return new Date(Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${se}.000Z`) + LI_WINDOW_SECONDS * 1000).toISOString();
  }
  const forecast = /^forecast-(.+)$/.exec(correlationId);
  if (forecast !== null && !Number.isNaN(Date.parse(forecast[1]!)))
    return new Date(Date.parse(forecast[1]!)).toISOString();
  return undefined;
}

/** The day of a cycle id `YYYYMMDD-NNN`. */
const dayOfCycle = (cycleId: string): string => `${cycleId.slice(0, 4)}-${cycleId.slice(4, 6)}-${cycleId.slice(6, 8)}`;

function fileView(id: string, facts: FactsById): FileView {
  const ordered = byTime(facts);
  const stages = firstTimes(ordered);
  let provider: string | undefined;
  let name: string | undefined;
  let correlationId: string | undefined;
  let chunk: number | undefined;
  let size: number | undefined;
  let due: string | undefined;
  let validTime: string | undefined;
  let archiveKey: string | undefined;
  let quarantineKey: string | undefined;
  let lastError: LastError | undefined;
  let attempts = 0;
  for (const [, fact] of ordered) {
    provider ??= str(fact.provider);
    name ??= str(fact.name);
    chunk ??= num(fact.chunk);
    due ??= str(fact.due);
    validTime ??= str(fact.valid);
    if (fact.t === 'file.available') {
      attempts += 1;
      size = num(fact.size) ?? size;
    }
    // A rejection's correlation is `upload-<key>`: the cycle's, when known, says more.
    if (str(fact.correlation) !== undefined && (correlationId === undefined || correlationId.startsWith('upload-')))
      correlationId = str(fact.correlation);
    if (fact.t === 'file.ingested') archiveKey = str(fact.archive);
    if (fact.t === 'file.rejected') {
      quarantineKey = str(fact.quarantine);
      lastError = { at: fact.at, code: str(fact.code) ?? 'rejected', reason: str(fact.reason) ?? '' };
    }
  }
  const stage =
    archiveKey !== undefined
      ? 'ingested'
      : quarantineKey !== undefined
        ? 'quarantined'
        : stages['ingest.requested'] !== undefined
          ? 'ingest requested'
          : stages['file.available'] !== undefined
            ? 'available'
            : 'unknown';
  const waitingFor =
    stage === 'available'
      ? ['the scheduler to request its ingestion']
      : stage === 'ingest requested'
        ? ['ingest to archive it']
        : [];
  const arrival = stages['file.available'];
  const first = ordered[0]?.[1].at ?? '';
  return {
    kind: 'file',
    id,
    stage,
    stages,
    day: (arrival ?? first).slice(0, 10),
    updatedAt: ordered.at(-1)?.[1].at ?? '',
    waitingFor,
    ...(lastError === undefined ? {} : { lastError }),
    events: ordered.length,
    ...(provider === undefined ? {} : { provider }),
    ...(name === undefined ? {} : { name }),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(chunk === undefined ? {} : { chunk }),
    ...(size === undefined ? {} : { size }),
    attempts,
    ...(archiveKey === undefined ? {} : { archiveKey }),
    ...(quarantineKey === undefined ? {} : { quarantineKey }),
    ...(arrival === undefined || due === undefined ? {} : { arrivalLatenessSeconds: seconds(due, arrival) }),
    ...(validTime === undefined ? {} : { validTime }),
  };
}

/** Slot numbers as ranges: `1-7, 9, 11-41`. */
export function ranges(slots: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < slots.length; i += 1) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j += 1;
    parts.push(i === j ? String(slots[i]) : `${slots[i]}-${slots[j]}`);
    i = j;
  }
  return parts.join(', ') || 'none';
}

/** `7`, `7 and 21`, `7, 21 and 38`. */
const inWords = (items: readonly (string | number)[]): string =>
  items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

/** What a collecting cycle waits for besides its chunks: the join's reference input. */
export const FORECAST_WAIT = 'a forecast valid for the cycle (the join needs one)';

function cycleView(id: string, facts: FactsById): CycleView {
  const ordered = byTime(facts);
  const stages = firstTimes(ordered);
  const available = new Set<number>();
  const ingested = new Set<number>();
  const ingestions = new Map<number, number>();
  const rejected: { key: string; code: string }[] = [];
  const late: string[] = [];
  const productIds: string[] = [];
  let window: CycleView['window'];
  let fired: CycleView['fired'];
  let abandoned: CycleView['abandoned'];
  for (const [, fact] of ordered) {
    const start = str(fact.start);
    const end = str(fact.end);
    if (window === undefined && start !== undefined && end !== undefined) window = { start, end };
    const slot = num(fact.slot);
    if (fact.t === 'file.available' && slot !== undefined) available.add(slot);
    if (fact.t === 'file.ingested' && slot !== undefined) {
      ingested.add(slot);
      ingestions.set(slot, (ingestions.get(slot) ?? 0) + 1);
    }
    if (fact.t === 'file.rejected') rejected.push({ key: str(fact.key) ?? '', code: str(fact.code) ?? '' });
    if (fact.t === 'input.late') late.push(str(fact.slot) ?? '');
    if (fact.t === 'processing.requested') {
      fired ??= {
        at: fact.at,
        inputs: num(fact.inputs) ?? 0,
        degraded: fact.degraded === true,
        missing: (fact.missing as readonly string[] | undefined) ?? [],
        references: (fact.references as readonly string[] | undefined) ?? [],
      };
    }
    if (fact.t === 'cycle.abandoned') abandoned ??= { at: fact.at, reason: str(fact.reason) ?? '' };
    const productId = str(fact.productId);
    if (productId !== undefined && !productIds.includes(productId)) productIds.push(productId);
  }
  const missing: number[] = [];
  for (let slot = 1; slot <= TRAILER_CHUNK; slot += 1) if (!ingested.has(slot)) missing.push(slot);
  const missingFact = ordered.find(([, fact]) => fact.t === 'input.missing')?.[1];
  const nothingCame = available.size === 0 && ingested.size === 0;
  const stage =
    stages['product.delivered'] !== undefined
      ? 'delivered'
      : stages['product.generated'] !== undefined
        ? 'generated'
        : fired !== undefined
          ? fired.degraded
            ? 'processing (degraded)'
            : 'processing'
          : abandoned !== undefined
            ? 'abandoned'
            : missingFact !== undefined && nothingCame
              ? 'missing'
              : 'collecting';
  const waitingFor: string[] = [];
  if (stage === 'missing') {
    waitingFor.push(
      `its ${num(missingFact!.files) ?? TRAILER_CHUNK} files: none came by ${str(missingFact!.due) ?? '?'} (input.missing)`,
    );
  } else if (stage === 'collecting') {
    const notAnnounced = missing.filter((slot) => !available.has(slot));
    const notIngested = missing.filter((slot) => available.has(slot));
    if (notAnnounced.length > 0) waitingFor.push(`chunk${notAnnounced.length > 1 ? 's' : ''} ${inWords(notAnnounced)}`);
    if (notIngested.length > 0)
      waitingFor.push(`the ingestion of chunk${notIngested.length > 1 ? 's' : ''} ${inWords(notIngested)}`);
    // The read model holds no join state: `trace` looks for a forecast among the files.
    waitingFor.push(FORECAST_WAIT);
  } else if (stage.startsWith('processing')) waitingFor.push('process to generate the product');
  else if (stage === 'generated') waitingFor.push('the delivery saga to deliver the product');
  const lastError =
    abandoned !== undefined
      ? { at: abandoned.at, code: 'cycle-abandoned', reason: abandoned.reason }
      : stage === 'missing'
        ? {
            at: missingFact!.at,
            code: 'input-missing',
            reason: `the calendar expected ${num(missingFact!.files) ?? '?'} files by ${str(missingFact!.due) ?? '?'}; none came`,
          }
        : undefined;
  return {
    kind: 'cycle',
    id,
    stage,
    stages,
    day: dayOfCycle(id),
    updatedAt: ordered.at(-1)?.[1].at ?? '',
    waitingFor,
    ...(lastError === undefined ? {} : { lastError }),
    events: ordered.length,
    ...(window === undefined ? {} : { window }),
    available: [...available].sort((a, b) => a - b),
    ingested: [...ingested].sort((a, b) => a - b),
    missing,
    duplicates: [...ingestions]
      .filter(([, count]) => count > 1)
      .map(([slot, count]) => ({ slot, count }))
      .sort((a, b) => a.slot - b.slot),
    rejected,
    ...(fired === undefined ? {} : { fired }),
    ...(abandoned === undefined ? {} : { abandoned }),
    late,
    productIds,
  };
}

function productView(id: string, facts: FactsById): ProductView {
  const ordered = byTime(facts);
  const stages = firstTimes(ordered);
  let productType: string | undefined;
  let correlationId: string | undefined;
  let lastError: LastError | undefined;
  let attempts = 0;
  let latest = '';
  for (const [, fact] of ordered) {
    productType ??= str(fact.productType);
    correlationId ??= str(fact.correlation);
    if (fact.t === 'delivery.requested') attempts += 1;
    if (fact.t === 'delivery.compensated') {
      lastError = {
        at: fact.at,
        code: str(fact.error) ?? 'compensated',
        reason: `${str(fact.step) ?? '?'} failed: ${str(fact.reason) ?? ''}`,
      };
    }
    if (['product.generated', 'delivery.requested', 'product.delivered', 'delivery.compensated'].includes(fact.t))
      latest = fact.t;
  }
  const delivered = stages['product.delivered'];
  const stage =
    delivered !== undefined
      ? 'delivered'
      : latest === 'delivery.compensated'
        ? 'compensated'
        : latest === 'delivery.requested'
          ? 'delivering'
          : 'generated';
  const waitingFor =
    stage === 'generated'
      ? ['the scheduler to request its delivery']
      : stage === 'delivering'
        ? ['the delivery saga to finish']
        : [];
  const nominalEnd = correlationId === undefined ? undefined : nominalEndOf(correlationId);
  const first = ordered[0]?.[1].at ?? '';
  return {
    kind: 'product',
    id,
    stage,
    stages,
    day: first.slice(0, 10),
    updatedAt: ordered.at(-1)?.[1].at ?? '',
    waitingFor,
    ...(lastError === undefined || stage === 'delivered' ? {} : { lastError }),
    events: ordered.length,
    ...(productType === undefined ? {} : { productType }),
    ...(correlationId === undefined ? {} : { correlationId }),
    attempts,
    ...(delivered === undefined || nominalEnd === undefined
      ? {}
      : { timelinessSeconds: seconds(nominalEnd, delivered) }),
  };
}

/**
 * The view of an entity from its facts, in any order.
 *
 * @example
 * const facts = Object.fromEntries(events.flatMap(factsOf).filter((f) => f.entity.id === key).map((f) => [f.eventId, f.fact]));
 * viewOf({ kind: 'file', id: key }, facts).stage; // 'ingested'
 */
export function viewOf(entity: EntityRef, facts: FactsById): EntityView {
  switch (entity.kind) {
    case 'file':
      return fileView(entity.id, facts);
    case 'cycle':
      return cycleView(entity.id, facts);
    case 'product':
      return productView(entity.id, facts);
  }
}

/** The key of an entity's item in the status table: `<kind>#<id>`. */
export const entityKey = (entity: EntityRef): string => `${entity.kind}#${entity.id}`;

/** Groups facts by entity, each entity's facts by event id: the unit the projector writes. */
export function groupFacts(
  facts: readonly EntityFact[],
): Map<string, { entity: EntityRef; facts: Record<string, Fact> }> {
  const grouped = new Map<string, { entity: EntityRef; facts: Record<string, Fact> }>();
  for (const { entity, eventId, fact } of facts) {
    const key = entityKey(entity);
    const group = grouped.get(key) ?? { entity, facts: {} };
    group.facts[eventId] = fact;
    grouped.set(key, group);
  }
  return grouped;
}
