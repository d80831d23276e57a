/**
 * The console's reads and its two writes, against one stack, through the CLI's own functions:
 * queue and dead-letter depths (`queueDepth`, `deadLetterQueues` of `dlq.ts`), the event store
 * (`readWindow`, `readCorrelation` of `event-store.ts`), the status read model (`readView`, as `cycle`
 * and `trace` read it) and the redrive (`redrive` of `dlq.ts`). What is added here is the reading of
 * running executions and container tasks (ListExecutions, ListTasks) and the arrangement for a
 * page (`views.ts`).
 */
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { operations } from '../../infra/cdk/config.ts';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import {
  entityKey,
  type CycleView,
  type EntityRef,
  type EntityView,
  type FileView,
  type ProductView,
} from '#functions/projector/logic.ts';
import { viewOfItem } from '#functions/projector/status-store.ts';
import { CYCLE_SLOTS, deliveredAt, readCycle } from '../cycle.ts';
import { deadLetterQueues, findDeadLetterQueue, queueDepth } from '../dlq.ts';
import {
  formatRedrive,
  formatRerun,
  listFailures,
  redriveChecked,
  rerunFailures,
  type FailureFilter,
  type RedriveReport,
  type RerunReport,
} from '../failures.ts';
import { readCorrelation, readWindow, type StoredEvent } from '../event-store.ts';
import { reconcile, ReconcileChecks } from '../reconcile.ts';
import { readStatus } from '../status.ts';
import { formatTrace, traceOf } from '../trace.ts';
import { clientsFor, destroyClients, resourceOf, type SelectedStack, type StackClients } from '../stack.ts';
import { chunkOfKey, correlationOfKey } from './keys.ts';
import {
  activityByStage,
  calendarAlerts,
  cycleCells,
  FailureTypes,
  liStrips,
  liWindowOf,
  orderByFlow,
  secondsBetween,
  stageOfSource,
  timelinessAlerts,
  type Alert,
  type CycleRow,
  type Cycles,
  type FailureRecords,
  type Failures,
  type Overview,
  type Reconciliation,
  type Rerun,
  type StackSummary,
  type Trace,
  type WindowViews,
} from './views.ts';

/** A stack the console reads: the selection and the CLI's clients for it (`clientsFor`). */
export interface ConsoleStack {
  readonly selected: SelectedStack;
  readonly clients: StackClients;
}

/** Clients for a selected stack, as the CLI builds them: region, credentials, endpoints. */
export function openStack(selected: SelectedStack): ConsoleStack {
  return { selected, clients: clientsFor(selected) };
}

/** Closes a stack's connections. */
export function closeStack(stack: ConsoleStack): void {
  destroyClients(stack.clients);
}

const summary = (stack: ConsoleStack): StackSummary => ({
  name: stack.selected.description.stackName,
  region: stack.selected.description.region,
  from: stack.selected.from,
});

const eventStore = (stack: ConsoleStack): string => resourceOf('tables', stack.selected.description, 'eventStore');

/** The last `hours` up to now, as the event store readers take it. */
export function lastHours(hours: number, now = new Date()): { from: string; to: string } {
  return {
    from: new Date(now.getTime() - hours * 3_600_000).toISOString(),
    to: new Date(now.getTime() + 1000).toISOString(),
  };
}

/**
 * The overview: `status` as the CLI computes it (`readStatus`: queues and dead letters per stage
 * and lane, the read model's counts with the oldest waiting, running sagas and container tasks),
 * with the events each stage published in the last hour and the alerts among them.
 */
