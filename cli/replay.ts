/**
 * `replay`: sends the state events of a correlation or a time window back into the event bus,
 * unchanged but for their priority (same ids, same message attributes as the stages send), in
 * time order, at most `rate` per second. A replay is bulk work: its events carry priority
 * `bulk` and go to the event bus lane of that priority, so they never queue in front of
 * real-time events, and what they cause goes to the bulk lanes; or, with `dryRun`, runs the scheduler's rules over them in memory and
 * prints the decisions, sending nothing. What is replayed: `replay-policy.ts`.
 */
import type { EventType } from '#events/registry.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { Lanes, resolveLane, type LaneTable } from '#shared/config.ts';
import { loadPipelineRules } from '#functions/scheduler/rule-set.ts';
import { topology } from '../infra/cdk/config.ts';
import type { StackDescription } from '../local/stack-description.ts';
import {
  dryRun,
  formatDecision,
  needsReferences,
  referenceEvents,
  referenceTypes,
  summarize,
  type DryRunResult,
} from './dry-run.ts';
import { readSelection, readWindow, type Selection, type StoredEvent } from './event-store.ts';
import { pacer, systemClock, type Clock } from './pacer.ts';
import { isReplayable, ReplayableTypes } from './replay-policy.ts';
import { resourceOf, type StackClients } from './stack.ts';

/** What every command runs with: the stack, its clients, and where lines go. */
export interface CliContext {
  readonly description: StackDescription;
  readonly clients: StackClients;
  readonly print: (line: string) => void;
  /** @default the system clock */
  readonly clock?: Clock;
}

/** Options of `replay`. */
export interface ReplayOptions {
  readonly selection: Selection;
  readonly dryRun: boolean;
  /** Events per second at most. */
  readonly rate: number;
  /** @default every replayable type */
  readonly types?: readonly EventType[];
  /** The scheduler's least wait before a deadline, for the dry run. @default the deployed topology's */
  readonly minimumWaitSeconds?: number;
  /** How far around the selection the dry run looks for references (forecasts), in hours. @default 12 */
  readonly contextHours?: number;
  /** Print the scheduler's outcome for every event of the dry run. */
  readonly verbose?: boolean;
}

/** What a replay did. */
export interface ReplaySummary {
  /** The events selected for replay, oldest first. */
  readonly selected: readonly StoredEvent[];
  /** Messages sent to the event bus queue: 0 for a dry run. */
  readonly sent: number;
  readonly dryRun?: DryRunResult;
}

/** Default hours around the selection in which the dry run looks for references. */
export const DEFAULT_CONTEXT_HOURS = 12;

/** A selection in words, for messages. */
export const describeSelection = (selection: Selection): string =>
  selection.kind === 'correlation'
    ? `correlation ${selection.correlationId}`
    : `window [${selection.window.from}, ${selection.window.to})`;

/**
 * Replays a selection of the event store.
 *
 * @example
 * await runReplay({ selection: { kind: 'correlation', correlationId: 'cycle-20261122-061' }, dryRun: true, rate: 20 }, context);
 */
export async function runReplay(options: ReplayOptions, context: CliContext): Promise<ReplaySummary> {
  const { description, clients, print } = context;
  const table = resourceOf('tables', description, 'eventStore');
  const types = options.types ?? ReplayableTypes;
  const stored = await readSelection(clients.documents, table, options.selection);
  const selected = stored.filter((event) => isReplayable(event, types));
  print(
    `${stored.length} events stored in ${describeSelection(options.selection)}; ${selected.length} to replay ` +
      `(${types.map((t) => t.replace(/^cometflow\./, '')).join(', ')}); the other ${stored.length - selected.length} are not replayed ` +
      '(made by the scheduler, or of types not selected)',
  );
  if (selected.length === 0) {
    print(options.dryRun ? 'DRY RUN: nothing to replay, nothing was sent' : 'nothing to replay, nothing was sent');
    return { selected, sent: 0 };
  }
  return options.dryRun ? dryRunReplay(options, context, stored, selected) : sendReplay(options, context, selected);
}

