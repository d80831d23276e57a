/**
 * What the console's pages show, as plain data (the JSON its API answers), and the pure steps
 * that shape the CLI's results into it. The numbers come from the CLI's functions (`queueDepth`,
 * `deadLetterQueues`, `projectCycle`, the event store readers); what is computed here is only
 * their arrangement for a page: which queue is which stage, a cell state per chunk, counts per
 * stage in a window. No AWS call and no Node API here: the browser code imports these types.
 */
import type { CycleView } from '../cycle.ts';
import type { QueueDepth } from '../dlq.ts';

/** How the console is pointed at a stack, for the page's header. */
export interface StackSummary {
  readonly name: string;
  readonly region: string;
  /** The description or outputs file it was read from. */
  readonly from: string;
}

/** A page's answer when there is no stack to read: what is wrong and how to start one. */
export interface NoStack {
  readonly noStack: true;
  readonly message: string;
}

/** One stage or lane of the pipeline: its queue, its dead-letter queue, its activity. */
export interface StageRow {
  /** The queue's role in the stack description (`ingest`, `processBulk`). */
  readonly role: string;
  readonly stage: string;
  /** `bulk` for a bulk lane, `realtime` for its real-time twin, absent for a stage with one lane. */
  readonly lane?: string;
  readonly depth: QueueDepth;
  readonly deadLetter?: { readonly role: string; readonly depth: QueueDepth };
  /** Events the stage published in the window, and how many of them say it failed. */
  readonly done: number;
  readonly failed: number;
}

/** Something an operator should look at, shown above everything else. */
export interface Alert {
  readonly severity: 'warning' | 'critical';
  readonly kind: string;
  readonly text: string;
  /** What the trace view should open for it, if anything. */
  readonly subject?: string;
}

/** The overview page. */
export interface Overview {
  readonly stack: StackSummary;
  readonly generatedAt: string;
  /** The window the done/failed counts cover. */
  readonly window: { readonly from: string; readonly to: string };
  readonly stages: readonly StageRow[];
  readonly executions: readonly { readonly role: string; readonly running?: number; readonly error?: string }[];
  readonly containers: readonly {
    readonly role: string;
    readonly running?: number;
    readonly maxTasks: number;
    readonly error?: string;
  }[];
  readonly alerts: readonly Alert[];
}

/** The state of one chunk slot (or the forecast) of a cycle, as its cell is coloured. */
export type CellState = 'pending' | 'arrived' | 'ingested' | 'duplicate' | 'late' | 'missing';

/** One row of the cycles page. */
export interface CycleRow {
  readonly view: CycleView;
  /** Slots 1..41 in order. */
  readonly cells: readonly CellState[];
  readonly forecast: CellState;
  /** The time of the cycle's latest stored event. */
  readonly lastEventAt: string;
  /** Seconds from the end of the cycle's sensing window to its delivery. */
  readonly timelinessSeconds?: number;
  /** Seconds from the cycle's first stored event to its delivery: the pipeline's own share. */
  readonly pipelineSeconds?: number;
}

/** The cycles page. */
export interface Cycles {
  readonly stack: StackSummary;
  readonly generatedAt: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly rows: readonly CycleRow[];
}

/** One stored event, as the trace time line shows it. */
export interface TraceEvent {
  readonly time: string;
  readonly type: string;
  readonly source: string;
  readonly subject?: string;
  readonly id: string;
}

/** The trace page: what a key, cycle or product is, where it stands, and why. */
export type Trace =
  | {
      readonly found: true;
      readonly query: string;
      readonly correlationId: string;
      /** What was searched for: a cycle, a file's upload, a forecast run, a product. */
      readonly kind: string;
      readonly state: string;
      /** In plain words why it is where it is, when it is not done. */
      readonly why: readonly string[];
      readonly events: readonly TraceEvent[];
      /** The stages on a time line (`stageSpans`). */
      readonly stages: readonly StageSpan[];
      readonly cycle?: CycleRow;
      /** The chunk a traced file is, and its cell's state in its cycle. */
      readonly file?: { readonly slot: number; readonly state: CellState };
      /** Links to follow: a product's inputs, an input's product. */
      readonly links: readonly { readonly label: string; readonly query: string }[];
    }
  | {
      readonly found: false;
      readonly query: string;
      readonly message: string;
      readonly suggestions: readonly string[];
    };

