/**
 * The scheduler's own state in its DynamoDB table: trigger claims, join slots and counters,
 * references (forecasts) and joins waiting for one. Every write that decides something is
 * conditional, and the number of requests per event does not grow with the size of a join:
 * an input is one transaction (its slot, put once, and the join's counter) plus one read of
 * the join's counter item. Only completing a join reads its slots, to build the command.
 *
 * Closing a join is the one decision point: `close` is conditional on the join being open and on
 * its count being the number of slots the decision read, and `collect` is conditional on the join
 * being open. So an input is either among the slots a close decided on, or it finds the join
 * closed and is late; never neither (an input recorded between the decision's read and its close
 * makes the close fail, and the decision is taken again).
 *
 * Items (pk / sk):
 * - `TRIGGER#<rule>#<key>` / `TRIGGER`: a claimed trigger; `sentAt` once its command was sent
 * - `JOIN#<rule>#<joinKey>` / `#STATE`: arrived count, window, deadline, timer, and once closed
 *   how, by which command, caused by which event, in which mode and with which references
 * - `JOIN#<rule>#<joinKey>` / `SLOT#<slot>`: one collected input
 * - `REF#<rule>#<requirement>` / `<time>#<key>`: a reference that joins may use
 * - `WAIT#<rule>#<requirement>` / `<windowStart>#<joinKey>`: a complete join waiting for it
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  paginateQuery,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  Clauses,
  conditionalWrite,
  isTransactionConditionFailure,
  putIfAbsent,
} from '#shared/storage/conditional-write.ts';
import type {
  CollectedInput,
  CollectEffect,
  JoinInput,
  JoinMode,
  ReferenceCandidate,
  ReferenceEffect,
} from '#shared/rules/index.ts';

/** The join's counter item, as read after an input. */
export interface JoinSummary {
  readonly arrived: number;
  readonly expected: number;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly deadlineAt: string;
  readonly correlationId: string;
  /** When the deadline timer fires; set once the timer is scheduled. */
  readonly timerAt?: string;
  /** How the join closed, once it did. */
  readonly closed?: 'fired' | 'abandoned';
  readonly closedBy?: string;
  readonly closedAt?: string;
  /** What decided the close, so that a retry of the same event can finish what it started. */
  readonly closing?: JoinClosing;
}

/** A join's close: the decision, and what it was taken on. */
export interface JoinClose {
  readonly how: 'fired' | 'abandoned';
  /** The id of the command (fired) or `cycle.abandoned` event (abandoned). */
  readonly by: string;
  /** The number of slots the decision read: the close fails when the join's count differs. */
  readonly slotsRead: number;
  readonly closing: JoinClosing;
}

/** The event that closed a join, its mode and the references chosen: with the slots (frozen by the close), the decision again. */
export interface JoinClosing {
  readonly causeId: string;
  readonly mode: JoinMode;
  readonly references: Readonly<Record<string, JoinInput>>;
}

/** What `collect` made of an input: recorded, a copy of a recorded one, or too late for a closed join. */
export type CollectOutcome = 'collected' | 'duplicate' | 'late';

export type Claim = 'claimed' | 'already-sent' | 'claimed-earlier-unsent';