async function dryRunReplay(
  options: ReplayOptions,
  context: CliContext,
  stored: readonly StoredEvent[],
  selected: readonly StoredEvent[],
): Promise<ReplaySummary> {
  const { description, clients, print } = context;
  print("DRY RUN: nothing will be sent; the scheduler's rules run in memory (schedule() on a MemorySchedulerStore)");
  const ruleSet = loadPipelineRules();
  const events = selected.map((s) => s.event);
  let contextEvents: StoredEvent[] = [];
  if (needsReferences(ruleSet, events)) {
    const hours = options.contextHours ?? DEFAULT_CONTEXT_HOURS;
    const margin = hours * 3600_000;
    const window = {
      from: new Date(Date.parse(selected[0]!.time) - margin).toISOString(),
      to: new Date(Date.parse(selected.at(-1)!.time) + margin + 1).toISOString(),
    };
    const candidates = await readWindow(clients.documents, resourceOf('tables', description, 'eventStore'), window, {
      types: referenceTypes(ruleSet),
    });
    const ids = new Set(selected.map((s) => s.id));
    const references = new Set(
      referenceEvents(
        ruleSet,
        candidates.map((c) => c.event),
        ids,
      ).map((e) => e.id),
    );
    contextEvents = candidates.filter((c) => references.has(c.id));
    print(
      `context: ${contextEvents.length} reference event(s) (forecasts) stored within ${hours} h of the selection seed the in-memory store; they are not replayed`,
    );
    for (const c of contextEvents) print(`  ${c.time}  ${c.type}  ${c.subject ?? '-'}  (${c.correlationId})`);
  }
  const result = await dryRun(events, {
    ruleSet,
    context: contextEvents.map((c) => c.event),
    minimumWaitSeconds: options.minimumWaitSeconds ?? topology.deadlineMinimumWaitSeconds,
    until: new Date(),
  });
  const known = new Set([...stored, ...contextEvents].map((s) => s.id));
  if (options.verbose === true) {
    for (const step of result.trace) print(`  ${step.at}  ${step.event}: ${step.outcomes.join('; ') || 'no rule'}`);
  }
  print(`decisions the rules would take (${result.decisions.length}):`);
  for (const decision of result.decisions) print(`  ${formatDecision(decision, known)}`);
  for (const timer of result.firedTimers) print(`  ${timer.at}  deadline of ${timer.joinKey} reached`);
  for (const timer of result.pendingTimers)
    print(`  deadline of ${timer.joinKey} not due yet: at ${timer.dueAt}, its decision is still open`);
  const fresh = result.decisions.filter((d) => !known.has(d.id)).length;
  print(
    `summary: ${selected.length} events, ${summarize(result.decisions)}; ${result.decisions.length - fresh} already in the store ` +
      `(a real replay finds their triggers claimed and sends nothing for them), ${fresh} new`,
  );
  print('DRY RUN: nothing was sent');
  return { selected, sent: 0, dryRun: result };
}

/**
 * The queue of the event bus lane of bulk work, from the lane table (its id names the stack's
 * queue output); the real-time bus where the topology has no bulk lane.
 */
export function replayBusOf(description: StackDescription, lanes: LaneTable = Lanes): string {
  const resolved = resolveLane(lanes, 'scheduler', 'bulk');
  const id = 'lane' in resolved ? lanes[resolved.lane]?.id : undefined;
  const role = id === undefined ? 'eventBus' : `${id[0]!.toLowerCase()}${id.slice(1)}`;
  return description.queues[role] ?? resourceOf('queues', description, 'eventBus');
}

async function sendReplay(
  options: ReplayOptions,
  context: CliContext,
  selected: readonly StoredEvent[],
): Promise<ReplaySummary> {
  const { description, clients, print } = context;
  const clock = context.clock ?? systemClock;
  const busUrl = replayBusOf(description);
  const send = sqsSender(clients.sqs);
  const pace = pacer(options.rate, clock);
  const every = Math.max(1, Math.round(options.rate));
  const started = clock.now();
  print(
    `replaying ${selected.length} events as bulk work to the event bus queue ${busUrl}, at most ${options.rate} per second`,
  );
  let sent = 0;
  for (const stored of selected) {
    await pace();
    await send(busUrl, { ...stored.event, priority: 'bulk' });
    sent += 1;
    if (sent % every === 0 || sent === selected.length) {
      print(
        `  sent ${sent}/${selected.length} in ${((clock.now() - started) / 1000).toFixed(1)} s  (last: ${stored.time} ${stored.type} ${stored.id})`,
      );
    }
  }
  print(
    `replayed ${sent} events in ${((clock.now() - started) / 1000).toFixed(1)} s; the scheduler processes each event id once, ` +
      'claims every trigger with a conditional write, and the stages are idempotent per event id: effects already taken are not taken again',
  );
  return { selected, sent };
}