/** A dead-letter queue on the failures page. */
export interface DeadLetterRow {
  readonly role: string;
  readonly sourceRole: string;
  readonly depth: QueueDepth;
  /** False when the stack has no queue to redrive to. */
  readonly redrivable: boolean;
}

/** A failure the event store knows of: a rejected file, a compensated delivery, an abandoned cycle. */
export interface FailureRow {
  readonly time: string;
  readonly stage: string;
  readonly code: string;
  readonly subject: string;
  readonly reason: string;
  readonly correlationId: string;
}

/** The failures page. */
export interface Failures {
  readonly stack: StackSummary;
  readonly generatedAt: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly deadLetters: readonly DeadLetterRow[];
  readonly failures: readonly FailureRow[];
}

/** The order the pipeline runs its queues in; roles the stack has beyond these follow, sorted. */
const FLOW = [
  'intake',
  'eventBus',
  'ingest',
  'ingestContainer',
  'processRealtime',
  'process',
  'processBulk',
  'deliver',
];

/** The stage that consumes a queue of this role: `eventBus` feeds the scheduler. */
const STAGE_OF: Readonly<Record<string, string>> = { eventBus: 'scheduler', eventBusBulk: 'scheduler' };

const kebab = (role: string): string => role.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The stage and lane a queue role stands for: `processBulk` is the bulk lane of `process`,
 * `eventBus` is the scheduler's queue, `subscriberClimate` a subscriber's.
 */
export function stageOfRole(role: string): { readonly stage: string; readonly lane?: string } {
  const lane = /^(.*?)(Bulk|Realtime)$/.exec(role);
  const base = lane?.[1] ?? role;
  const stage = STAGE_OF[role] ?? STAGE_OF[base] ?? kebab(base);
  return lane === null ? { stage } : { stage, lane: lane[2]!.toLowerCase() };
}

