/**
 * The scheduler store in memory: the same contract as the DynamoDB store (a slot is put once,
 * a trigger is claimed once, a join closes once on the slots its decision read and takes no
 * input after), with no I/O. The replay CLI's `--dry-run` runs the scheduler's
 * real logic on it to print what the rules would decide; the unit tests run scenarios on it.
 */
import type { CollectedInput, CollectEffect, ReferenceCandidate, ReferenceEffect } from '#shared/rules/index.ts';
import type { Claim, CollectOutcome, JoinClose, JoinSummary, SchedulerStore } from './join-store.ts';

type MutableJoin = { -readonly [K in keyof JoinSummary]: JoinSummary[K] };

export class MemorySchedulerStore implements SchedulerStore {
  /** Requests made, by operation: what the DynamoDB store would send, one per call. */
  public readonly requests = new Map<string, number>();
  private readonly triggers = new Map<string, { sent: boolean }>();
  private readonly joins = new Map<string, MutableJoin>();
  private readonly joinSlots = new Map<string, Map<string, CollectedInput>>();
  private readonly refs = new Map<string, ReferenceCandidate[]>();
  private readonly waits = new Map<string, Map<string, string>>();
  /** A logical clock for the time of a close. */
  private tick = 0;
  private stamp(): string {
    this.tick += 1;
    return String(this.tick).padStart(12, '0');
  }

  private count(operation: string): void {
    this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
  }

  public async claim(rule: string, key: string): Promise<Claim> {
    this.count('claim');
    const id = `${rule}#${key}`;
    const existing = this.triggers.get(id);
    if (existing === undefined) {
      this.triggers.set(id, { sent: false });
      return 'claimed';
    }
    return existing.sent ? 'already-sent' : 'claimed-earlier-unsent';
  }

  public async markSent(rule: string, key: string): Promise<void> {
    this.count('markSent');
    this.triggers.set(`${rule}#${key}`, { sent: true });
  }

  public async collect(effect: CollectEffect): Promise<{ outcome: CollectOutcome; join: JoinSummary }> {
    this.count('collect');
    const id = `${effect.rule}#${effect.joinKey}`;
    const slots = this.joinSlots.get(id) ?? new Map<string, CollectedInput>();
    this.joinSlots.set(id, slots);
    const outcome: CollectOutcome = slots.has(effect.slot)
      ? 'duplicate'
      : this.joins.get(id)?.closed !== undefined
        ? 'late'
        : 'collected';
    if (outcome === 'collected') {
      slots.set(effect.slot, { ...effect.input, slot: effect.slot });
      const join = this.joins.get(id) ?? {
        arrived: 0,
        expected: effect.expectedCount,
        windowStart: effect.windowStart,
        windowEnd: effect.windowEnd,
        deadlineAt: effect.deadlineAt,
        correlationId: effect.correlationId,
      };
      join.arrived += 1;
      this.joins.set(id, join);
    }
    return { outcome, join: { ...this.joins.get(id)! } };
  }

  public async readJoin(rule: string, joinKey: string): Promise<JoinSummary | undefined> {
    this.count('readJoin');
    const join = this.joins.get(`${rule}#${joinKey}`);
    return join === undefined ? undefined : { ...join };
  }

  public async markTimer(rule: string, joinKey: string, timerAt: string): Promise<boolean> {
    this.count('markTimer');
    const join = this.joins.get(`${rule}#${joinKey}`);
    if (join === undefined || join.timerAt !== undefined) return false;
    join.timerAt = timerAt;
    return true;
  }

  public async slots(rule: string, joinKey: string): Promise<CollectedInput[]> {
    this.count('slots');
    return [...(this.joinSlots.get(`${rule}#${joinKey}`)?.values() ?? [])];
  }

  public async putReference(effect: ReferenceEffect): Promise<void> {
    this.count('putReference');
    const id = `${effect.rule}#${effect.requirement}`;
    const list = (this.refs.get(id) ?? []).filter((r) => !(r.time === effect.time && r.input.key === effect.input.key));
    this.refs.set(id, [...list, { time: effect.time, input: effect.input }]);
  }

  public async references(rule: string, requirement: string, from: string, to: string): Promise<ReferenceCandidate[]> {
    this.count('references');
    return (this.refs.get(`${rule}#${requirement}`) ?? []).filter((r) => r.time >= from && r.time <= to);
  }

  public async wait(rule: string, requirement: string, windowStart: string, joinKey: string): Promise<void> {
    this.count('wait');
    const id = `${rule}#${requirement}`;
    const waits = this.waits.get(id) ?? new Map<string, string>();
    waits.set(`${windowStart}#${joinKey}`, joinKey);
    this.waits.set(id, waits);
  }

  public async waiting(rule: string, requirement: string, from: string, to: string): Promise<string[]> {
    this.count('waiting');
    return [...(this.waits.get(`${rule}#${requirement}`) ?? new Map<string, string>()).entries()]
      .filter(([sk]) => sk >= from && sk <= `${to}#\uffff`)
      .map(([, joinKey]) => joinKey);
  }

  public async unwait(rule: string, requirement: string, windowStart: string, joinKey: string): Promise<void> {
    this.count('unwait');
    this.waits.get(`${rule}#${requirement}`)?.delete(`${windowStart}#${joinKey}`);
  }

  public async close(rule: string, joinKey: string, close: JoinClose): Promise<boolean> {
    this.count('close');
    const join = this.joins.get(`${rule}#${joinKey}`);
    if (join === undefined || join.closed !== undefined || join.arrived !== close.slotsRead) return false;
    join.closed = close.how;
    join.closedBy = close.by;
    join.closedAt = this.stamp();
    join.closing = close.closing;
    return true;
  }
}
