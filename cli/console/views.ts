/**
 * What the console's pages show, as plain data (the JSON its API answers), and the pure steps
 * that shape the CLI's results into it. The numbers come from the CLI's functions (`queueDepth`,
 * `deadLetterQueues`, the status read model's views, the event store readers); what is computed here is only
 * their arrangement for a page: which queue is which stage, a cell state per chunk, counts per
 * stage in a window. No AWS call and no Node API here: the browser code imports these types.
 */
import type { CycleView, EntityView, FileView, ProductView } from '#functions/projector/logic.ts';
import { LI_FILES_PER_CYCLE, LI_WINDOW_SECONDS } from '#shared/conventions/mtg-li.ts';
import type { QueueDepth } from '../dlq.ts';
import type { FailureReport, RerunReport } from '../failures.ts';
import type { ReconcileReport } from '../reconcile.ts';
import type { QueueStatus, StatusReport } from '../status.ts';

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

/** One stage or lane of the pipeline: its queue as `status` counts it, its DLQ's role, its activity. */
export interface StageRow extends QueueStatus {
  /** The role of its dead-letter queue, for the redrive. */
  readonly deadLetterRole?: string;
  /** Events the stage published in the window, and how many of them say it failed. */
  readonly done: number;
  readonly failed: number;
}

/** Something an operator should look at, shown above everything else. */
export interface Alert {
  readonly severity: 'warning' | 'critical';
  readonly kind: string;
  readonly text: string;
  /** What the trace view should open for it, latest first, if anything. */
  readonly subjects?: readonly string[];
}

/** The overview page. */
export interface Overview {
  readonly stack: StackSummary;
  readonly generatedAt: string;
  /** The window the done/failed counts cover. */
  readonly window: { readonly from: string; readonly to: string };
  readonly stages: readonly StageRow[];
  /** What `cometflow status` reports: read model counts, running executions and container tasks. */
  readonly status: StatusReport;
  readonly alerts: readonly Alert[];
}

/** The state of one chunk slot (or the forecast) of a cycle, as its cell is coloured. */
export type CellState = 'pending' | 'arrived' | 'ingested' | 'duplicate' | 'late' | 'missing';

/** One row of the cycles page. */
export interface CycleRow {
  /** The cycle as the status read model holds it (what `cycle` and `trace` print). */
  readonly view: CycleView;
  /** Slots 1..41 in order. */
  readonly cells: readonly CellState[];
  readonly forecast: CellState;
  /** The time of the cycle's latest stored event. */
  readonly lastEventAt: string;
  /** When its product was delivered. */
  readonly deliveredAt?: string;
  /** Seconds from the cycle's nominal end to its product's delivery: the product view's timeliness. */
  readonly timelinessSeconds?: number;
  /** Seconds from the cycle's first chunk in (accepted or ingested) to its delivery: the pipeline's own share. */
  readonly pipelineSeconds?: number;
}

/** Where a lightning window's product stands, from the read model's views of its file and product. */
export type WindowState = 'pending' | 'arrived' | 'ingested' | 'rejected' | 'generated' | 'delivered' | 'failed';

/** One 30 s window of a lightning stream: a product of its own. */
export interface LiWindow {
  /** Its 1-based place in the repeat cycle (the LI name's count, 1..20). */
  readonly count: number;
  readonly start: string;
  readonly state: WindowState;
  /** The file's inbox key and the product's id, when the read model knows them (for trace). */
  readonly key?: string;
  readonly productId?: string;
  /** Seconds from the window's end to its product's delivery: the product view's timeliness. */
  readonly timelinessSeconds?: number;
}

/** A strip of the cycles page: one lightning stream during one repeat cycle, a cell per 30 s window. */
export interface LiStrip {
  /** The stream (satellite and LI product type, `mti1-li-lfl`). */
  readonly stream: string;
  /** The repeat cycle the windows fall in, `YYYYMMDD-NNN` as for the imager. */
  readonly cycleId: string;
  /** Every window of the cycle, 1..20 in order. */
  readonly windows: readonly LiWindow[];
  /** The time of the strip's latest stored event. */
  readonly lastEventAt: string;
}

