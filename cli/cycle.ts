/**
 * The read model of a repeat cycle, folded from its events (correlation `cycle-<joinKey>`) by a
 * pure function. It is not stored anywhere: `cycle` reads the events from the event store and
 * folds them every time it is asked, so it is always rebuilt from the system of record and
 * "rebuilding" it is running it again.
 */
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { TRAILER_CHUNK } from '#shared/conventions/mtg-fci.ts';
import { UsageError } from './errors.ts';

/** The slots of a cycle's join: 40 body chunks and the trailer, numbered 1..41. */
export const CYCLE_SLOTS = TRAILER_CHUNK;

/** Where a cycle stands, from its latest milestone. */
export type CycleStatus = 'no events' | 'collecting' | 'fired' | 'generated' | 'delivered' | 'abandoned';

/** A cycle's state, as its events tell it. */
export interface CycleView {
  readonly joinKey: string;
  readonly correlationId: string;
  readonly status: CycleStatus;
  /** Nominal window of the cycle, from its chunks' attributes. */
  readonly window?: { readonly start: string; readonly end: string };
  /** Chunks (slots 1..41) with a `file.ingested`, in order: what the join counts. */
  readonly arrived: readonly number[];
  /** Slots with no `file.ingested` (yet). */
  readonly missing: readonly number[];
  /** Slots ingested under more than one event id (a re-upload with other content), with how many. */
  readonly duplicates: readonly { readonly slot: number; readonly count: number }[];
  /** Uploads of the cycle rejected by intake or ingest. */
  readonly rejected: readonly { readonly key: string; readonly code: string }[];
  /** The reference inputs (forecast) the processing request used. */
  readonly forecast?: { readonly name: string; readonly key: string; readonly sha256: string };
  /** The processing request the join sent. */
  readonly fired?: {
    readonly id: string;
    readonly at: string;
    readonly inputs: number;
    readonly degraded: boolean;
    readonly missing: readonly string[];
  };
  readonly abandoned?: {
    readonly id: string;
    readonly at: string;
    readonly reason: string;
    readonly missing: readonly string[];
  };
  /** Inputs that came after the join closed. */
  readonly late: readonly {
    readonly slot: string;
    readonly name: string;
    readonly at: string;
    readonly closedBy: string;
  }[];
  /** Deadlines whose timer the scheduler handled (a timer's `time` is the deadline it stands for). */
  readonly deadlines: readonly string[];
  /** Products generated for the cycle: one, unless something went wrong. */
  readonly products: readonly { readonly productId: string; readonly at: string; readonly manifest: string }[];
  readonly productId?: string;
  readonly deliveredAt?: string;
  /** How many events the view was folded from. */
  readonly events: number;
}

const JOIN_KEY = /^\d{8}-\d{3}$/;

/** The correlation of a cycle id; throws `UsageError` for anything but `YYYYMMDD-NNN`. */
export function cycleCorrelation(joinKey: string): string {
  if (!JOIN_KEY.test(joinKey))
    throw new UsageError(`"${joinKey}" is not a cycle id; expected YYYYMMDD-NNN, for example 20261122-061`);
  return `cycle-${joinKey}`;
}

/** The cycle id of events of correlation `cycle-<id>`; `unknown` when there are none. */
const joinKeyOf = (events: readonly CometEvent[]): string =>
  events[0]?.correlationid.replace(/^cycle-/, '') ?? 'unknown';

/**
 * Folds a cycle's events, in any order, into its read model.
 *
 * @example
 * const stored = await readCorrelation(documents, table, 'cycle-20261122-061');
 * const view = projectCycle(stored.map((s) => s.event));
 */
