/**
 * The console's reads and its two writes, against one stack, through the CLI's own functions:
 * queue and dead-letter depths (`queueDepth`, `deadLetterQueues` of `dlq.ts`), the event store
 * (`readWindow`, `readCorrelation` of `event-store.ts`), the cycle read model (`projectCycle` of
 * `cycle.ts`) and the redrive (`redrive` of `dlq.ts`). What is added here is the reading of
 * running executions and container tasks (ListExecutions, ListTasks) and the arrangement for a
 * page (`views.ts`).
 */
import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { CYCLE_SLOTS, cycleCorrelation, projectCycle } from '../cycle.ts';
import { deadLetterQueues, findDeadLetterQueue, queueDepth, redrive } from '../dlq.ts';
import { readCorrelation, readWindow, type StoredEvent } from '../event-store.ts';
import { clientsFor, destroyClients, resourceOf, type SelectedStack, type StackClients } from '../stack.ts';
import { chunkOfKey, correlationOfKey } from './keys.ts';
import {
  activityByStage,
  AlertTypes,
  cycleCells,
  stageSpans,
  FailureTypes,
  nearest,
  secondsBetween,
  stageOfRole,
  stageOfSource,
  stageRoles,
  type Alert,
  type CycleRow,
  type Cycles,
  type Failures,
  type Overview,
  type StackSummary,
  type Trace,
} from './views.ts';

/** A stack the console reads: the CLI's clients plus Step Functions and ECS for what is running. */
export interface ConsoleStack {
  readonly selected: SelectedStack;
  readonly clients: StackClients;
  readonly sfn: SFNClient;
  readonly ecs: ECSClient;
}

/** Clients for a selected stack, configured as the CLI's (`clientsFor`): region, credentials, endpoints. */
export function openStack(selected: SelectedStack): ConsoleStack {
  const { description } = selected;
  const common = {
    region: description.region,
    ...(selected.sdkCredentials ? {} : { credentials: description.credentials }),
  };
  return {
    selected,
    clients: clientsFor(selected),
    sfn: new SFNClient({
      ...common,
      ...(description.endpoints.stepfunctions === undefined ? {} : { endpoint: description.endpoints.stepfunctions }),
    }),
    ecs: new ECSClient({
      ...common,
      ...(description.endpoints.ecs === undefined ? {} : { endpoint: description.endpoints.ecs }),
    }),
  };
}

