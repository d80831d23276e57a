/**
 * The scheduler's join bookkeeping in memory: the same steps the DynamoDB implementation takes
 * (claim a trigger once, put a slot once, count, record references, find the complete joins a
 * new reference serves, close a join once, detect late inputs), with no I/O. The replay CLI's
 * `--dry-run` runs it to print what the rules would decide for a sequence of events, and the
 * unit tests run whole scenarios through it.
 */
import type { CometEvent } from '#events/registry.ts';
import type { RuleSet } from './compile.ts';
import {
  chooseReference, completeJoin, deadlineReached, evaluate, lateInput,
  type Cause, type CollectEffect, type Effect, type JoinDecision, type JoinInput, type ReferenceCandidate, type ReferenceEffect,
} from './engine.ts';
import type { CycleAbandonedEvent, InputLateEvent } from './pending-events.ts';
import type { Priority } from './schema.ts';

/** One decision the bookkeeping took; `describeOutcome` prints it on one line. */
export type Outcome =
  | {
    readonly kind: 'sent';
    readonly rule: string;
    readonly triggerKey: string;
    readonly target: string;
    readonly priority?: Priority;
    readonly delaySeconds: number;
    /** Set for join commands. */
    readonly degraded?: boolean;
    readonly missing?: readonly string[];
    readonly command: CometEvent;
  }
  | { readonly kind: 'already-fired'; readonly rule: string; readonly triggerKey: string }
  | { readonly kind: 'collected'; readonly rule: string; readonly joinKey: string; readonly slot: string; readonly count: number; readonly expectedCount: number }
  | { readonly kind: 'duplicate'; readonly rule: string; readonly joinKey: string; readonly slot: string }
  | { readonly kind: 'reference'; readonly rule: string; readonly requirement: string; readonly time: string; readonly key: string }
  | { readonly kind: 'waiting'; readonly rule: string; readonly joinKey: string; readonly waitingFor: readonly string[] }
  | { readonly kind: 'late'; readonly rule: string; readonly joinKey: string; readonly slot: string; readonly event: InputLateEvent }
  | { readonly kind: 'abandoned'; readonly rule: string; readonly joinKey: string; readonly reason: string; readonly event: CycleAbandonedEvent };

/** A join as the store keeps it; what a read model of the cycle shows. */
export interface JoinRecord {
  readonly rule: string;
  readonly joinKey: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly deadlineAt: string;
  readonly correlationId: string;
  readonly expectedCount: number;
  /** Slot to input; the first input of a slot wins. */
  readonly slots: Map<string, JoinInput>;
  /** How the join closed, if it did. */
  closed?: { readonly by: 'fired' | 'abandoned'; readonly degraded: boolean; readonly missing: readonly string[] };
  /** Slots that arrived after the join closed. */
  readonly late: string[];
  /** Id of the event whose collect created the join, cause of its deadline timer. */
  readonly createdBy: string;
}

const joinId = (rule: string, joinKey: string): string => `${rule}\n${joinKey}`;

/**
 * Applies effects in order, as the scheduler does, and says what each one decided.
 *
 * @example
 * const store = new MemoryJoinStore(ruleSet);
 * for (const event of events) print(store.handle(event));
 * print(store.flushDeadlines());
 */
export class MemoryJoinStore {
  readonly #ruleSet: RuleSet;
  readonly #claimed = new Set<string>();
  readonly #joins = new Map<string, JoinRecord>();
  readonly #references = new Map<string, Map<string, ReferenceCandidate>>();

  public constructor(ruleSet: RuleSet) {
    this.#ruleSet = ruleSet;
  }

