/**
 * The rule engine: pure functions from (rules, event) to effects. It keeps no state and does no
 * I/O; the scheduler (`functions/scheduler/logic.ts`) applies the effects with conditional
 * writes on its own table, or on `MemorySchedulerStore` for dry runs and tests.
 *
 * A join never needs its collected inputs to process one event: an event yields a `collect`
 * effect (one slot) or a `reference` effect; only when the scheduler's counters say the join is
 * complete, or its deadline has come, does it read the join once and call `completeJoin`.
 */
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { sourceOf } from '#shared/config.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import type { CompiledInput, CompiledJoinRule, CompiledRule, RuleSet } from './compile.ts';
import { RuleEvaluationError } from './errors.ts';
import type { Priority } from './schema.ts';
import { stableId } from '../ids.ts';

/** A `cometflow.cycle.abandoned` event: a join closed at its deadline without firing. */
export type CycleAbandonedEvent = CometEvent<typeof EventTypes.cycleAbandoned>;
/** A `cometflow.input.late` event: an input for a join that had already closed. */
export type InputLateEvent = CometEvent<typeof EventTypes.inputLate>;
/** A `cometflow.deadline.reached` event: a join's deadline timer. */
export type DeadlineReachedEvent = CometEvent<typeof EventTypes.deadlineReached>;

/** One input of a join, as the processing command lists it. */
export interface JoinInput {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly name: string;
}

/** A collected input and the slot it fills (`"1"`..`"41"` for the chunks of a cycle). */
export interface CollectedInput extends JoinInput {
  readonly slot: string;
}

/** What a decision needs of the event that caused it (a state event or a deadline timer). */
export type Cause = Pick<CometEvent, 'id' | 'correlationid' | 'time' | 'priority'>;

/** Send `command` to `target`, once per rule and trigger key. */
export interface FireEffect {
  readonly kind: 'fire';
  readonly rule: string;
  readonly triggerKey: string;
  readonly target: string;
  readonly priority?: Priority;
  readonly delaySeconds: number;
  readonly command: CometEvent;
}

/**
 * Record `input` in slot `slot` of join `joinKey` (once per slot), count it, and create the join
 * with its window and deadline when this is its first input.
 */
export interface CollectEffect {
  readonly kind: 'collect';
  readonly rule: string;
  readonly joinKey: string;
  readonly slot: string;
  readonly expectedCount: number;
  readonly input: JoinInput;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly deadlineAt: string;
  /** The correlation id of the join's commands: that of its inputs. */
  readonly correlationId: string;
}

/**
 * Record a reference (a forecast) for requirement `requirement`. It can serve the joins whose
 * window starts between `servesFrom` and `servesTo` (inclusive): complete joins in that range
 * that were waiting for it can now be completed.
 */
export interface ReferenceEffect {
  readonly kind: 'reference';
  readonly rule: string;
  readonly requirement: string;
  readonly time: string;
  readonly input: JoinInput;
  readonly servesFrom: string;
  readonly servesTo: string;
}

/** What one event asks the scheduler to do, in order. */
export type Effect = FireEffect | CollectEffect | ReferenceEffect;

/** Which part of which rule an event matched: routing only, no command built. */
export type RuleMatch =
  | { readonly kind: 'forward'; readonly rule: string; readonly route: number; readonly target: string }
  | { readonly kind: 'collect'; readonly rule: string }
  | { readonly kind: 'reference'; readonly rule: string; readonly requirement: string };

/** Why a join is looked at: its counters say it is complete (or a reference came), or its deadline came. */
export type JoinMode = 'complete' | 'deadline';

/** The state of a join, as the scheduler reads it once to complete it. */
export interface JoinState {
  readonly joinKey: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  /** Correlation id recorded with the join's first input. @default the cause's */
  readonly correlationId?: string;
  readonly collected: readonly CollectedInput[];
  /** The reference chosen for each requirement (see `chooseReference`), or undefined. */
  readonly references: Readonly<Record<string, JoinInput | undefined>>;
}

/**
 * What to do with a join. `fire` and `abandon` close it and share its trigger key: claim it with
 * a conditional write, and only the claimant sends. `wait`: not complete yet.
 */
