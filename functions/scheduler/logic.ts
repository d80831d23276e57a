/**
 * The scheduler: records every event it sees in the event store, asks the rule engine what the
 * event means (`evaluate`), and carries out the effects against its own table:
 *
 * - `fire`: claim the trigger with a conditional write, send the command, record it, mark it
 *   sent. A claim whose command was never sent (a crash in between) is sent again with the
 *   same command id, which the receiving stage deduplicates: exactly one effect.
 * - `collect`: record the input in its slot of the join (once per slot) and count it; the first
 *   input schedules the join's deadline timer; the input that completes the count completes the
 *   join; an input for a closed join is reported as `input.late`.
 * - completing a join: decide on the slots read, close the join conditionally on its count being
 *   still the number of slots read (an input recorded meanwhile makes the close fail and the
 *   decision is taken again), then carry the decision out. A retry of the event that closed the
 *   join (it failed after the close) carries out the same decision again: every step is idempotent.
 * - `reference`: record the reference (a forecast) and complete the joins that waited for it.
 *
 * A deadline timer (`deadline.reached`, a delayed message on the scheduler's own queue) closes
 * the join: in full, degraded, or abandoned, as the rule decides (`completeJoin`).
 */
import { randomUUID } from 'node:crypto';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { laneForWork, SqsMaxDelaySeconds, type LaneTable, type Target } from '#shared/config.ts';
import type { RuleSet } from '#shared/rules/index.ts';
import {
  chooseReference,
  completeJoin,
  deadlineReached,
  evaluate,
  lateInput,
  MaxJoinSlots,
  referenceRange,
  type Cause,
  type CollectEffect,
  type DeadlineReachedEvent,
  type FireEffect,
  type JoinDecision,
  type JoinInput,
  type JoinMode,
  type ReferenceEffect,
} from '#shared/rules/index.ts';
import type { JoinSummary, SchedulerStore } from './join-store.ts';

/** Any event the scheduler handles or emits: every type is in the catalog. */
export type SchedulerEvent = CometEvent;

/** The effects the scheduler needs. */
export interface SchedulerDeps {
  readonly ruleSet: RuleSet;
  /**
   * The topology's lanes: a command caused by bulk work goes to its stage's bulk lane
   * (`laneForWork`) and carries its lane's priority.
   * @default - every command goes to its rule's lane, carrying the priority it inherited
   */
  readonly lanes?: LaneTable;
  readonly store: SchedulerStore;
  /** Appends to the event store; false when the event (by id) was there already. */
  readonly append: (event: SchedulerEvent) => Promise<boolean>;
  readonly send: (target: Target, command: CometEvent, delaySeconds: number) => Promise<void>;
  /**
   * Called after each command is sent: for a target consumed by a container worker, makes sure
   * a worker runs (ECS RunTask under a concurrency cap); a no-op for the other targets. The
   * command is durable in the queue; this is only the wake-up. A failure fails the event, whose
   * retry sends the same command again (the worker deduplicates it by id) and wakes again.
   * @default - no wake-up (dry runs, tests)
   */
  readonly wake?: (target: Target, command: CometEvent) => Promise<void>;
  /** Sends a timer to the scheduler's own queue, delayed (at most 900 s). */
  readonly sendTimer: (timer: DeadlineReachedEvent, delaySeconds: number) => Promise<void>;
  readonly now: () => Date;
  /**
   * The least time a join gets after its first input before its deadline closes it: a cycle
   * whose nominal deadline is already past (a backlog after an outage, a replay) is not closed
   * by its first chunk.
   */
  readonly minimumWaitSeconds: number;
}

/** What the scheduler did with one event, for logs and tests. */
export interface ScheduleResult {
  readonly stored: boolean;
  readonly outcomes: string[];
}

/** Records one event and carries out what the rules decide. */
export async function schedule(event: SchedulerEvent, deps: SchedulerDeps): Promise<ScheduleResult> {
  const stored = await deps.append(event);
  const outcomes: string[] = [];
  if (event.type === EventTypes.deadlineReached) {
    await onDeadline(event as DeadlineReachedEvent, deps, outcomes);
    return { stored, outcomes };
  }
  for (const effect of evaluate(deps.ruleSet, event as CometEvent)) {
    if (effect.kind === 'fire') await fireOnce(effect, deps, outcomes);
    else if (effect.kind === 'collect') await onCollect(effect, event as CometEvent, deps, outcomes);
    else await onReference(effect, event as CometEvent, deps, outcomes);
  }
  return { stored, outcomes };
}