export async function readOverview(stack: ConsoleStack, now = new Date()): Promise<Overview> {
  const { description } = stack.selected;
  const window = lastHours(1, now);
  const [status, events] = await Promise.all([
    readStatus({ description, ...stack.clients, now: () => now }),
    readWindow(stack.clients.documents, eventStore(stack), window),
  ]);
  const activity = activityByStage(events);
  const seen = new Set<string>();
  const stages = orderByFlow(status.queues).map((queue) => {
    // Lanes of one stage share its function's source: its activity is shown on its first lane only.
    const counts = seen.has(queue.stage)
      ? { done: 0, failed: 0 }
      : (activity.get(queue.stage) ?? { done: 0, failed: 0 });
    seen.add(queue.stage);
    const dlq = `${queue.role}Dlq`;
    return {
      ...queue,
      ...(queue.deadLetters === undefined || description.queues[dlq] === undefined ? {} : { deadLetterRole: dlq }),
      done: counts.done,
      failed: counts.failed,
    };
  });
  const alerts: Alert[] = [];
  for (const row of stages) {
    if ((row.deadLetters ?? 0) > 0) {
      alerts.push({
        severity: 'critical',
        kind: 'dead letters',
        text: `${row.deadLetterRole ?? row.role} holds ${row.deadLetters} message(s) that ${row.stage} gave up on`,
      });
    }
  }
  alerts.push(...calendarAlerts(status.alerts));
  // Timeliness as the read model measured it, for the products delivered in the window.
  const delivered = events.flatMap((e) =>
    e.type === EventTypes.productDelivered
      ? [{ kind: 'product' as const, id: (e.event.data as { productId: string }).productId }]
      : [],
  );
  const products = [...(await readViews(stack, delivered)).values()] as ProductView[];
  alerts.push(...timelinessAlerts(products, operations.timelinessBudgetSeconds));
  for (const event of events) {
    if (event.type === EventTypes.cycleAbandoned) {
      alerts.push({
        severity: 'critical',
        kind: 'cycle abandoned',
        text: `${event.correlationId} at ${event.time}`,
        subjects: [event.correlationId],
      });
    }
    const request = event.event as CometEvent<typeof EventTypes.processingRequested>;
    if (event.type === EventTypes.processingRequested && request.data.degraded) {
      alerts.push({
        severity: 'warning',
        kind: 'degraded',
        text: `${event.correlationId} processed without ${request.data.missing.length} input(s)`,
        subjects: [event.correlationId],
      });
    }
  }
  // Critical first; within a severity, in the order found.
  const ordered = [
    ...alerts.filter((a) => a.severity === 'critical'),
    ...alerts.filter((a) => a.severity !== 'critical'),
  ];
  return { stack: summary(stack), generatedAt: now.toISOString(), window, stages, status, alerts: ordered };
}

/**
 * A cycle's row: its read model view, a state per cell, and its timeliness as the read model's
 * product view measured it (`product` is the view of the cycle's first product, if read).
 */
export function cycleRow(view: CycleView, product?: ProductView): CycleRow {
  const { cells, forecast } = cycleCells(view, CYCLE_SLOTS);
  const delivered = deliveredAt(view);
  // From its first chunk in: a deadline timer, and what the scheduler decides on it, carry the
  // nominal deadline as their time, not when the cycle's work began.
  const firstWork = [view.stages['file.available'], view.stages['file.ingested']]
    .filter((t) => t !== undefined)
    .sort()[0];
  const pipeline = secondsBetween(firstWork, delivered);
  const timeliness = product?.timelinessSeconds;
  return {
    view,
    cells,
    forecast,
    lastEventAt: view.updatedAt,
    ...(delivered === undefined ? {} : { deliveredAt: delivered }),
    ...(timeliness === undefined ? {} : { timelinessSeconds: timeliness }),
    ...(pipeline === undefined ? {} : { pipelineSeconds: pipeline }),
  };
}

const statusTable = (stack: ConsoleStack): string => resourceOf('tables', stack.selected.description, 'status');

/** Keys per BatchGetItem: DynamoDB's limit. */
const BATCH_GET_KEYS = 100;

/**
 * The read model's views of many entities at once (BatchGetItem, consistent reads, unprocessed
 * keys asked again), by `<kind>#<id>`; an entity the read model does not know is absent.
 */
export async function readViews(stack: ConsoleStack, entities: readonly EntityRef[]): Promise<Map<string, EntityView>> {
  const table = statusTable(stack);
  const views = new Map<string, EntityView>();
  const keys = [...new Set(entities.map(entityKey))];
  for (let start = 0; start < keys.length; start += BATCH_GET_KEYS) {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead?: boolean }> | undefined = {
      [table]: { Keys: keys.slice(start, start + BATCH_GET_KEYS).map((pk) => ({ pk })), ConsistentRead: true },
    };
    while (request !== undefined && Object.keys(request).length > 0) {
      const page = await stack.clients.documents.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of page.Responses?.[table] ?? []) {
        const view = viewOfItem(item);
        if (view !== undefined) views.set(entityKey(view), view);
      }
      request = page.UnprocessedKeys as typeof request;
    }
  }
  return views;
}