export type JoinDecision =
  | (FireEffect & {
      readonly degraded: boolean;
      readonly missing: readonly string[];
    })
  | {
      readonly kind: 'abandon';
      readonly rule: string;
      readonly triggerKey: string;
      readonly reason: string;
      readonly event: CycleAbandonedEvent;
    }
  | { readonly kind: 'wait'; readonly rule: string; readonly joinKey: string; readonly waitingFor: readonly string[] };

/** A stored reference the scheduler found for a join's window (see `referenceRange`). */
export interface ReferenceCandidate {
  readonly time: string;
  readonly input: JoinInput;
}

const source = sourceOf('scheduler');

/**
 * Id of what a trigger sends, derived from the rule and the trigger key: a command sent twice
 * (a retry after a crash) carries the same id, and the receiving stage deduplicates it.
 */
export const commandId = (rule: string, key: string): string => stableId(rule, key);

// '#' separates the parts of a trigger key; '%' and '#' inside a part are escaped so that two
// different keys never join into the same text.
const keyPart = (value: string): string =>
  value.includes('%') || value.includes('#') ? value.replaceAll('%', '%25').replaceAll('#', '%23') : value;

const describeEvent = (event: Pick<CometEvent, 'type' | 'id'>): string => `${event.type} event ${event.id}`;

function scalarAt(rule: string, what: string, path: string, value: unknown, event: CometEvent): string {
  if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))
    return String(value);
  throw new RuleEvaluationError(
    rule,
    `${what} ${path} has ${value === undefined ? 'no value' : `the non-scalar value ${JSON.stringify(value)}`} in ${describeEvent(event)}`,
  );
}

function instantAt(rule: string, what: string, path: string, value: unknown, event: CometEvent): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new RuleEvaluationError(
      rule,
      `${what} ${path} is ${value === undefined ? 'missing' : JSON.stringify(value)} in ${describeEvent(event)}; expected an ISO-8601 time`,
    );
  }
  return ms;
}

function inputAt(rule: string, what: string, input: CompiledInput, event: CometEvent): JoinInput {
  const bucket = input.bucket(event);
  const key = input.key(event);
  const size = input.size(event);
  const sha256 = input.sha256(event);
  const name = input.name(event);
  if (
    typeof bucket === 'string' &&
    typeof key === 'string' &&
    typeof size === 'number' &&
    typeof sha256 === 'string' &&
    typeof name === 'string'
  ) {
    return { bucket, key, size, sha256, name };
  }
  const wrong = Object.entries({ bucket, key, size, sha256, name })
    .filter(([field, value]) => (field === 'size' ? typeof value !== 'number' : typeof value !== 'string'))
    .map(
      ([field, value]) =>
        `${field} (${input.paths[field as keyof typeof input.paths]} = ${JSON.stringify(value) ?? 'nothing'})`,
    );
  throw new RuleEvaluationError(rule, `${what} is incomplete in ${describeEvent(event)}: ${wrong.join(', ')}`);
}

function slotAt(rule: CompiledJoinRule, event: CometEvent): string {
  const value = rule.collect.slot(event);
  const slot =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(slot)) {
    throw new RuleEvaluationError(
      rule.name,
      `collect.slot ${rule.collect.slotPath} is ${value === undefined ? 'missing' : JSON.stringify(value)} in ${describeEvent(event)}; expected a whole number`,
    );
  }
  if (slot < rule.collect.from || slot > rule.collect.to) {
    throw new RuleEvaluationError(
      rule.name,
      `slot ${slot} of ${describeEvent(event)} is outside the expected ${rule.collect.from}..${rule.collect.to}`,
    );
  }
  return String(slot);
}

/**
 * The effects of one rule on one event. `evaluate` runs it for every rule of the event's type;
 * the loader runs it on sample events.
 */