/** Closes a stack's connections. */
export function closeStack(stack: ConsoleStack): void {
  destroyClients(stack.clients);
  stack.sfn.destroy();
  stack.ecs.destroy();
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

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** The overview: every stage and lane with its queue, DLQ and activity in the last hour; what runs; alerts. */
export async function readOverview(stack: ConsoleStack, now = new Date()): Promise<Overview> {
  const { description } = stack.selected;
  const window = lastHours(1, now);
  const events = await readWindow(stack.clients.documents, eventStore(stack), window);
  const activity = activityByStage(events);
  const dlqs = new Map(deadLetterQueues(description.queues).map((pair) => [pair.sourceRole, pair]));
  const stages = await Promise.all(
    stageRoles(description.queues).map(async (role) => {
      const { stage, lane } = stageOfRole(role);
      const dlq = dlqs.get(role);
      const [depth, dlqDepth] = await Promise.all([
        queueDepth(stack.clients.sqs, description.queues[role]!),
        dlq === undefined ? undefined : queueDepth(stack.clients.sqs, dlq.url),
      ]);
      // Lanes of one stage share its function's source, so the stage's activity is shown on its first lane only.
      const counts = activity.get(stage) ?? { done: 0, failed: 0 };
      return {
        role,
        stage,
        ...(lane === undefined ? {} : { lane }),
        depth,
        ...(dlq === undefined || dlqDepth === undefined ? {} : { deadLetter: { role: dlq.role, depth: dlqDepth } }),
        done: counts.done,
        failed: counts.failed,
      };
    }),
  );
  const seen = new Set<string>();
  const deduplicated = stages.map((row) => {
    if (!seen.has(row.stage)) {
      seen.add(row.stage);
      return row;
    }
    return { ...row, done: 0, failed: 0 };
  });
  const executions = await Promise.all(
    Object.entries(description.stateMachines ?? {}).map(async ([role, arn]) => {
      try {
        let running = 0;
        let nextToken: string | undefined;
        do {
          const page = await stack.sfn.send(
            new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING', nextToken }),
          );
          running += page.executions?.length ?? 0;
          nextToken = page.nextToken;
        } while (nextToken !== undefined);
        return { role, running };
      } catch (error) {
        return { role, error: errorText(error) };
      }
    }),
  );
  const containers = await Promise.all(
    Object.entries(description.workers ?? {}).map(async ([role, worker]) => {
      try {
        const { taskArns = [] } = await stack.ecs.send(
          new ListTasksCommand({ cluster: worker.cluster, family: worker.family, desiredStatus: 'RUNNING' }),
        );
        return { role, running: taskArns.length, maxTasks: worker.maxTasks };
      } catch (error) {
        return { role, maxTasks: worker.maxTasks, error: errorText(error) };
      }
    }),
  );
  const alerts: Alert[] = [];
  for (const row of deduplicated) {
    const held = (row.deadLetter?.depth.visible ?? 0) + (row.deadLetter?.depth.inFlight ?? 0);
    if (held > 0)
      alerts.push({
        severity: 'critical',
        kind: 'dead letters',
        text: `${row.deadLetter!.role} holds ${held} message(s) that ${row.stage} gave up on`,
      });
  }
  for (const event of events) {
    if (AlertTypes.includes(event.type)) {
      alerts.push({
        severity: 'critical',
        kind: event.type.replace(/^cometflow\./, ''),
        text: `${event.subject ?? event.correlationId} at ${event.time}`,
        subject: event.correlationId,
      });
    }
    if (event.type === EventTypes.cycleAbandoned) {
      alerts.push({
        severity: 'critical',
        kind: 'cycle abandoned',
        text: `${event.correlationId} at ${event.time}`,
        subject: event.correlationId,
      });
    }
    if (
      event.type === EventTypes.processingRequested &&
      (event.event as CometEvent<typeof EventTypes.processingRequested>).data.degraded
    ) {
      alerts.push({
        severity: 'warning',
        kind: 'degraded',
        text: `${event.correlationId} processed without ${
          (event.event as CometEvent<typeof EventTypes.processingRequested>).data.missing.length
        } input(s)`,
        subject: event.correlationId,
      });
    }
  }
  return {
    stack: summary(stack),
    generatedAt: now.toISOString(),
    window,
    stages: deduplicated,
    executions,
    containers,
    alerts,
  };
}

/** Slots with a `file.available`: uploads intake accepted, ingested or not. */
export function availableSlots(events: readonly CometEvent[]): Set<number> {
  const slots = new Set<number>();
  for (const event of events) {
    if (event.type !== EventTypes.fileAvailable) continue;
    const { attributes } = (event as CometEvent<typeof EventTypes.fileAvailable>).data;
    if (attributes.convention === 'mtg-fci-l1c') slots.add(attributes.chunk);
  }
  return slots;
}

/** A cycle's row: its read model (`projectCycle`), a state per cell, its timeliness. */
export function cycleRow(stored: readonly StoredEvent[], joinKey?: string): CycleRow {
  const events = stored.map((s) => s.event);
  const view = projectCycle(events, joinKey);
  const { cells, forecast } = cycleCells(view, availableSlots(events), CYCLE_SLOTS);
  const timeliness = secondsBetween(view.window?.end, view.deliveredAt);
  const pipeline = secondsBetween(stored[0]?.time, view.deliveredAt);
  return {
    view,
    cells,
    forecast,
    lastEventAt: stored.at(-1)?.time ?? '',
    ...(timeliness === undefined ? {} : { timelinessSeconds: timeliness }),
    ...(pipeline === undefined ? {} : { pipelineSeconds: pipeline }),
  };
}

/**
 * The cycles with events in the last `hours`, latest first, at most `limit`: each read whole by
 * its correlation (a window may cut a cycle's events) and folded by `projectCycle`.
 */
export async function readCycles(
  stack: ConsoleStack,
  options: { readonly hours?: number; readonly limit?: number } = {},
  now = new Date(),
): Promise<Cycles> {
  const window = lastHours(options.hours ?? 6, now);
  const table = eventStore(stack);
  const events = await readWindow(stack.clients.documents, table, window);
  const latest = new Map<string, string>();
  for (const event of events) if (event.correlationId.startsWith('cycle-')) latest.set(event.correlationId, event.time);
  const chosen = [...latest.entries()]
    .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))
    .slice(0, options.limit ?? 12);
  const rows = await Promise.all(
    chosen.map(async ([correlationId]) =>
      cycleRow(
        await readCorrelation(stack.clients.documents, table, correlationId),
        correlationId.slice('cycle-'.length),
      ),
    ),
  );
  return { stack: summary(stack), generatedAt: now.toISOString(), window, rows };
}

/** Why a cycle is where it is, in plain words. */
export function cycleWhy(row: CycleRow): string[] {
  const { view } = row;
  const missing = row.cells.flatMap((state, i) => (state === 'pending' || state === 'missing' ? [i + 1] : []));
  const waiting = row.cells.flatMap((state, i) => (state === 'arrived' ? [i + 1] : []));
  switch (view.status) {
    case 'delivered':
      return [];
    case 'collecting': {
      const why = [
        `waiting for ${missing.length === 0 ? 'no chunk' : `chunk(s) ${missing.join(', ')}`}` +
          `${row.forecast === 'ingested' ? '' : ' and a forecast'}`,
      ];
      if (waiting.length > 0) why.push(`chunk(s) ${waiting.join(', ')} arrived and wait for ingestion`);
      why.push(
        view.deadlines.length > 0 ? `its deadline passed at ${view.deadlines[0]}` : 'its deadline has not passed yet',
      );
      return why;
    }
    case 'fired':
      return [
        `processing was requested at ${view.fired!.at}` +
          `${view.fired!.degraded ? ` (degraded, without ${view.fired!.missing.join(', ')})` : ''}; no product yet`,
      ];
    case 'generated':
      return [`product ${view.productId} was generated; waiting for its delivery`];
    case 'abandoned':
      return [`abandoned at ${view.abandoned!.at}: ${view.abandoned!.reason}`];
    default:
      return ['no events stored'];
  }
}