export function projectCycle(events: readonly CometEvent[], joinKey = joinKeyOf(events)): CycleView {
  const sorted = [...events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id.localeCompare(b.id)));
  const ingestedBySlot = new Map<number, Set<string>>();
  const chunkNames = new Set<string>();
  const rejected: { key: string; code: string }[] = [];
  const late: { slot: string; name: string; at: string; closedBy: string }[] = [];
  const deadlines: string[] = [];
  const products: { productId: string; at: string; manifest: string }[] = [];
  let window: CycleView['window'];
  let fired: CycleView['fired'];
  let forecast: CycleView['forecast'];
  let abandoned: CycleView['abandoned'];
  let deliveredAt: string | undefined;

  for (const event of sorted) {
    switch (event.type) {
      case EventTypes.fileIngested: {
        const { data } = event as CometEvent<typeof EventTypes.fileIngested>;
        if (data.attributes.convention !== 'mtg-fci-l1c') break;
        chunkNames.add(data.name);
        window ??= { start: data.attributes.cycleStart, end: data.attributes.cycleEnd };
        const ids = ingestedBySlot.get(data.attributes.chunk) ?? new Set<string>();
        ids.add(event.id);
        ingestedBySlot.set(data.attributes.chunk, ids);
        break;
      }
      case EventTypes.fileAvailable: {
        const { data } = event as CometEvent<typeof EventTypes.fileAvailable>;
        if (data.attributes.convention === 'mtg-fci-l1c') {
          chunkNames.add(data.name);
          window ??= { start: data.attributes.cycleStart, end: data.attributes.cycleEnd };
        }
        break;
      }
      case EventTypes.fileRejected: {
        const { data } = event as CometEvent<typeof EventTypes.fileRejected>;
        rejected.push({ key: data.file.key, code: data.code });
        break;
      }
      case EventTypes.processingRequested: {
        const { data } = event as CometEvent<typeof EventTypes.processingRequested>;
        fired ??= {
          id: event.id,
          at: event.time,
          inputs: data.inputs.length,
          degraded: data.degraded,
          missing: data.missing,
        };
        break;
      }
      case EventTypes.cycleAbandoned: {
        const { data } = event as CometEvent<typeof EventTypes.cycleAbandoned>;
        abandoned ??= { id: event.id, at: event.time, reason: data.reason, missing: data.missing };
        break;
      }
      case EventTypes.inputLate: {
        const { data } = event as CometEvent<typeof EventTypes.inputLate>;
        late.push({ slot: data.slot, name: data.input.name, at: event.time, closedBy: data.closedBy });
        break;
      }
      case EventTypes.deadlineReached:
        deadlines.push(event.time);
        break;
      case EventTypes.productGenerated: {
        const { data } = event as CometEvent<typeof EventTypes.productGenerated>;
        if (!products.some((p) => p.productId === data.productId))
          products.push({ productId: data.productId, at: event.time, manifest: data.manifest.key });
        break;
      }
      case EventTypes.productDelivered:
        deliveredAt ??= event.time;
        break;
      default:
        break;
    }
  }
  // The forecast is the input of the processing request that is not one of the cycle's chunks.
  const processing = sorted.find((e) => e.type === EventTypes.processingRequested) as
    | CometEvent<typeof EventTypes.processingRequested>
    | undefined;
  const reference = processing?.data.inputs.find((input) => !chunkNames.has(input.name));
  if (reference !== undefined) forecast = { name: reference.name, key: reference.key, sha256: reference.sha256 };

  const arrived = [...ingestedBySlot.keys()].sort((a, b) => a - b);
  const missing: number[] = [];
  for (let slot = 1; slot <= CYCLE_SLOTS; slot += 1) if (!ingestedBySlot.has(slot)) missing.push(slot);
  const duplicates = [...ingestedBySlot.entries()]
    .filter(([, ids]) => ids.size > 1)
    .map(([slot, ids]) => ({ slot, count: ids.size }))
    .sort((a, b) => a.slot - b.slot);
  const status: CycleStatus =
    deliveredAt !== undefined
      ? 'delivered'
      : products.length > 0
        ? 'generated'
        : fired !== undefined
          ? 'fired'
          : abandoned !== undefined
            ? 'abandoned'
            : sorted.length > 0
              ? 'collecting'
              : 'no events';

  return {
    joinKey,
    correlationId: `cycle-${joinKey}`,
    status,
    ...(window === undefined ? {} : { window }),
    arrived,
    missing,
    duplicates,
    rejected,
    ...(forecast === undefined ? {} : { forecast }),
    ...(fired === undefined ? {} : { fired }),
    ...(abandoned === undefined ? {} : { abandoned }),
    late,
    deadlines,
    products,
    ...(products[0] === undefined ? {} : { productId: products[0].productId }),
    ...(deliveredAt === undefined ? {} : { deliveredAt }),
    events: sorted.length,
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

/** The view as text, one fact a line. */
export function formatCycle(view: CycleView): string[] {
  const lines = [
    `cycle ${view.joinKey} (${view.correlationId}): ${view.status}, folded from ${view.events} stored events`,
    `  window       ${view.window === undefined ? 'unknown' : `${view.window.start} .. ${view.window.end}`}`,
    `  arrived      ${view.arrived.length}/${CYCLE_SLOTS} chunks: ${ranges(view.arrived)}`,
    `  missing      ${ranges(view.missing)}`,
    `  duplicates   ${view.duplicates.length === 0 ? 'none' : view.duplicates.map((d) => `slot ${d.slot} x${d.count}`).join(', ')}`,
    `  forecast     ${view.forecast === undefined ? 'none used' : `${view.forecast.name} (${view.forecast.key})`}`,
    `  fired        ${
      view.fired === undefined
        ? 'no'
        : `${view.fired.at} processing.requested ${view.fired.id}, ${view.fired.inputs} inputs, ` +
          `${view.fired.degraded ? `DEGRADED, missing ${view.fired.missing.join(',')}` : 'complete'}`
    }`,
    `  abandoned    ${view.abandoned === undefined ? 'no' : `${view.abandoned.at}: ${view.abandoned.reason}`}`,
    `  late inputs  ${view.late.length === 0 ? 'none' : view.late.map((l) => `slot ${l.slot} at ${l.at}`).join(', ')}`,
    `  deadline     ${view.deadlines.length === 0 ? 'no timer handled yet' : `${view.deadlines.join(', ')} (its timer was handled)`}`,
    `  product      ${view.products.length === 0 ? 'none' : view.products.map((p) => `${p.productId} at ${p.at} (${p.manifest})`).join('; ')}`,
    `  delivered    ${view.deliveredAt ?? 'no'}`,
  ];
  if (view.rejected.length > 0)
    lines.push(`  rejected     ${view.rejected.map((r) => `${r.key} (${r.code})`).join(', ')}`);
  return lines;
}