  /**
   * Handles one event the way the scheduler would at that event's time: first the deadlines due
   * by `event.time`, then the event's effects.
   */
  public handle(event: CometEvent): Outcome[] {
    return [...this.advanceTo(event.time), ...this.apply(event, evaluate(this.#ruleSet, event))];
  }

  /** Applies the effects of `event`, in order. */
  public apply(event: CometEvent, effects: readonly Effect[]): Outcome[] {
    const outcomes: Outcome[] = [];
    for (const effect of effects) {
      switch (effect.kind) {
        case 'fire':
          outcomes.push(this.#claim(effect.rule, effect.triggerKey)
            ? { kind: 'sent', rule: effect.rule, triggerKey: effect.triggerKey, target: effect.target, ...(effect.priority === undefined ? {} : { priority: effect.priority }), delaySeconds: effect.delaySeconds, command: effect.command }
            : { kind: 'already-fired', rule: effect.rule, triggerKey: effect.triggerKey });
          break;
        case 'collect':
          outcomes.push(...this.#collect(effect, event));
          break;
        case 'reference':
          outcomes.push(...this.#reference(effect, event));
          break;
      }
    }
    return outcomes;
  }

  /** Runs the deadlines due at or before `time`, earliest first. */
  public advanceTo(time: string): Outcome[] {
    const now = Date.parse(time);
    const due = [...this.#joins.values()]
      .filter((join) => join.closed === undefined && Date.parse(join.deadlineAt) <= now)
      .sort((a, b) => a.deadlineAt.localeCompare(b.deadlineAt) || a.joinKey.localeCompare(b.joinKey));
    return due.flatMap((join) => this.deadline(join.rule, join.joinKey));
  }

  /** Runs every deadline still pending, as if time ran on past the last one. */
  public flushDeadlines(): Outcome[] {
    return this.advanceTo('9999-12-31T23:59:59.999Z');
  }

  /** The join's deadline timer went off (the scheduler receives `deadline.reached`). */
  public deadline(rule: string, joinKey: string): Outcome[] {
    const join = this.#joins.get(joinId(rule, joinKey));
    if (join === undefined || join.closed !== undefined) return [];
    const timer = deadlineReached(this.#collectOf(join), { id: join.createdBy });
    return this.#decide(join, timer, 'deadline');
  }

  /** A join's record, for assertions and read models. */
  public join(rule: string, joinKey: string): Readonly<JoinRecord> | undefined {
    return this.#joins.get(joinId(rule, joinKey));
  }

  /** Every join, in creation order. */
  public joins(): readonly Readonly<JoinRecord>[] {
    return [...this.#joins.values()];
  }

  #claim(rule: string, triggerKey: string): boolean {
    const id = `${rule}\n${triggerKey}`;
    if (this.#claimed.has(id)) return false;
    this.#claimed.add(id);
    return true;
  }

  #collectOf(join: JoinRecord): CollectEffect {
    const [slot, input] = join.slots.entries().next().value as [string, JoinInput];
    return {
      kind: 'collect', rule: join.rule, joinKey: join.joinKey, slot, expectedCount: join.expectedCount, input,
      windowStart: join.windowStart, windowEnd: join.windowEnd, deadlineAt: join.deadlineAt, correlationId: join.correlationId,
    };
  }

  #collect(effect: CollectEffect, event: CometEvent): Outcome[] {
    const id = joinId(effect.rule, effect.joinKey);
    let join = this.#joins.get(id);
    if (join === undefined) {
      // First input: the join is created with its window; the scheduler schedules its deadline timer here.
      join = {
        rule: effect.rule, joinKey: effect.joinKey, windowStart: effect.windowStart, windowEnd: effect.windowEnd,
        deadlineAt: effect.deadlineAt, correlationId: effect.correlationId, expectedCount: effect.expectedCount,
        slots: new Map(), late: [], createdBy: event.id,
      };
      this.#joins.set(id, join);
    }
    if (join.slots.has(effect.slot)) return [{ kind: 'duplicate', rule: effect.rule, joinKey: effect.joinKey, slot: effect.slot }];
    if (join.closed !== undefined) {
      if (join.late.includes(effect.slot)) return [{ kind: 'duplicate', rule: effect.rule, joinKey: effect.joinKey, slot: effect.slot }];
      join.late.push(effect.slot);
      return [{ kind: 'late', rule: effect.rule, joinKey: effect.joinKey, slot: effect.slot, event: lateInput(this.#ruleSet, effect.rule, effect.joinKey, effect.slot, event) }];
    }
    join.slots.set(effect.slot, effect.input);
    const outcomes: Outcome[] = [{ kind: 'collected', rule: effect.rule, joinKey: effect.joinKey, slot: effect.slot, count: join.slots.size, expectedCount: join.expectedCount }];
    // The counter reached the expected count: the one instance that saw it reads the join and completes it.
    if (join.slots.size === join.expectedCount) outcomes.push(...this.#decide(join, event, 'complete'));
    return outcomes;
  }

  #reference(effect: ReferenceEffect, event: CometEvent): Outcome[] {
    const id = `${effect.rule}\n${effect.requirement}`;
    const stored = this.#references.get(id) ?? new Map<string, ReferenceCandidate>();
    this.#references.set(id, stored);
    stored.set(`${effect.time}\n${effect.input.key}`, { time: effect.time, input: effect.input });
    const outcomes: Outcome[] = [{ kind: 'reference', rule: effect.rule, requirement: effect.requirement, time: effect.time, key: effect.input.key }];
    const from = Date.parse(effect.servesFrom);
    const to = Date.parse(effect.servesTo);
    // Complete joins in the reference's range were waiting for it: complete them now.
    for (const join of this.#joins.values()) {
      const start = Date.parse(join.windowStart);
      if (join.rule === effect.rule && join.closed === undefined && join.slots.size === join.expectedCount && start >= from && start <= to) {
        outcomes.push(...this.#decide(join, event, 'complete'));
      }
    }
    return outcomes;
  }

  #decide(join: JoinRecord, cause: Cause, mode: 'complete' | 'deadline'): Outcome[] {
    const rule = this.#ruleSet.byName.get(join.rule);
    const references: Record<string, JoinInput | undefined> = {};
    for (const requirement of rule?.kind === 'join' ? rule.requirements : []) {
      const candidates = [...(this.#references.get(`${join.rule}\n${requirement.name}`)?.values() ?? [])];
      references[requirement.name] = chooseReference(this.#ruleSet, join.rule, requirement.name, join.windowStart, candidates);
    }
    const decision: JoinDecision = completeJoin(this.#ruleSet, join.rule, {
      joinKey: join.joinKey, windowStart: join.windowStart, windowEnd: join.windowEnd, correlationId: join.correlationId,
      collected: [...join.slots.entries()].map(([slot, input]) => ({ ...input, slot })),
      references,
    }, cause, mode);
    if (decision.kind === 'wait') return [{ kind: 'waiting', rule: decision.rule, joinKey: decision.joinKey, waitingFor: decision.waitingFor }];
    if (!this.#claim(decision.rule, decision.triggerKey)) return [{ kind: 'already-fired', rule: decision.rule, triggerKey: decision.triggerKey }];
    if (decision.kind === 'abandon') {
      join.closed = { by: 'abandoned', degraded: false, missing: decision.event.data.missing };
      return [{ kind: 'abandoned', rule: decision.rule, joinKey: join.joinKey, reason: decision.reason, event: decision.event }];
    }
    join.closed = { by: 'fired', degraded: decision.degraded, missing: decision.missing };
    return [{
      kind: 'sent', rule: decision.rule, triggerKey: decision.triggerKey, target: decision.target,
      ...(decision.priority === undefined ? {} : { priority: decision.priority }),
      delaySeconds: decision.delaySeconds, degraded: decision.degraded, missing: decision.missing, command: decision.command,
    }];
  }
}

/** One line per outcome, for the replay CLI's `--dry-run`. */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'sent': {
      const extra = [
        outcome.priority === undefined ? '' : ` priority ${outcome.priority}`,
        outcome.delaySeconds === 0 ? '' : ` delay ${outcome.delaySeconds}s`,
        outcome.degraded === true ? ` DEGRADED, missing ${outcome.missing?.join(', ')}` : '',
      ].join('');
      return `${outcome.rule}: send ${outcome.command.type} ${outcome.command.id} to ${outcome.target} (trigger ${outcome.triggerKey}${extra})`;
    }
    case 'already-fired':
      return `${outcome.rule}: trigger ${outcome.triggerKey} already fired, nothing sent`;
    case 'collected':
      return `${outcome.rule}: join ${outcome.joinKey} collects slot ${outcome.slot} (${outcome.count}/${outcome.expectedCount})`;
    case 'duplicate':
      return `${outcome.rule}: join ${outcome.joinKey} already has slot ${outcome.slot}, duplicate ignored`;
    case 'reference':
      return `${outcome.rule}: reference ${outcome.requirement} at ${outcome.time} recorded (${outcome.key})`;
    case 'waiting':
      return `${outcome.rule}: join ${outcome.joinKey} waits for ${outcome.waitingFor.join(', ')}`;
    case 'late':
      return `${outcome.rule}: slot ${outcome.slot} of join ${outcome.joinKey} is late; emit ${outcome.event.type} ${outcome.event.id}`;
    case 'abandoned':
      return `${outcome.rule}: join ${outcome.joinKey} abandoned (${outcome.reason}); emit ${outcome.event.type} ${outcome.event.id}`;
  }
}

/**
 * Runs a sequence of events through the rules in memory, deadlines included (due ones run by
 * event time; those still pending at the end run last), and returns every decision in order.
 */
export function dryRun(ruleSet: RuleSet, events: Iterable<CometEvent>, options: { readonly flushDeadlines?: boolean } = {}): Outcome[] {
  const store = new MemoryJoinStore(ruleSet);
  const outcomes: Outcome[] = [];
  for (const event of events) outcomes.push(...store.handle(event));
  if (options.flushDeadlines ?? true) outcomes.push(...store.flushDeadlines());
  return outcomes;
}