/** The queue roles of a stack that are stages or lanes (not dead-letter queues), in flow order. */
export function stageRoles(queues: Readonly<Record<string, string>>): string[] {
  const roles = Object.keys(queues).filter((role) => !role.endsWith('Dlq'));
  const rank = (role: string): number => (FLOW.includes(role) ? FLOW.indexOf(role) : FLOW.length);
  return roles.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Event types that say a stage gave up on something. */
export const FailureTypes: readonly string[] = [
  'cometflow.file.rejected',
  'cometflow.delivery.compensated',
  'cometflow.cycle.abandoned',
];

/** Event types that are alerts by themselves; those the catalog does not have yet simply never occur. */
export const AlertTypes: readonly string[] = ['cometflow.input.missing', 'cometflow.provider.silent'];

/** The stage that published an event: its `source` is `cometflow/<stage>`. */
export const stageOfSource = (source: string): string => source.replace(/^cometflow\//, '');

/**
 * Events published and failures per stage, from the events of a window. A stage's events are
 * those whose `source` names it; the scheduler's queue (`eventBus`) counts the scheduler's.
 */
export function activityByStage(
  events: readonly { readonly source: string; readonly type: string }[],
): Map<string, { done: number; failed: number }> {
  const counts = new Map<string, { done: number; failed: number }>();
  for (const event of events) {
    const stage = stageOfSource(event.source);
    const count = counts.get(stage) ?? { done: 0, failed: 0 };
    if (FailureTypes.includes(event.type)) count.failed += 1;
    else count.done += 1;
    counts.set(stage, count);
  }
  return counts;
}

/**
 * The cell state of every slot of a cycle and of its forecast. `arrivedSlots` are the slots with
 * a `file.available` (intake accepted the upload); the view's own lists say ingested, duplicate
 * and late. A slot with nothing is `missing` once the join closed (it fired, was abandoned or its
 * deadline passed) and `pending` before.
 */
export function cycleCells(
  view: CycleView,
  arrivedSlots: ReadonlySet<number>,
  slots: number,
): { cells: CellState[]; forecast: CellState } {
  const closed = view.fired !== undefined || view.abandoned !== undefined || view.deadlines.length > 0;
  const ingested = new Set(view.arrived);
  const duplicate = new Set(view.duplicates.map((d) => d.slot));
  const late = new Set(view.late.map((l) => Number(l.slot)));
  const cells: CellState[] = [];
  for (let slot = 1; slot <= slots; slot += 1) {
    cells.push(
      late.has(slot)
        ? 'late'
        : duplicate.has(slot)
          ? 'duplicate'
          : ingested.has(slot)
            ? 'ingested'
            : arrivedSlots.has(slot)
              ? 'arrived'
              : closed
                ? 'missing'
                : 'pending',
    );
  }
  const forecast: CellState = view.forecast !== undefined ? 'ingested' : closed ? 'missing' : 'pending';
  return { cells, forecast };
}

/** Seconds between two ISO instants, or undefined when either is missing. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  return (Date.parse(to) - Date.parse(from)) / 1000;
}

/**
 * Distance between two strings (insertions, deletions, substitutions), for suggesting the known
 * ids nearest to one that was not found.
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The `count` candidates nearest to `query`, nearest first. */
export function nearest(query: string, candidates: Iterable<string>, count = 5): string[] {
  const q = query.toLowerCase();
  return [...new Set(candidates)]
    .map((candidate) => {
      const c = candidate.toLowerCase();
      // A candidate containing the query (a cycle id inside its correlation) is nearest of all.
      return { candidate, distance: c.includes(q) ? 0 : editDistance(q, c) };
    })
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, count)
    .map((c) => c.candidate);
}

/** A stage's part of a trace: when it first and last published or was commanded, and how often. */
export interface StageSpan {
  readonly stage: string;
  readonly first: string;
  readonly last: string;
  readonly count: number;
  /** The event types, short, in the order they first occurred. */
  readonly types: readonly string[];
}

/** Event types whose `time` is not when they happened: a deadline timer carries the deadline it stands for. */
export const NominalTimeTypes: readonly string[] = ['cometflow.deadline.reached'];

/**
 * The stages a trace went through, in the order they started: events are the stage's own (by
 * `source`), except commands, which are put on the stage they command (`ingest.requested` on
 * ingest), so the line shows when work was asked of a stage and when it answered.
 */
export function stageSpans(events: readonly TraceEvent[]): StageSpan[] {
  const commandTarget: Readonly<Record<string, string>> = {
    'cometflow.ingest.requested': 'ingest',
    'cometflow.processing.requested': 'process',
    'cometflow.delivery.requested': 'deliver',
  };
  const spans = new Map<string, { first: string; last: string; count: number; types: string[] }>();
  for (const event of events) {
    if (NominalTimeTypes.includes(event.type)) continue;
    const stage = commandTarget[event.type] ?? stageOfSource(event.source);
    const type = event.type.replace(/^cometflow\./, '');
    const span = spans.get(stage);
    if (span === undefined) spans.set(stage, { first: event.time, last: event.time, count: 1, types: [type] });
    else {
      if (event.time < span.first) span.first = event.time;
      if (event.time > span.last) span.last = event.time;
      span.count += 1;
      if (!span.types.includes(type)) span.types.push(type);
    }
  }
  return [...spans.entries()]
    .map(([stage, span]) => ({ stage, ...span }))
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
}