/** The scheduler's storage, behind an interface so the same logic runs on a memory store. */
export interface SchedulerStore {
  claim(rule: string, key: string, commandId: string, target: string): Promise<Claim>;
  markSent(rule: string, key: string): Promise<void>;
  /**
   * Records an input once per slot and counts it, while the join is open: `duplicate` when the
   * slot was filled before (then it was part of any close), `late` when the join had closed.
   */
  collect(effect: CollectEffect): Promise<{ outcome: CollectOutcome; join: JoinSummary }>;
  readJoin(rule: string, joinKey: string): Promise<JoinSummary | undefined>;
  /** Records that the deadline timer is scheduled; false when another instance did it. */
  markTimer(rule: string, joinKey: string, timerAt: string): Promise<boolean>;
  /** Every collected input of a join. */
  slots(rule: string, joinKey: string): Promise<CollectedInput[]>;
  putReference(effect: ReferenceEffect): Promise<void>;
  references(rule: string, requirement: string, from: string, to: string): Promise<ReferenceCandidate[]>;
  wait(rule: string, requirement: string, windowStart: string, joinKey: string): Promise<void>;
  waiting(rule: string, requirement: string, from: string, to: string): Promise<string[]>;
  unwait(rule: string, requirement: string, windowStart: string, joinKey: string): Promise<void>;
  /** Closes an open join whose count is still `slotsRead`; false when it is closed or counts more. */
  close(rule: string, joinKey: string, close: JoinClose): Promise<boolean>;
}

/** Scheduler state is kept 30 days; the event store keeps the history. */
const RETENTION_SECONDS = 30 * 24 * 3600;
const expiresAt = (): number => Math.floor(Date.now() / 1000) + RETENTION_SECONDS;
const joinPk = (rule: string, joinKey: string): string => `JOIN#${rule}#${joinKey}`;
const STATE = '#STATE';

const input = (item: Record<string, unknown>): JoinInput => ({
  bucket: item.bucket as string,
  key: item.key as string,
  size: item.size as number,
  sha256: item.sha256 as string,
  name: item.name as string,
});