/** The row of a cycle view, with its first product's view read for the timeliness. */
async function rowOf(stack: ConsoleStack, view: CycleView): Promise<CycleRow> {
  const [productId] = view.productIds;
  const entity = { kind: 'product', id: productId ?? '' } as const;
  const product = productId === undefined ? undefined : (await readViews(stack, [entity])).get(entityKey(entity));
  return cycleRow(view, product as ProductView | undefined);
}

/** Lightning strips shown: the streams' latest repeat cycles. */
const LI_STRIPS = 6;

/**
 * The strips of the lightning windows among `events` (a window of the event store): the latest
 * `LI_STRIPS` streams' repeat cycles, each window with the read model's views of its file and
 * product. The keys and product ids come from the window's events (`file.available`,
 * `product.generated`); what state each is in comes from the views.
 */
async function readLightning(stack: ConsoleStack, events: readonly StoredEvent[]): Promise<Cycles['lightning']> {
  const windows = new Map<string, { lastEventAt: string; strip: string; key?: string; productId?: string }>();
  const stripLatest = new Map<string, string>();
  for (const stored of events) {
    const at = liWindowOf(stored.correlationId);
    if (at === undefined) continue;
    const strip = `${at.stream} ${at.cycleId}`;
    const w = windows.get(stored.correlationId) ?? { lastEventAt: '', strip };
    if (stored.time > w.lastEventAt) w.lastEventAt = stored.time;
    if (stored.time > (stripLatest.get(strip) ?? '')) stripLatest.set(strip, stored.time);
    const data = stored.event.data as { file?: { key?: string }; productId?: string } | undefined;
    if (stored.type === EventTypes.fileAvailable || stored.type === EventTypes.fileRejected) w.key ??= data?.file?.key;
    if (stored.type === EventTypes.productGenerated) w.productId ??= data?.productId;
    windows.set(stored.correlationId, w);
  }
  const latest = new Set(
    [...stripLatest]
      .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))
      .slice(0, LI_STRIPS)
      .map(([strip]) => strip),
  );
  const shown = [...windows].filter(([, w]) => latest.has(w.strip));
  const entities: EntityRef[] = shown.flatMap(([, w]) => [
    ...(w.key === undefined ? [] : [{ kind: 'file' as const, id: w.key }]),
    ...(w.productId === undefined ? [] : [{ kind: 'product' as const, id: w.productId }]),
  ]);
  const views = await readViews(stack, entities);
  const withViews: WindowViews[] = shown.map(([correlationId, w]) => {
    const file = w.key === undefined ? undefined : (views.get(`file#${w.key}`) as FileView | undefined);
    const product =
      w.productId === undefined ? undefined : (views.get(`product#${w.productId}`) as ProductView | undefined);
    return {
      correlationId,
      lastEventAt: w.lastEventAt,
      ...(file === undefined ? {} : { file }),
      ...(product === undefined ? {} : { product }),
    };
  });
  return liStrips(withViews, LI_STRIPS);
}

/**
 * The cycles with events in the last `hours`, latest first, at most `limit`: chosen from the
 * event store's window, each shown as the status read model holds it (a cycle the projector has
 * not written yet appears on the next read); and the lightning streams' latest strips.
 */
export async function readCycles(
  stack: ConsoleStack,
  options: { readonly hours?: number; readonly limit?: number } = {},
  now = new Date(),
): Promise<Cycles> {
  const window = lastHours(options.hours ?? 6, now);
  const events = await readWindow(stack.clients.documents, eventStore(stack), window);
  const latest = new Map<string, string>();
  for (const event of events) if (event.correlationId.startsWith('cycle-')) latest.set(event.correlationId, event.time);
  const chosen = [...latest.entries()]
    .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))
    .slice(0, options.limit ?? 12);
  const ids = chosen.map(([correlationId]) => correlationId.slice('cycle-'.length));
  const [cycleViews, lightning] = await Promise.all([
    readViews(
      stack,
      ids.map((id) => ({ kind: 'cycle', id })),
    ),
    readLightning(stack, events),
  ]);
  const cycles = ids.flatMap((id) => {
    const view = cycleViews.get(`cycle#${id}`);
    return view === undefined ? [] : [view as CycleView];
  });
  const products = await readViews(
    stack,
    cycles.flatMap((view) => view.productIds.slice(0, 1).map((id) => ({ kind: 'product' as const, id }))),
  );
  const rows = cycles.map((view) =>
    cycleRow(view, products.get(`product#${view.productIds[0]}`) as ProductView | undefined),
  );
  return { stack: summary(stack), generatedAt: now.toISOString(), window, rows, lightning };
}