async function fireOnce(
  effect: Pick<FireEffect, 'rule' | 'triggerKey' | 'target' | 'delaySeconds' | 'command'>,
  deps: SchedulerDeps,
  outcomes: string[],
): Promise<boolean> {
  // Priority is data: the lane follows from the rule's lane and the cause's priority, and the
  // command carries its lane's priority on to the events it causes.
  const target =
    deps.lanes === undefined ? effect.target : laneForWork(deps.lanes, effect.target, effect.command.priority);
  const priority = deps.lanes?.[target]?.priority ?? effect.command.priority;
  const command: CometEvent = priority === undefined ? effect.command : { ...effect.command, priority };
  const claim = await deps.store.claim(effect.rule, effect.triggerKey, command.id, target);
  if (claim === 'already-sent') {
    outcomes.push(`already fired ${effect.rule}:${effect.triggerKey}`);
    return false;
  }
  await deps.send(target as Target, command, effect.delaySeconds);
  // Before the trigger is marked sent: a failed wake-up is retried with the event.
  await deps.wake?.(target as Target, command);
  // Recorded before the trigger is marked sent: a retry after a failure here records it.
  await deps.append(command);
  await deps.store.markSent(effect.rule, effect.triggerKey);
  outcomes.push(`sent ${command.type} to ${target} (${effect.rule}:${effect.triggerKey})`);
  return true;
}

async function onCollect(
  effect: CollectEffect,
  event: CometEvent,
  deps: SchedulerDeps,
  outcomes: string[],
): Promise<void> {
  const { outcome, join } = await deps.store.collect(effect);
  if (outcome === 'late') {
    const late = lateInput(deps.ruleSet, effect.rule, effect.joinKey, effect.slot, event);
    await deps.append(late);
    outcomes.push(`late input ${effect.joinKey} slot ${effect.slot}`);
    return;
  }
  if (join.closed !== undefined) {
    // A copy of an input the close counted, or this event closed the join and failed before it
    // carried the decision out: then it does so now.
    if (join.closing?.causeId === event.id)
      await tryComplete(effect.rule, effect.joinKey, event, 'complete', deps, outcomes, { known: join });
    else outcomes.push(`duplicate ${effect.joinKey} slot ${effect.slot} after close`);
    return;
  }
  outcomes.push(`${outcome} ${effect.joinKey} slot ${effect.slot} (${join.arrived}/${join.expected})`);
  if (join.timerAt === undefined) {
    const timerAt = new Date(
      Math.max(Date.parse(join.deadlineAt), deps.now().getTime() + deps.minimumWaitSeconds * 1000),
    );
    // Sent before it is recorded: a crash in between sends a second timer, which finds the
    // join handled; the other order could lose the only one.
    await deps.sendTimer(
      deadlineReached({ ...effect, deadlineAt: join.deadlineAt, correlationId: join.correlationId }, event),
      secondsUntil(timerAt, deps),
    );
    await deps.store.markTimer(effect.rule, effect.joinKey, timerAt.toISOString());
  }
  if (join.arrived >= join.expected)
    await tryComplete(effect.rule, effect.joinKey, event, 'complete', deps, outcomes, { known: join });
}

async function onReference(
  effect: ReferenceEffect,
  event: CometEvent,
  deps: SchedulerDeps,
  outcomes: string[],
): Promise<void> {
  await deps.store.putReference(effect);
  outcomes.push(`reference ${effect.requirement} at ${effect.time}`);
  for (const joinKey of await deps.store.waiting(effect.rule, effect.requirement, effect.servesFrom, effect.servesTo)) {
    await tryComplete(effect.rule, joinKey, event, 'complete', deps, outcomes);
  }
}

async function onDeadline(timer: DeadlineReachedEvent, deps: SchedulerDeps, outcomes: string[]): Promise<void> {
  const { rule, joinKey } = timer.data;
  const join = await deps.store.readJoin(rule, joinKey);
  if (join === undefined || (join.closed !== undefined && join.closing?.causeId !== timer.id)) {
    outcomes.push(`deadline of ${joinKey}: already ${join?.closed ?? 'unknown'}`);
    return;
  }
  if (join.closed !== undefined) {
    await tryComplete(rule, joinKey, timer, 'deadline', deps, outcomes, { known: join });
    return;
  }
  const due = Date.parse(join.timerAt ?? join.deadlineAt);
  if (deps.now().getTime() < due) {
    // Not due yet (a timer longer than SQS's 15-minute delay): wait again, as a new message,
    // since the stage's idempotency would take a second message with the same id for a replay.
    await deps.sendTimer({ ...timer, id: randomUUID() }, secondsUntil(new Date(due), deps));
    outcomes.push(`deadline of ${joinKey}: re-armed for ${new Date(due).toISOString()}`);
    return;
  }
  await tryComplete(rule, joinKey, timer, 'deadline', deps, outcomes, { known: join });
}

function secondsUntil(at: Date, deps: SchedulerDeps): number {
  // SQS caps a message delay at 15 minutes; a longer timer is re-sent until it is due.
  return Math.min(SqsMaxDelaySeconds, Math.max(0, Math.ceil((at.getTime() - deps.now().getTime()) / 1000)));
}

/**
 * Reads the join once and closes it if the rule says so, then carries the decision out; waits
 * for missing references otherwise. A close that fails (an input recorded after the read, or
 * another instance closed it) is decided again on a fresh read.
 */
