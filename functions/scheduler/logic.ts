/**
 * The scheduler: appends every event to the event store, asks the rules what to do, and fires
 * each decision once. Exactly-once effect over at-least-once delivery: the trigger is claimed
 * with a conditional write; a claim whose command was not yet sent (a crash between the two)
 * is sent again with the same command id, which the receiving stage deduplicates.
 * Commands sent are appended to the event store as well, so a trace follows the whole chain.
 */
import type { CometEvent } from '#events/registry.ts';
import { decide, ScheduledTypes, type Decision, type Target } from './rules.ts';

/** State of a trigger in the scheduler's table. */
export type Claim = 'claimed' | 'already-sent' | 'claimed-earlier-unsent';

/** The effects the scheduler needs. */
export interface SchedulerDeps {
  /** Appends the event to the event store; false when it was there already. */
  readonly append: (event: CometEvent) => Promise<boolean>;
  readonly claim: (decision: Decision) => Promise<Claim>;
  readonly markSent: (decision: Decision) => Promise<void>;
  readonly send: (target: Target, command: CometEvent) => Promise<void>;
}

/** What happened to one event. */
export interface ScheduleResult {
  readonly stored: boolean;
  readonly fired: readonly string[];
  readonly skipped: readonly string[];
}

export { ScheduledTypes };

/** Records one event and fires what it triggers. */
export async function schedule(event: CometEvent<(typeof ScheduledTypes)[number]>, deps: SchedulerDeps): Promise<ScheduleResult> {
  const stored = await deps.append(event);
  const fired: string[] = [];
  const skipped: string[] = [];
  for (const decision of decide(event)) {
    const claim = await deps.claim(decision);
    if (claim === 'already-sent') {
      skipped.push(`${decision.rule}:${decision.key}`);
      continue;
    }
    await deps.send(decision.target, decision.command);
    // Commands are part of the record too: the store then holds every decision with its cause.
    // Appended before the trigger is marked sent, so a retry after a failure here appends it.
    await deps.append(decision.command);
    await deps.markSent(decision);
    fired.push(`${decision.rule}:${decision.key}`);
  }
  return { stored, fired, skipped };
}