export function evaluateRule(rule: CompiledRule, event: CometEvent): Effect[] {
  if (rule.kind === 'forward') {
    if (rule.when !== undefined && !rule.when(event)) return [];
    const route = rule.routes.find((candidate) => candidate.when === undefined || candidate.when(event));
    if (route === undefined) return [];
    let triggerKey = '';
    for (let index = 0; index < rule.key.length; index += 1) {
      const part = keyPart(scalarAt(rule.name, 'key path', rule.keyPaths[index]!, rule.key[index]!(event), event));
      triggerKey = index === 0 ? part : `${triggerKey}#${part}`;
    }
    const subject = route.subject?.(event);
    let command: CometEvent;
    try {
      command = wrap({
        type: route.command,
        source,
        data: route.data(event) as CometEvent['data'],
        cause: event,
        id: commandId(rule.name, triggerKey),
        time: new Date(event.time),
        ...(subject === undefined || subject === null ? {} : { subject: String(subject) }),
      });
    } catch (error) {
      if (error instanceof RuleEvaluationError) throw error;
      throw new RuleEvaluationError(
        rule.name,
        `routes[${route.index}] builds a command from ${describeEvent(event)} that is not valid: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return [
      {
        kind: 'fire',
        rule: rule.name,
        triggerKey,
        target: route.target,
        ...(route.priority === undefined ? {} : { priority: route.priority }),
        delaySeconds: route.delaySeconds,
        command,
      },
    ];
  }

  const effects: Effect[] = [];
  const { collect } = rule;
  if (collect.when(event)) {
    const start = instantAt(
      rule.name,
      'collect.window.start',
      collect.windowStartPath,
      collect.windowStart(event),
      event,
    );
    const end = instantAt(rule.name, 'collect.window.end', collect.windowEndPath, collect.windowEnd(event), event);
    effects.push({
      kind: 'collect',
      rule: rule.name,
      joinKey: scalarAt(rule.name, 'collect.key', collect.keyPath, collect.key(event), event),
      slot: slotAt(rule, event),
      expectedCount: collect.expectedCount,
      input: inputAt(rule.name, 'collect.input', collect.input, event),
      windowStart: new Date(start).toISOString(),
      windowEnd: new Date(end).toISOString(),
      deadlineAt: new Date(end + rule.deadlineMs).toISOString(),
      correlationId: event.correlationid,
    });
  }
  for (const requirement of rule.requirements) {
    if (!requirement.when(event)) continue;
    const time = instantAt(
      rule.name,
      `requirement "${requirement.name}" time`,
      requirement.timePath,
      requirement.time(event),
      event,
    );
    effects.push({
      kind: 'reference',
      rule: rule.name,
      requirement: requirement.name,
      time: new Date(time).toISOString(),
      input: inputAt(rule.name, `requirement "${requirement.name}" input`, requirement.input, event),
      // Serves window starts w with time in [w - before, w + after], that is w in [time - after, time + before].
      servesFrom: new Date(time - requirement.afterMs).toISOString(),
      servesTo: new Date(time + requirement.beforeMs).toISOString(),
    });
  }
  return effects;
}

/**
 * The effects of an event, rule by rule in file order. Pure: the same rules and event always
 * give the same effects, commands included (ids derived from rule and trigger key, time taken
 * from the event).
 *
 * @example
 * for (const effect of evaluate(ruleSet, event)) {
 *   if (effect.kind === 'fire') await claimThenSend(effect);
 * }
 */
export function evaluate(ruleSet: RuleSet, event: CometEvent): Effect[] {
  const rules = ruleSet.byType.get(event.type);
  if (rules === undefined) return [];
  if (rules.length === 1) return evaluateRule(rules[0]!, event);
  const effects: Effect[] = [];
  for (const rule of rules) effects.push(...evaluateRule(rule, event));
  return effects;
}

/**
 * Which rules, routes and join parts an event matches, without extracting values or building
 * commands: the matching and routing half of `evaluate`, which the benchmark compares with
 * other engines.
 */
export function matchRules(ruleSet: RuleSet, event: CometEvent): RuleMatch[] {
  const matches: RuleMatch[] = [];
  for (const rule of ruleSet.byType.get(event.type) ?? []) {
    if (rule.kind === 'forward') {
      if (rule.when !== undefined && !rule.when(event)) continue;
      const route = rule.routes.find((candidate) => candidate.when === undefined || candidate.when(event));
      if (route !== undefined)
        matches.push({ kind: 'forward', rule: rule.name, route: route.index, target: route.target });
      continue;
    }
    if (rule.collect.when(event)) matches.push({ kind: 'collect', rule: rule.name });
    for (const requirement of rule.requirements) {
      if (requirement.when(event)) matches.push({ kind: 'reference', rule: rule.name, requirement: requirement.name });
    }
  }
  return matches;
}

function joinRule(ruleSet: RuleSet, name: string): CompiledJoinRule {
  const rule = ruleSet.byName.get(name);
  if (rule === undefined)
    throw new RuleEvaluationError(
      name,
      `no such rule in the rule set; known rules: ${[...ruleSet.byName.keys()].join(', ')}`,
    );
  if (rule.kind !== 'join') throw new RuleEvaluationError(name, `is a ${rule.kind} rule; expected a join rule`);
  return rule;
}

function requirementOf(rule: CompiledJoinRule, name: string) {
  const requirement = rule.requirements.find((candidate) => candidate.name === name);
  if (requirement === undefined) {
    throw new RuleEvaluationError(
      rule.name,
      `has no requirement ${JSON.stringify(name)}; it has ${rule.requirements.map((r) => r.name).join(', ') || 'none'}`,
    );
  }
  return requirement;
}

/**
 * The times a reference must have to serve a join whose window starts at `windowStart`: the
 * range of the scheduler's query for candidates.
 */
export function referenceRange(
  ruleSet: RuleSet,
  rule: string,
  requirement: string,
  windowStart: string,
): { from: string; to: string } {
  const found = requirementOf(joinRule(ruleSet, rule), requirement);
  const start = Date.parse(windowStart);
  return { from: new Date(start - found.beforeMs).toISOString(), to: new Date(start + found.afterMs).toISOString() };
}

/**
 * The reference that serves a join: among the candidates whose time is in `referenceRange`, the
 * one closest to the window start; on a tie the later time, then the greater key, so that every
 * scheduler instance chooses the same one.
 */
export function chooseReference(
  ruleSet: RuleSet,
  rule: string,
  requirement: string,
  windowStart: string,
  candidates: readonly ReferenceCandidate[],
): JoinInput | undefined {
  const range = referenceRange(ruleSet, rule, requirement, windowStart);
  const from = Date.parse(range.from);
  const to = Date.parse(range.to);
  const start = Date.parse(windowStart);
  let best: { distance: number; time: number; input: JoinInput } | undefined;
  for (const candidate of candidates) {
    const time = Date.parse(candidate.time);
    if (Number.isNaN(time) || time < from || time > to) continue;
    const distance = Math.abs(time - start);
    if (
      best === undefined ||
      distance < best.distance ||
      (distance === best.distance && (time > best.time || (time === best.time && candidate.input.key > best.input.key)))
    ) {
      best = { distance, time, input: candidate.input };
    }
  }
  return best?.input;
}

/**
 * Decides what a join does, from its state read once. Mode `complete` (the counters say every
 * slot is in, or a reference arrived for a complete join): fire when every slot and requirement
 * is there, else wait. Mode `deadline` (the join's deadline timer): fire in full if complete;
 * else fire degraded when the share of slots that arrived is at least `degraded.minShare` and
 * every missing requirement has `onMissing: "degrade"`; else abandon with the reason.
 *
 * A requirement missing at the deadline abandons the join by default (`onMissing: "abandon"`):
 * the reference is an input of the algorithm, not one more chunk, and a product made without it
 * would be another product under the same name. The `cycle.abandoned` event says so, and the
 * cycle can be redriven once the reference is there.
 *
 * The command or event built is deterministic: id from rule and join key, time from the cause,
 * correlation id from the join (its inputs), causation id from the cause.
 */
export function completeJoin(
  ruleSet: RuleSet,
  rule: string,
  join: JoinState,
  cause: Cause,
  mode: JoinMode,
): JoinDecision {
  const compiled = joinRule(ruleSet, rule);
  const { from, to, expectedCount } = compiled.collect;
  const bySlot = new Map<number, CollectedInput>();
  for (const input of join.collected) {
    const slot = Number(input.slot);
    if (Number.isInteger(slot) && slot >= from && slot <= to && !bySlot.has(slot)) bySlot.set(slot, input);
  }
  const missingSlots: string[] = [];
  for (let slot = from; slot <= to; slot += 1) if (!bySlot.has(slot)) missingSlots.push(String(slot));
  const missingRequirements = compiled.requirements.filter(
    (requirement) => join.references[requirement.name] === undefined,
  );
  const missing = [...missingSlots, ...missingRequirements.map((requirement) => requirement.name)];
  const triggerKey = join.joinKey;
  const id = commandId(compiled.name, triggerKey);
  const causedBy = {
    id: cause.id,
    correlationid: join.correlationId ?? cause.correlationid,
    ...(cause.priority === undefined ? {} : { priority: cause.priority }),
  };

  if (mode === 'complete' && missing.length > 0)
    return { kind: 'wait', rule: compiled.name, joinKey: join.joinKey, waitingFor: missing };

  const arrived = bySlot.size;
  const share = arrived / expectedCount;
  const reasons: string[] = [];
  if (missing.length > 0) {
    if (share < compiled.minShare) {
      reasons.push(
        `only ${arrived} of ${expectedCount} inputs arrived by the deadline (${Math.floor(share * 100)} %, at least ${Math.round(compiled.minShare * 100)} % required)`,
      );
    }
    for (const requirement of missingRequirements) {
      if (requirement.onMissing === 'abandon')
        reasons.push(
          `requirement "${requirement.name}" is still missing at the deadline, and the rule does not process without it`,
        );
    }
    if (arrived === 0 && reasons.length === 0) reasons.push('no input arrived by the deadline');
  }
  if (reasons.length > 0) {
    const reason = reasons.join('; ');
    const deadlineAt = new Date(Date.parse(join.windowEnd) + compiled.deadlineMs).toISOString();
    const event = wrap({
      type: EventTypes.cycleAbandoned,
      source,
      id,
      time: new Date(cause.time),
      subject: join.joinKey,
      cause: causedBy,
      data: {
        rule: compiled.name,
        joinKey: join.joinKey,
        reason,
        windowStart: join.windowStart,
        windowEnd: join.windowEnd,
        deadlineAt,
        expectedCount,
        arrivedCount: arrived,
        minShare: compiled.minShare,
        missing,
      },
    });
    return { kind: 'abandon', rule: compiled.name, triggerKey, reason, event };
  }

  const inputs: JoinInput[] = [...bySlot.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, { bucket, key, size, sha256, name }]) => ({ bucket, key, size, sha256, name }));
  for (const requirement of compiled.requirements) {
    const reference = join.references[requirement.name];
    if (reference !== undefined)
      inputs.push({
        bucket: reference.bucket,
        key: reference.key,
        size: reference.size,
        sha256: reference.sha256,
        name: reference.name,
      });
  }
  let command: CometEvent;
  try {
    command = wrap({
      type: compiled.emit.command,
      source,
      id,
      time: new Date(cause.time),
      subject: join.joinKey,
      cause: causedBy,
      data: { ...compiled.emit.data, inputs, degraded: missing.length > 0, missing } as CometEvent['data'],
    });
  } catch (error) {
    throw new RuleEvaluationError(
      compiled.name,
      `the command for join ${join.joinKey} is not valid: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    kind: 'fire',
    rule: compiled.name,
    triggerKey,
    target: compiled.emit.target,
    ...(compiled.emit.priority === undefined ? {} : { priority: compiled.emit.priority }),
    delaySeconds: compiled.emit.delaySeconds,
    degraded: missing.length > 0,
    missing,
    command,
  };
}

/**
 * The `input.late` event for an input that arrived after its join closed (fired or abandoned):
 * recorded and reported, never dropped. One per join and slot: a second copy of the same late
 * chunk gets the same id.
 */
export function lateInput(
  ruleSet: RuleSet,
  rule: string,
  joinKey: string,
  slot: string,
  event: CometEvent,
): InputLateEvent {
  const compiled = joinRule(ruleSet, rule);
  return wrap({
    type: EventTypes.inputLate,
    source,
    id: commandId(`${compiled.name}#late`, `${joinKey}\n${slot}`),
    time: new Date(event.time),
    subject: joinKey,
    cause: event,
    data: {
      rule: compiled.name,
      joinKey,
      slot,
      input: inputAt(compiled.name, 'collect.input', compiled.collect.input, event),
      closedBy: commandId(compiled.name, joinKey),
    },
  });
}

/**
 * The timer event of a join's deadline, to schedule at `deadlineAt` when the join is created
 * (its first `collect`). One per join: the id comes from rule and join key, so creating the
 * timer again (a retried first chunk) is recognized.
 */
export function deadlineReached(
  collect: CollectEffect,
  cause: Pick<CometEvent, 'id' | 'priority'>,
): DeadlineReachedEvent {
  return wrap({
    type: EventTypes.deadlineReached,
    source,
    id: commandId(`${collect.rule}#deadline`, collect.joinKey),
    time: new Date(collect.deadlineAt),
    subject: collect.joinKey,
    cause: {
      id: cause.id,
      correlationid: collect.correlationId,
      ...(cause.priority === undefined ? {} : { priority: cause.priority }),
    },
    data: { rule: collect.rule, joinKey: collect.joinKey, deadlineAt: collect.deadlineAt },
  });
}
