/**
 * The replay's `--dry-run`: the scheduler's real `schedule()` over the selected events, on a fresh
 * `MemorySchedulerStore`, with a recording `send`, `append` and `sendTimer`, on a simulated clock
 * (each event is handled at its own `time`; a deadline timer fires at its due time, between the
 * events that come after it). After the last event, timers due by `until` (now, by default) fire
 * too. Nothing leaves the process: the result lists what the rules would decide.
 *
 * References a join needs that live in another correlation (the forecast of a cycle is in
 * `forecast-<analysis time>`) are passed as `context`: their `reference` effects seed the store
 * first, as the scheduler's table holds them, and they are not replayed themselves.
 */
import type { CometEvent } from '#events/registry.ts';
import { EventTypes } from '#events/registry.ts';
import { evaluate } from '#shared/rules/index.ts';
import type { RuleSet } from '#shared/rules/index.ts';
import { schedule, type SchedulerDeps } from '#functions/scheduler/logic.ts';
import { MemorySchedulerStore } from '#functions/scheduler/memory-store.ts';
import { byTime } from './event-store.ts';

type Timer = Parameters<SchedulerDeps['sendTimer']>[0];

/** One decision the rules took, at simulated time `at`. */
export type Decision =
  | {
      readonly kind: 'command';
      readonly at: string;
      readonly type: string;
      readonly target: string;
      readonly id: string;
      readonly subject?: string;
      readonly correlationId: string;
      readonly delaySeconds: number;
      /** For a processing request: how many inputs, whether degraded, the missing slots and requirements. */
      readonly inputs?: number;
      readonly degraded?: boolean;
      readonly missing?: readonly string[];
    }
  | {
      readonly kind: 'abandoned';
      readonly at: string;
      readonly id: string;
      readonly joinKey: string;
      readonly reason: string;
      readonly missing: readonly string[];
    }
  | {
      readonly kind: 'late';
      readonly at: string;
      readonly id: string;
      readonly joinKey: string;
      readonly slot: string;
      readonly name: string;
      readonly closedBy: string;
    };

/** What the dry run saw and decided. */
export interface DryRunResult {
  readonly decisions: readonly Decision[];
  /** Deadline timers armed and not due by `until`: the decisions they will take are still open. */
  readonly pendingTimers: readonly { readonly joinKey: string; readonly dueAt: string }[];
  /** Timers that fired in the simulation. */
  readonly firedTimers: readonly { readonly joinKey: string; readonly at: string }[];
  /** The scheduler's outcome lines per event handled, for `--verbose`. */
  readonly trace: readonly { readonly at: string; readonly event: string; readonly outcomes: readonly string[] }[];
  /** Context events whose references seeded the store. */
  readonly references: number;
}

/** Options of `dryRun`. */
export interface DryRunOptions {
  readonly ruleSet: RuleSet;
  /** The scheduler's least wait before a join's deadline (its `minimumWaitSeconds`). */
  readonly minimumWaitSeconds: number;
  /** Timers due up to this instant fire after the last event. @default now */
  readonly until?: Date;
  /** Events from outside the selection whose references (forecasts) joins may need. */
  readonly context?: readonly CometEvent[];
}

const describe = (event: CometEvent): string => `${event.type} ${event.id}`;

/**
 * Runs the scheduler over `events` in time order, in memory.
 *
 * @example
 * const { decisions } = await dryRun(events, { ruleSet: loadPipelineRules(), minimumWaitSeconds: 60 });
 */