async function tryComplete(
  rule: string,
  joinKey: string,
  cause: Cause,
  mode: JoinMode,
  deps: SchedulerDeps,
  outcomes: string[],
  options: { recheck?: boolean; known?: JoinSummary } = {},
): Promise<void> {
  const compiled = deps.ruleSet.byName.get(rule);
  const requirements = compiled?.kind === 'join' ? compiled.requirements.map((r) => r.name) : [];
  // The caller's fresh read of the join's counter item, when it has one, spares a second read.
  let known = options.known;
  // Every failed close saw one more input recorded: at most one pass per slot, and the last.
  for (let pass = 0; pass <= MaxJoinSlots + 1; pass += 1) {
    const join = known ?? (await deps.store.readJoin(rule, joinKey));
    known = undefined;
    if (join === undefined) return;
    if (join.closed !== undefined) {
      // Only the event that closed the join finishes it (a retry after a failure past the close):
      // the slots are frozen by the close and the references are the ones it chose.
      const closing = join.closing;
      if (closing?.causeId !== cause.id) return;
      const collected = await deps.store.slots(rule, joinKey);
      const references = Object.fromEntries(requirements.map((name) => [name, closing.references[name]]));
      const decision = decide(rule, joinKey, join, collected, references, cause, closing.mode, deps);
      if (decision.kind !== 'wait') await carryOut(decision, joinKey, join, requirements, deps, outcomes);
      return;
    }
    const references: Record<string, JoinInput | undefined> = {};
    for (const requirement of requirements) {
      const range = referenceRange(deps.ruleSet, rule, requirement, join.windowStart);
      const candidates = await deps.store.references(rule, requirement, range.from, range.to);
      references[requirement] = chooseReference(deps.ruleSet, rule, requirement, join.windowStart, candidates);
    }
    const collected = await deps.store.slots(rule, joinKey);
    const decision = decide(rule, joinKey, join, collected, references, cause, mode, deps);

    if (decision.kind === 'wait') {
      const missing = decision.waitingFor.filter((name) => requirements.includes(name));
      for (const requirement of missing) await deps.store.wait(rule, requirement, join.windowStart, joinKey);
      outcomes.push(`waiting ${joinKey} for ${decision.waitingFor.join(', ')}`);
      // A reference recorded between our read and our wait item would not find us: look again.
      if ((options.recheck ?? true) && missing.length > 0)
        await tryComplete(rule, joinKey, cause, mode, deps, outcomes, { recheck: false });
      return;
    }
    const chosen: Record<string, JoinInput> = {};
    for (const [name, reference] of Object.entries(references)) if (reference !== undefined) chosen[name] = reference;
    const closed = await deps.store.close(rule, joinKey, {
      how: decision.kind === 'fire' ? 'fired' : 'abandoned',
      by: decision.kind === 'fire' ? decision.command.id : decision.event.id,
      slotsRead: collected.length,
      closing: { causeId: cause.id, mode, references: chosen },
    });
    if (!closed) {
      outcomes.push(`close of ${joinKey} refused (an input came in, or it closed): deciding again`);
      continue;
    }
    await carryOut(decision, joinKey, join, requirements, deps, outcomes);
    return;
  }
  throw new Error(
    `Join ${rule}/${joinKey} could not be closed in ${MaxJoinSlots + 2} passes: its count kept changing (expected at most ${MaxJoinSlots} inputs)`,
  );
}

function decide(
  rule: string,
  joinKey: string,
  join: JoinSummary,
  collected: Awaited<ReturnType<SchedulerStore['slots']>>,
  references: Record<string, JoinInput | undefined>,
  cause: Cause,
  mode: JoinMode,
  deps: SchedulerDeps,
): JoinDecision {
  return completeJoin(
    deps.ruleSet,
    rule,
    {
      joinKey,
      windowStart: join.windowStart,
      windowEnd: join.windowEnd,
      correlationId: join.correlationId,
      collected,
      references,
    },
    cause,
    mode,
  );
}

/** Sends the command of a fired join, or records its abandonment, once; then drops its waits. */
async function carryOut(
  decision: Exclude<JoinDecision, { kind: 'wait' }>,
  joinKey: string,
  join: JoinSummary,
  requirements: readonly string[],
  deps: SchedulerDeps,
  outcomes: string[],
): Promise<void> {
  if (decision.kind === 'fire') {
    await fireOnce(decision, deps, outcomes);
    if (decision.degraded) outcomes.push(`degraded ${joinKey}: missing ${decision.missing.join(', ')}`);
  } else {
    const claim = await deps.store.claim(decision.rule, decision.triggerKey, decision.event.id, 'none');
    if (claim !== 'already-sent') {
      await deps.append(decision.event);
      await deps.store.markSent(decision.rule, decision.triggerKey);
      outcomes.push(`abandoned ${joinKey}: ${decision.reason}`);
    }
  }
  for (const requirement of requirements)
    await deps.store.unwait(decision.rule, requirement, join.windowStart, joinKey);
}