/** The scheduler store on DynamoDB. */
export class DynamoDbSchedulerStore implements SchedulerStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;

  public constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  public async claim(rule: string, key: string, commandId: string, target: string): Promise<Claim> {
    const Key = { pk: `TRIGGER#${rule}#${key}`, sk: 'TRIGGER' };
    const item = { ...Key, rule, commandId, target, claimedAt: new Date().toISOString(), expiresAt: expiresAt() };
    if ((await putIfAbsent(this.db, { table: this.table, item })) === 'created') return 'claimed';
    const existing = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
    return existing.Item?.sentAt === undefined ? 'claimed-earlier-unsent' : 'already-sent';
  }

  public async markSent(rule: string, key: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `TRIGGER#${rule}#${key}`, sk: 'TRIGGER' },
        UpdateExpression: 'SET sentAt = :now',
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
      }),
    );
  }

  public async collect(effect: CollectEffect): Promise<{ outcome: CollectOutcome; join: JoinSummary }> {
    const pk = joinPk(effect.rule, effect.joinKey);
    let outcome: CollectOutcome = 'collected';
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk,
                  sk: `SLOT#${effect.slot}`,
                  slot: effect.slot,
                  ...effect.input,
                  at: new Date().toISOString(),
                  expiresAt: expiresAt(),
                },
                ConditionExpression: Clauses.absent(),
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: { pk, sk: STATE },
                UpdateExpression:
                  'ADD arrived :one SET expected = :expected, windowStart = if_not_exists(windowStart, :start), ' +
                  'windowEnd = if_not_exists(windowEnd, :end), deadlineAt = if_not_exists(deadlineAt, :deadline), ' +
                  'correlationId = if_not_exists(correlationId, :correlation), firstAt = if_not_exists(firstAt, :now), expiresAt = :expires',
                ExpressionAttributeValues: {
                  ':one': 1,
                  ':expected': effect.expectedCount,
                  ':start': effect.windowStart,
                  ':end': effect.windowEnd,
                  ':deadline': effect.deadlineAt,
                  ':correlation': effect.correlationId,
                  ':now': new Date().toISOString(),
                  ':expires': expiresAt(),
                },
                ConditionExpression: Clauses.unset('closed'),
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (isTransactionConditionFailure(error, 0)) outcome = 'duplicate';
      else if (!isTransactionConditionFailure(error, 1)) throw error;
      // Closed, and the reasons need not name the slot's condition too: a slot that exists was
      // recorded before the close (which counted it), so it is a copy; else the input is late.
      else outcome = (await this.slotExists(pk, effect.slot)) ? 'duplicate' : 'late';
    }
    const join = await this.readJoin(effect.rule, effect.joinKey);
    if (join === undefined)
      throw new Error(`Join ${effect.rule}/${effect.joinKey} has no state item after an input was recorded`);
    return { outcome, join };
  }

  public async readJoin(rule: string, joinKey: string): Promise<JoinSummary | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: joinPk(rule, joinKey), sk: STATE }, ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    return {
      arrived: Number(Item.arrived ?? 0),
      expected: Number(Item.expected),
      windowStart: Item.windowStart,
      windowEnd: Item.windowEnd,
      deadlineAt: Item.deadlineAt,
      correlationId: Item.correlationId,
      ...(Item.timerAt === undefined ? {} : { timerAt: Item.timerAt as string }),
      ...(Item.closed === undefined
        ? {}
        : {
            closed: Item.closed as 'fired' | 'abandoned',
            closedBy: Item.closedBy as string,
            closedAt: Item.closedAt as string,
            ...(Item.closing === undefined ? {} : { closing: Item.closing as JoinClosing }),
          }),
    };
  }

  public async markTimer(rule: string, joinKey: string, timerAt: string): Promise<boolean> {
    return conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: joinPk(rule, joinKey), sk: STATE },
          UpdateExpression: 'SET timerAt = :at',
          ConditionExpression: Clauses.unset('timerAt'),
          ExpressionAttributeValues: { ':at': timerAt },
        }),
      ),
    );
  }

  private async slotExists(pk: string, slot: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk, sk: `SLOT#${slot}` }, ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  public async slots(rule: string, joinKey: string): Promise<CollectedInput[]> {
    const items = await this.query(joinPk(rule, joinKey), 'SLOT#', 'SLOT$');
    return items.map((item) => ({ ...input(item), slot: item.slot as string }));
  }

  public async putReference(effect: ReferenceEffect): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `REF#${effect.rule}#${effect.requirement}`,
          sk: `${effect.time}#${effect.input.key}`,
          time: effect.time,
          ...effect.input,
          expiresAt: expiresAt(),
        },
      }),
    );
  }

  public async references(rule: string, requirement: string, from: string, to: string): Promise<ReferenceCandidate[]> {
    const items = await this.query(`REF#${rule}#${requirement}`, from, `${to}#\uffff`);
    return items.map((item) => ({ time: item.time as string, input: input(item) }));
  }

  public async wait(rule: string, requirement: string, windowStart: string, joinKey: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `WAIT#${rule}#${requirement}`, sk: `${windowStart}#${joinKey}`, joinKey, expiresAt: expiresAt() },
      }),
    );
  }

  public async waiting(rule: string, requirement: string, from: string, to: string): Promise<string[]> {
    const items = await this.query(`WAIT#${rule}#${requirement}`, from, `${to}#\uffff`);
    return items.map((item) => item.joinKey as string);
  }

  public async unwait(rule: string, requirement: string, windowStart: string, joinKey: string): Promise<void> {
    await this.db.send(
      new DeleteCommand({
        TableName: this.table,
        Key: { pk: `WAIT#${rule}#${requirement}`, sk: `${windowStart}#${joinKey}` },
      }),
    );
  }

  public async close(rule: string, joinKey: string, close: JoinClose): Promise<boolean> {
    return conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: joinPk(rule, joinKey), sk: STATE },
          UpdateExpression: 'SET closed = :how, closedBy = :by, closedAt = :now, closing = :closing',
          ConditionExpression: Clauses.all(Clauses.present(), Clauses.unset('closed'), 'arrived = :read'),
          ExpressionAttributeValues: {
            ':how': close.how,
            ':by': close.by,
            ':now': new Date().toISOString(),
            ':closing': close.closing,
            ':read': close.slotsRead,
          },
        }),
      ),
    );
  }

  private async query(pk: string, from: string, to: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }
}