/**
 * What a query names and where it stands: `trace` as the CLI computes it (`traceOf` over the
 * status read model: the entity, the stages it reached, why it waits, the nearest known ids),
 * with the stored events of its correlation (`readCorrelation`) and, for a cycle, one of its
 * chunks or its product, the cycle's cells from the cycle's view. A chunk the read model does
 * not know because it never arrived is shown in its cycle, found by intake's own correlation of
 * its name.
 */
export async function readTrace(stack: ConsoleStack, query: string, now = new Date()): Promise<Trace> {
  const q = query.trim();
  const { documents } = stack.clients;
  const table = eventStore(stack);
  let trace = await traceOf(documents, statusTable(stack), q, now);
  let neverArrived: number | undefined;
  if (!trace.found && trace.entity.kind === 'file') {
    const slot = chunkOfKey(q);
    const cycle = /^cycle-(\d{8}-\d{3})$/.exec(correlationOfKey(q) ?? '')?.[1];
    if (slot !== undefined && cycle !== undefined) {
      const ofCycle = await traceOf(documents, statusTable(stack), cycle, now);
      if (ofCycle.found) {
        trace = ofCycle;
        neverArrived = slot;
      }
    }
  }
  if (!trace.found) return { found: false, query: q, message: formatTrace(trace)[0]!, suggestions: trace.suggestions };
  const { view } = trace;
  const correlationId = view.kind === 'cycle' ? `cycle-${view.id}` : view.correlationId;
  const stored = correlationId === undefined ? [] : await readCorrelation(documents, table, correlationId);
  // The cycle it belongs to: itself, a chunk's cycle (`trace` read it), a product's by its correlation.
  const productCycle = /^cycle-(\d{8}-\d{3})$/.exec(view.kind === 'product' ? (view.correlationId ?? '') : '')?.[1];
  const cycleView =
    view.kind === 'cycle'
      ? view
      : (trace.cycle ??
        (productCycle === undefined ? undefined : await readCycle(documents, statusTable(stack), productCycle)));
  const row = cycleView === undefined ? undefined : await rowOf(stack, cycleView);
  const cycleId = cycleView?.id;
  const slot = neverArrived ?? (view.kind === 'file' ? view.chunk : undefined);
  const file = slot === undefined || row === undefined ? undefined : { slot, state: row.cells[slot - 1]! };
  const why = [...trace.why];
  if (file !== undefined) {
    why.unshift(
      neverArrived === undefined
        ? `this file is chunk ${file.slot} of the cycle: ${file.state}`
        : `this file never arrived; it is chunk ${file.slot} of cycle ${cycleId}: ${file.state}`,
    );
  }
  const links: { label: string; query: string }[] = [];
  if (view.kind !== 'cycle' && cycleId !== undefined) links.push({ label: `cycle ${cycleId}`, query: cycleId });
  for (const productId of cycleView?.productIds ?? []) {
    if (productId !== view.id) links.push({ label: `product ${productId}`, query: productId });
  }
  for (const name of cycleView?.fired?.references ?? []) {
    links.push({ label: `forecast ${name}`, query: `ecmwf/${name}` });
  }
  if (cycleView?.fired === undefined && cycleView?.forecast !== undefined)
    links.push({ label: `forecast ${cycleView.forecast}`, query: cycleView.forecast });
  const stages = Object.entries(view.stages)
    .map(([name, at]) => ({ name, at }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return {
    found: true,
    query: q,
    kind: neverArrived === undefined ? view.kind : 'file',
    id: neverArrived === undefined ? view.id : q,
    state: neverArrived === undefined ? view.stage : 'never arrived',
    why,
    stages,
    view,
    ...(correlationId === undefined ? {} : { correlationId }),
    events: stored.map((s) => ({
      time: s.time,
      type: s.type,
      source: s.source,
      id: s.id,
      ...(s.subject === undefined ? {} : { subject: s.subject }),
    })),
    ...(row === undefined ? {} : { cycle: row }),
    ...(file === undefined ? {} : { file }),
    links,
  };
}

/** The failures page: every dead-letter queue with its depth, and the failures stored in the last `hours`. */
export async function readFailures(
  stack: ConsoleStack,
  options: { readonly hours?: number } = {},
  now = new Date(),
): Promise<Failures> {
  const { description } = stack.selected;
  const window = lastHours(options.hours ?? 24, now);
  const pairs = deadLetterQueues(description.queues);
  const [deadLetters, events] = await Promise.all([
    Promise.all(
      pairs.map(async (pair) => ({
        role: pair.role,
        sourceRole: pair.sourceRole,
        depth: await queueDepth(stack.clients.sqs, pair.url),
        redrivable: pair.sourceUrl !== undefined,
      })),
    ),
    readWindow(stack.clients.documents, eventStore(stack), window, { types: FailureTypes }),
  ]);
  const failures = events
    .map((s) => {
      const data = s.event.data as { code?: string; reason?: string; file?: { key?: string }; error?: string };
      return {
        time: s.time,
        stage: stageOfSource(s.source),
        code: data.code ?? s.type.replace(/^cometflow\./, ''),
        subject: data.file?.key ?? s.subject ?? s.correlationId,
        reason: data.reason ?? data.error ?? '',
        correlationId: s.correlationId,
      };
    })
    .reverse();
  return { stack: summary(stack), generatedAt: now.toISOString(), window, deadLetters, failures };
}

/** What the failure functions of `cli/failures.ts` need: the stack's description and clients. */
const failureContext = (stack: ConsoleStack) => ({ description: stack.selected.description, clients: stack.clients });

/**
 * Moves one DLQ's messages back to its source as `cometflow dlq --redrive` does (`redriveChecked`:
 * a message whose cause is unchanged stays, with why); resolves to how many moved, and its words.
 */
export async function redriveQueue(
  stack: ConsoleStack,
  role: string,
): Promise<{ moved: number; refused: RedriveReport['refused']; lines: string[] }> {
  const pair = findDeadLetterQueue(stack.selected.description.queues, role);
  const report = await redriveChecked(failureContext(stack), pair);
  return { moved: report.moved, refused: report.refused, lines: formatRedrive(report) };
}

/** The failures as `cometflow failures` lists them (`listFailures`), narrowed by the filter. */
export async function readFailureRecords(stack: ConsoleStack, filter: FailureFilter): Promise<FailureRecords> {
  const report = await listFailures(failureContext(stack), filter);
  return { stack: summary(stack), ...report };
}

/** Message ids a rerun takes at once, at most. */
export const MAX_RERUN = 100;

/**
 * Reruns the selected failures (message ids) as `cometflow failures --rerun` does
 * (`rerunFailures`, one message id each, within `since`): a dry run unless `dryRun` is false.
 */
export async function rerunSelected(
  stack: ConsoleStack,
  selection: { readonly ids: readonly string[]; readonly since?: string; readonly dryRun: boolean },
): Promise<Rerun> {
  const reports: RerunReport[] = [];
  for (const id of selection.ids) {
    reports.push(
      await rerunFailures(failureContext(stack), {
        what: id,
        dryRun: selection.dryRun,
        ...(selection.since === undefined ? {} : { since: selection.since }),
      }),
    );
  }
  const merged: RerunReport & { nothing?: undefined } = {
    dryRun: selection.dryRun,
    items: reports.flatMap((r) => r.items),
    moved: reports.reduce((sum, r) => sum + r.moved, 0),
  };
  const nothing = reports.flatMap((r) => (r.nothing === undefined ? [] : [r.nothing]));
  // The CLI's words, without its hint at the flags that move them: the page has its button.
  const lines =
    merged.items.length === 0 ? nothing : formatRerun(merged).map((l) => l.replace(/; add --rerun --yes .*$/, ''));
  return { ...merged, nothing, lines };
}

/** `cometflow reconcile` of one day (`reconcile`): what is where, checked against each other. */
export async function readReconcile(
  stack: ConsoleStack,
  options: { readonly day?: string; readonly graceSeconds?: number },
): Promise<Reconciliation> {
  const report = await reconcile(failureContext(stack), options);
  return { stack: summary(stack), ...report, checks: ReconcileChecks };
}