const PRODUCT_ID = /^[0-9a-f]{32}$/;

/**
 * What a query names and where it stands: a cycle id (`20261122-061` or `cycle-...`), another
 * correlation (`forecast-...`, `upload-...`), an inbox key or file name, or a product id. Unknown
 * queries get the known correlations nearest to them from the last `hours`.
 */
export async function readTrace(
  stack: ConsoleStack,
  query: string,
  options: { readonly hours?: number } = {},
  now = new Date(),
): Promise<Trace> {
  const q = query.trim();
  const table = eventStore(stack);
  const { documents } = stack.clients;
  let correlationId = /^\d{8}-\d{3}$/.test(q)
    ? cycleCorrelation(q)
    : /^(cycle|forecast|upload)-/.test(q)
      ? q
      : correlationOfKey(q);
  let kind = 'correlation';
  let recent: StoredEvent[] | undefined;
  const readRecent = async (): Promise<StoredEvent[]> => {
    recent ??= await readWindow(documents, table, lastHours(options.hours ?? 24, now));
    return recent;
  };
  if (correlationId === undefined && PRODUCT_ID.test(q)) {
    const generated = (await readRecent()).find((e) => e.type === EventTypes.productGenerated && e.subject === q);
    correlationId = generated?.correlationId;
    kind = 'product';
  }
  let stored = correlationId === undefined ? [] : await readCorrelation(documents, table, correlationId);
  if (stored.length === 0 && !/^(cycle|forecast|upload)-/.test(q) && !/^\d{8}-\d{3}$/.test(q)) {
    // A key intake rejected is correlated by its upload, not by what its name would say.
    const upload = await readCorrelation(documents, table, `upload-${q}`);
    if (upload.length > 0) {
      stored = upload;
      correlationId = `upload-${q}`;
    }
  }
  if (correlationId === undefined || stored.length === 0) {
    const known = new Set((await readRecent()).map((e) => e.correlationId));
    return {
      found: false,
      query: q,
      message: `"${q}" is not a cycle, file, forecast run or product the event store knows`,
      suggestions: nearest(q, known),
    };
  }
  const events = stored.map((s) => ({
    time: s.time,
    type: s.type,
    source: s.source,
    id: s.id,
    ...(s.subject === undefined ? {} : { subject: s.subject }),
  }));
  const links: { label: string; query: string }[] = [];
  if (correlationId.startsWith('cycle-')) {
    if (kind !== 'product') kind = 'cycle';
    const row = cycleRow(stored, correlationId.slice('cycle-'.length));
    const why = cycleWhy(row);
    const slot = /^\d{8}-\d{3}$|^cycle-/.test(q) ? undefined : chunkOfKey(q);
    const file = slot === undefined ? undefined : { slot, state: row.cells[slot - 1]! };
    if (file !== undefined) why.unshift(`this file is chunk ${file.slot} of the cycle: ${file.state}`);
    for (const product of row.view.products)
      links.push({ label: `product ${product.productId}`, query: product.productId });
    if (row.view.forecast !== undefined)
      links.push({ label: `forecast ${row.view.forecast.name}`, query: row.view.forecast.name });
    return {
      found: true,
      query: q,
      correlationId,
      kind: file === undefined ? kind : 'file',
      state: row.view.status,
      why,
      events,
      stages: stageSpans(events),
      cycle: row,
      links,
      ...(file === undefined ? {} : { file }),
    };
  }
  const last = stored.at(-1)!;
  const rejected = stored.find((s) => s.type === EventTypes.fileRejected) as StoredEvent | undefined;
  const why =
    rejected === undefined
      ? []
      : [`quarantined: ${(rejected.event as CometEvent<typeof EventTypes.fileRejected>).data.reason}`];
  for (const s of stored) {
    if (s.type === EventTypes.productGenerated)
      links.push({ label: `product ${s.subject ?? ''}`, query: s.subject ?? '' });
  }
  return {
    found: true,
    query: q,
    correlationId,
    kind: correlationId.split('-')[0] ?? kind,
    state:
      rejected === undefined
        ? stageOfSource(last.source) + ': ' + last.type.replace(/^cometflow\./, '')
        : 'quarantined',
    why,
    events,
    stages: stageSpans(events),
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

/** Moves one DLQ's messages back to its source with the CLI's `redrive`; resolves to how many moved, and its words. */
export async function redriveQueue(stack: ConsoleStack, role: string): Promise<{ moved: number; lines: string[] }> {
  const pair = findDeadLetterQueue(stack.selected.description.queues, role);
  const lines: string[] = [];
  const moved = await redrive(stack.clients.sqs, pair, (line) => lines.push(line));
  return { moved, lines };
}