export async function dryRun(events: readonly CometEvent[], options: DryRunOptions): Promise<DryRunResult> {
  const store = new MemorySchedulerStore();
  const decisions: Decision[] = [];
  const trace: { at: string; event: string; outcomes: readonly string[] }[] = [];
  const firedTimers: { joinKey: string; at: string }[] = [];
  const timers: { due: number; timer: Timer }[] = [];
  const appended = new Set<string>();
  let clock = Number.NEGATIVE_INFINITY;
  const at = (): string => new Date(clock).toISOString();

  const deps: SchedulerDeps = {
    ruleSet: options.ruleSet,
    store,
    minimumWaitSeconds: options.minimumWaitSeconds,
    now: () => new Date(clock),
    append: async (event) => {
      if (appended.has(event.id)) return false;
      appended.add(event.id);
      if (event.type === EventTypes.cycleAbandoned) {
        const { data } = event as CometEvent<typeof EventTypes.cycleAbandoned>;
        decisions.push({
          kind: 'abandoned',
          at: at(),
          id: event.id,
          joinKey: data.joinKey,
          reason: data.reason,
          missing: data.missing,
        });
      } else if (event.type === EventTypes.inputLate) {
        const { data } = event as CometEvent<typeof EventTypes.inputLate>;
        decisions.push({
          kind: 'late',
          at: at(),
          id: event.id,
          joinKey: data.joinKey,
          slot: data.slot,
          name: data.input.name,
          closedBy: data.closedBy,
        });
      }
      return true;
    },
    send: async (target, command, delaySeconds) => {
      const processing =
        command.type === EventTypes.processingRequested
          ? (command as CometEvent<typeof EventTypes.processingRequested>).data
          : undefined;
      decisions.push({
        kind: 'command',
        at: at(),
        type: command.type,
        target,
        id: command.id,
        correlationId: command.correlationid,
        delaySeconds,
        ...(command.subject === undefined ? {} : { subject: command.subject }),
        ...(processing === undefined
          ? {}
          : { inputs: processing.inputs.length, degraded: processing.degraded, missing: processing.missing }),
      });
    },
    sendTimer: async (timer, delaySeconds) => {
      timers.push({ due: clock + delaySeconds * 1000, timer });
    },
  };

  const fireTimersDueBy = async (limit: number): Promise<void> => {
    for (;;) {
      timers.sort((a, b) => a.due - b.due);
      const next = timers[0];
      if (next === undefined || next.due > limit) return;
      timers.shift();
      clock = Math.max(clock, next.due);
      firedTimers.push({ joinKey: next.timer.data.joinKey, at: at() });
      const result = await schedule(next.timer, deps);
      trace.push({ at: at(), event: describe(next.timer), outcomes: result.outcomes });
    }
  };

  let references = 0;
  for (const event of options.context ?? []) {
    const effects = evaluate(options.ruleSet, event).filter((effect) => effect.kind === 'reference');
    for (const effect of effects) await store.putReference(effect);
    if (effects.length > 0) references += 1;
  }

  for (const event of [...events].sort(byTime)) {
    const time = Date.parse(event.time);
    await fireTimersDueBy(time);
    clock = Math.max(clock, time);
    const result = await schedule(event, deps);
    trace.push({ at: at(), event: describe(event), outcomes: result.outcomes });
  }
  await fireTimersDueBy((options.until ?? new Date()).getTime());

  return {
    decisions,
    firedTimers,
    trace,
    references,
    pendingTimers: timers
      .sort((a, b) => a.due - b.due)
      .map(({ due, timer }) => ({ joinKey: timer.data.joinKey, dueAt: new Date(due).toISOString() })),
  };
}

/** Whether any event yields a join input: only then can the dry run need references. */
export const needsReferences = (ruleSet: RuleSet, events: readonly CometEvent[]): boolean =>
  events.some((event) => (ruleSet.byType.get(event.type) ?? []).some((rule) => rule.kind === 'join'));

/** The event types that can carry a reference for some join rule. */
export function referenceTypes(ruleSet: RuleSet): string[] {
  const types = new Set<string>();
  for (const rule of ruleSet.byName.values())
    if (rule.kind === 'join' && rule.requirements.length > 0) for (const type of rule.on) types.add(type);
  return [...types];
}

/** Of `candidates`, those carrying a reference, minus the ids already in the selection. */
export function referenceEvents(
  ruleSet: RuleSet,
  candidates: readonly CometEvent[],
  selected: ReadonlySet<string>,
): CometEvent[] {
  return candidates.filter(
    (event) => !selected.has(event.id) && evaluateSafely(ruleSet, event).some((effect) => effect.kind === 'reference'),
  );
}

// A stored event the current rules cannot evaluate (an older shape) is no reference; the dry run
// itself reports such events when they are in the selection.
function evaluateSafely(ruleSet: RuleSet, event: CometEvent): ReturnType<typeof evaluate> {
  try {
    return evaluate(ruleSet, event);
  } catch {
    return [];
  }
}

/** One line per decision; `known` are ids already in the store (a real replay would not send them again). */
export function formatDecision(decision: Decision, known: ReadonlySet<string> = new Set()): string {
  const seen = known.has(decision.id) ? '  [already in the store]' : '  [new]';
  if (decision.kind === 'abandoned') {
    return `${decision.at}  abandon  ${decision.joinKey}: ${decision.reason}  missing ${decision.missing.join(',') || 'none'}  id ${decision.id}${seen}`;
  }
  if (decision.kind === 'late') {
    return `${decision.at}  late     ${decision.joinKey} slot ${decision.slot} (${decision.name}) after the join closed by ${decision.closedBy}  id ${decision.id}${seen}`;
  }
  const processing =
    decision.inputs === undefined
      ? ''
      : `  inputs ${decision.inputs}  ${decision.degraded === true ? `DEGRADED missing ${decision.missing?.join(',') ?? ''}` : 'complete'}`;
  const delay = decision.delaySeconds > 0 ? `  delay ${decision.delaySeconds}s` : '';
  return `${decision.at}  command  ${decision.type} -> ${decision.target}  subject ${decision.subject ?? '-'}${processing}${delay}  id ${decision.id}${seen}`;
}

/** Counts of decisions by command type and kind, for the summary line. */
export function summarize(decisions: readonly Decision[]): string {
  const counts = new Map<string, number>();
  for (const decision of decisions) {
    const key =
      decision.kind === 'command'
        ? decision.type.replace(/^cometflow\./, '')
        : decision.kind === 'abandoned'
          ? 'cycle.abandoned'
          : 'input.late';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts.size === 0 ? 'no decision' : [...counts.entries()].map(([key, count]) => `${count} ${key}`).join(', ');
}