/** The cycles page. */
export interface Cycles {
  readonly stack: StackSummary;
  readonly generatedAt: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly rows: readonly CycleRow[];
  /** The lightning streams' latest repeat cycles, latest first. */
  readonly lightning: readonly LiStrip[];
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
      /** What was found: a file, a cycle, a product (`trace`'s entity kinds). */
      readonly kind: string;
      readonly id: string;
      readonly state: string;
      /** In plain words why it is where it is, when it is not done. */
      readonly why: readonly string[];
      /** Each stage it reached, first time, in time order. */
      readonly stages: readonly { readonly name: string; readonly at: string }[];
      /** The read model's view, as `trace --json` prints it. */
      readonly view: EntityView;
      readonly correlationId?: string;
      /** The stored events of its correlation. */
      readonly events: readonly TraceEvent[];
      readonly cycle?: CycleRow;
      /** The chunk a traced file is, and its cell's state in its cycle. */
      readonly file?: { readonly slot: number; readonly state: CellState };
      /** Links to follow: a product's cycle, a cycle's product and forecast, a file's cycle. */
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

/** The failures page's records: `cometflow failures` (`listFailures`) for the filter given. */
export interface FailureRecords extends FailureReport {
  readonly stack: StackSummary;
}

/** A rerun's answer: `rerunFailures`'s items and count, what was not failed, its words as the CLI prints them. */
export interface Rerun extends Omit<RerunReport, 'nothing'> {
  /** For each selected failure not in a dead-letter queue now, `rerunFailures`'s words. */
  readonly nothing: readonly string[];
  readonly lines: readonly string[];
}

/** The reconcile page: `cometflow reconcile` of a day, with what each check means. */
export interface Reconciliation extends ReconcileReport {
  readonly stack: StackSummary;
  readonly checks: Readonly<Record<string, string>>;
}

/** The order the pipeline runs its queues in; roles the stack has beyond these follow, sorted. */
const FLOW = [
  'intake',
  'eventBus',
  'eventBusBulk',
  'ingest',
  'ingestContainer',
  'processRealtime',
  'process',
  'processBulk',
  'deliver',
];

/** Queues in the order the pipeline runs them (a page reads top to bottom as a file travels). */
export function orderByFlow<T extends { readonly role: string }>(queues: readonly T[]): T[] {
  const rank = (role: string): number => (FLOW.includes(role) ? FLOW.indexOf(role) : FLOW.length);
  return [...queues].sort((a, b) => rank(a.role) - rank(b.role) || a.role.localeCompare(b.role));
}

/** Event types that say a stage gave up on something. */
export const FailureTypes: readonly string[] = [
  'cometflow.file.rejected',
  'cometflow.delivery.compensated',
  'cometflow.cycle.abandoned',
];

/** A duration for a reader: seconds, minutes, hours or days, one decimal. */
export function durationText(seconds: number): string {
  const abs = Math.abs(seconds);
  if (abs < 120) return `${seconds.toFixed(1)} s`;
  if (abs < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (abs < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** Subjects an alert links to, at most. */
const ALERT_SUBJECTS = 5;

/**
 * The delivery calendar's alerts of the day as `status` lists them (`input.missing`,
 * `provider.silent`), one alert per type: how many, the latest's detail, the latest subjects.
 */
export function calendarAlerts(alerts: StatusReport['alerts']): Alert[] {
  const byType = new Map<string, StatusReport['alerts'][number][]>();
  for (const alert of alerts) byType.set(alert.type, [...(byType.get(alert.type) ?? []), alert]);
  return [...byType].map(([type, list]) => {
    const latest = [...list].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    const subjects = [...new Set(latest.map((a) => a.subject).filter((s) => s !== ''))];
    const what = type === 'input.missing' ? 'input(s) missing' : 'provider(s) silent';
    return {
      severity: 'critical',
      kind: type,
      text: `${list.length} ${what} today; latest ${latest[0]!.subject} at ${latest[0]!.at}: ${latest[0]!.detail}`,
      subjects: subjects.slice(0, ALERT_SUBJECTS),
    };
  });
}

/**
 * Products delivered over their type's timeliness budget (seconds from the nominal end of their
 * data to delivery, as the read model's product view measured it), one alert per product type.
 */
export function timelinessAlerts(products: readonly ProductView[], budgets: Readonly<Record<string, number>>): Alert[] {
  const byType = new Map<string, { over: ProductView[]; delivered: number }>();
  for (const product of products) {
    if (product.productType === undefined || product.timelinessSeconds === undefined) continue;
    const budget = budgets[product.productType];
    if (budget === undefined) continue;
    const entry = byType.get(product.productType) ?? { over: [], delivered: 0 };
    entry.delivered += 1;
    if (product.timelinessSeconds > budget) entry.over.push(product);
    byType.set(product.productType, entry);
  }
  return [...byType]
    .filter(([, entry]) => entry.over.length > 0)
    .map(([productType, { over, delivered }]) => {
      const worst = [...over].sort((a, b) => b.timelinessSeconds! - a.timelinessSeconds!);
      return {
        severity: 'warning',
        kind: 'timeliness over budget',
        text:
          `${productType}: ${over.length} of ${delivered} product(s) delivered in the last hour took longer than ` +
          `the ${budgets[productType]} s budget; worst ${durationText(worst[0]!.timelinessSeconds!)} ` +
          `(${worst[0]!.correlationId ?? worst[0]!.id})`,
        subjects: worst.slice(0, ALERT_SUBJECTS).map((p) => p.id),
      };
    });
}

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
 * The cell state of every slot of a cycle and of its forecast, from the read model's view: slots
 * ingested (twice: duplicate; after the join closed: late), announced by a `file.available` only
 * (arrived), or with nothing: `missing` once the join closed (it fired, was abandoned, its deadline
 * timer was handled, or the calendar found the cycle missing) and `pending` before. The forecast
 * cell is the references of the processing request, or the forecast `trace` found for a
 * collecting cycle.
 */
export function cycleCells(view: CycleView, slots: number): { cells: CellState[]; forecast: CellState } {
  const closed =
    view.fired !== undefined ||
    view.abandoned !== undefined ||
    view.stages['deadline.reached'] !== undefined ||
    view.stage === 'missing';
  const ingested = new Set(view.ingested);
  const available = new Set(view.available);
  // A view the projector wrote before it kept duplicates and references has neither (until rebuild-status).
  const duplicate = new Set((view.duplicates ?? []).map((d) => d.slot));
  const late = new Set(view.late.map(Number));
  const cells: CellState[] = [];
  for (let slot = 1; slot <= slots; slot += 1) {
    cells.push(
      late.has(slot)
        ? 'late'
        : duplicate.has(slot)
          ? 'duplicate'
          : ingested.has(slot)
            ? 'ingested'
            : available.has(slot)
              ? 'arrived'
              : closed
                ? 'missing'
                : 'pending',
    );
  }
  const referenced =
    view.fired === undefined ? view.forecast !== undefined : (view.fired.references ?? ['unknown']).length > 0;
  const forecast: CellState = referenced ? 'ingested' : closed ? 'missing' : 'pending';
  return { cells, forecast };
}

/** Seconds between two ISO instants, or undefined when either is missing. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  return (Date.parse(to) - Date.parse(from)) / 1000;
}

/**
 * What a lightning correlation (`li-<stream>-<YYYYMMDDHHMMSS>`, its window's start, as
 * `liCorrelationOf` makes it) names: the stream, the window's start, its repeat cycle of the day
 * (`YYYYMMDD-NNN`, cycle N starting (N - 1) x 10 minutes after midnight) and its count in it.
 */
export function liWindowOf(
  correlationId: string,
): { stream: string; start: string; cycleId: string; count: number } | undefined {
  const match = /^li-(.+)-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(correlationId);
  if (match === null) return undefined;
  const [, stream, y, mo, d, h, mi, se] = match as unknown as [string, string, ...string[]];
  const start = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${se}.000Z`);
  if (Number.isNaN(start)) return undefined;
  const ofDay = (Number(h) * 3600 + Number(mi) * 60 + Number(se)) / LI_WINDOW_SECONDS;
  const cycle = Math.floor(ofDay / LI_FILES_PER_CYCLE) + 1;
  return {
    stream,
    start: new Date(start).toISOString(),
    cycleId: `${y}${mo}${d}-${String(cycle).padStart(3, '0')}`,
    count: Math.floor(ofDay % LI_FILES_PER_CYCLE) + 1,
  };
}

/** A window's state: its product's stage once there is one, else its file's. */
export function windowState(file: FileView | undefined, product: ProductView | undefined): WindowState {
  if (product !== undefined)
    return product.stage === 'delivered' ? 'delivered' : product.stage === 'compensated' ? 'failed' : 'generated';
  if (file === undefined) return 'pending';
  return file.stage === 'quarantined' ? 'rejected' : file.stage === 'ingested' ? 'ingested' : 'arrived';
}

/** What the read model says of one lightning window. */
export interface WindowViews {
  readonly correlationId: string;
  readonly lastEventAt: string;
  readonly file?: FileView;
  readonly product?: ProductView;
}

/**
 * The strips of the windows given: one per stream and repeat cycle, latest activity first, at
 * most `limit`; every strip has all 20 windows of its cycle, those with nothing yet `pending`.
 */
export function liStrips(windows: readonly WindowViews[], limit: number): LiStrip[] {
  const strips = new Map<
    string,
    { stream: string; cycleId: string; lastEventAt: string; known: Map<number, LiWindow> }
  >();
  for (const w of windows) {
    const at = liWindowOf(w.correlationId);
    if (at === undefined) continue;
    const id = `${at.stream} ${at.cycleId}`;
    const strip = strips.get(id) ?? { stream: at.stream, cycleId: at.cycleId, lastEventAt: '', known: new Map() };
    if (w.lastEventAt > strip.lastEventAt) strip.lastEventAt = w.lastEventAt;
    const timeliness = w.product?.timelinessSeconds;
    strip.known.set(at.count, {
      count: at.count,
      start: at.start,
      state: windowState(w.file, w.product),
      ...(w.file === undefined ? {} : { key: w.file.id }),
      ...(w.product === undefined ? {} : { productId: w.product.id }),
      ...(timeliness === undefined ? {} : { timelinessSeconds: timeliness }),
    });
    strips.set(id, strip);
  }
  return [...strips.values()]
    .sort((a, b) => (a.lastEventAt < b.lastEventAt ? 1 : a.lastEventAt > b.lastEventAt ? -1 : 0))
    .slice(0, limit)
    .map(({ stream, cycleId, lastEventAt, known }) => {
      const cycleStart = Date.parse(
        `${cycleId.slice(0, 4)}-${cycleId.slice(4, 6)}-${cycleId.slice(6, 8)}T00:00:00.000Z`,
      );
      const first = cycleStart + (Number(cycleId.slice(9)) - 1) * LI_FILES_PER_CYCLE * LI_WINDOW_SECONDS * 1000;
      const all = Array.from(
        { length: LI_FILES_PER_CYCLE },
        (_, i): LiWindow =>
          known.get(i + 1) ?? {
            count: i + 1,
            start: new Date(first + i * LI_WINDOW_SECONDS * 1000).toISOString(),
            state: 'pending',
          },
      );
      return { stream, cycleId, lastEventAt, windows: all };
    });
}
