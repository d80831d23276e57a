/**
 * The scheduler's DynamoDB store against a mocked client (as Powertools tests its persistence
 * layer): the conditions that make triggers fire once and inputs count once, and how a failed
 * condition becomes a domain answer.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CollectEffect } from '#shared/rules/index.ts';
import { eventStoreAppender } from './event-store.ts';
import { DynamoDbSchedulerStore } from './join-store.ts';

const TABLE = 'scheduler';
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const db = mockClient(documents);
const conditionFailed = (): ConditionalCheckFailedException =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const cancelled = (codes: string[]): TransactionCanceledException =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const collect: CollectEffect = {
  kind: 'collect',
  rule: 'cycle',
  joinKey: '20261122-061',
  slot: '7',
  expectedCount: 41,
  input: { bucket: 'archive', key: 'eumetsat/chunk-7', size: 10, sha256: 'a'.repeat(64), name: 'chunk-7' },
  windowStart: '2026-11-22T10:00:00Z',
  windowEnd: '2026-11-22T10:10:00Z',
  deadlineAt: '2026-11-22T10:30:00Z',
  correlationId: 'cycle-20261122-061',
};
const joinState = {
  pk: 'JOIN#cycle#20261122-061',
  sk: '#STATE',
  arrived: 7,
  expected: 41,
  windowStart: collect.windowStart,
  windowEnd: collect.windowEnd,
  deadlineAt: collect.deadlineAt,
  correlationId: collect.correlationId,
};

describe('DynamoDbSchedulerStore', () => {
  beforeEach(() => db.reset());

  it('claims a trigger with a put conditional on its absence', async () => {
    // Prepare
    db.on(PutCommand).resolves({});

    // Act
    const claim = await new DynamoDbSchedulerStore(documents, TABLE).claim(
      'cycle',
      'k1',
      'command-1',
      'process-realtime',
    );

    // Assess
    expect(claim).toBe('claimed');
    const input = db.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input.Item).toMatchObject({
      pk: 'TRIGGER#cycle#k1',
      sk: 'TRIGGER',
      commandId: 'command-1',
      target: 'process-realtime',
    });
  });

  it('answers already-sent or claimed-earlier-unsent when the trigger was claimed before', async () => {
    // Prepare
    db.on(PutCommand).rejects(conditionFailed());
    db.on(GetCommand)
      .resolvesOnce({ Item: { sentAt: '2026-11-22T10:11:00Z' } })
      .resolvesOnce({ Item: {} });
    const store = new DynamoDbSchedulerStore(documents, TABLE);

    // Act
    const claims = [
      await store.claim('cycle', 'k1', 'command-1', 'deliver'),
      await store.claim('cycle', 'k1', 'command-1', 'deliver'),
    ];

    // Assess
    expect(claims).toEqual(['already-sent', 'claimed-earlier-unsent']);
    expect(db.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: 'TRIGGER#cycle#k1', sk: 'TRIGGER' },
      ConsistentRead: true,
    });
  });

  it('records an input and its count in one transaction, conditional on the slot being empty and the join open', async () => {
    // Prepare
    db.on(TransactWriteCommand).resolves({});
    db.on(GetCommand).resolves({ Item: joinState });

    // Act
    const result = await new DynamoDbSchedulerStore(documents, TABLE).collect(collect);

    // Assess
    expect(result).toEqual({
      outcome: 'collected',
      join: {
        arrived: 7,
        expected: 41,
        windowStart: collect.windowStart,
        windowEnd: collect.windowEnd,
        deadlineAt: collect.deadlineAt,
        correlationId: collect.correlationId,
      },
    });
    const [slot, counter] = db.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(slot!.Put).toMatchObject({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: joinState.pk, sk: 'SLOT#7' },
    });
    expect(counter!.Update).toMatchObject({
      TableName: TABLE,
      Key: { pk: joinState.pk, sk: '#STATE' },
      ConditionExpression: 'attribute_not_exists(closed)',
    });
    expect(counter!.Update!.UpdateExpression).toMatch(/^ADD arrived :one /);
  });

  it("answers duplicate when the slot's condition cancelled the transaction, and rethrows any other cancellation", async () => {
    // Prepare
    db.on(TransactWriteCommand)
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None']))
      .rejectsOnce(cancelled(['None', 'ThrottlingError']));
    db.on(GetCommand).resolves({ Item: joinState });
    const store = new DynamoDbSchedulerStore(documents, TABLE);

    // Act
    const first = await store.collect(collect);
    const second = store.collect(collect);

    // Assess
    expect(first.outcome).toBe('duplicate');
    await expect(second).rejects.toThrow(TransactionCanceledException);
  });

  it("answers late when the join's condition cancelled the transaction and the slot is empty, duplicate when it is filled", async () => {
    // Prepare: the join is closed; the slot read finds nothing, then the slot.
    const closedJoin = { ...joinState, closed: 'fired', closedBy: 'c', closedAt: '2026-11-22T10:31:00Z' };
    db.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    db.on(GetCommand, { Key: { pk: joinState.pk, sk: 'SLOT#7' } })
      .resolvesOnce({})
      .resolvesOnce({ Item: { pk: joinState.pk, sk: 'SLOT#7' } });
    db.on(GetCommand, { Key: { pk: joinState.pk, sk: '#STATE' } }).resolves({ Item: closedJoin });
    const store = new DynamoDbSchedulerStore(documents, TABLE);

    // Act
    const outcomes = [(await store.collect(collect)).outcome, (await store.collect(collect)).outcome];

    // Assess
    expect(outcomes).toEqual(['late', 'duplicate']);
  });

  it('closes a join only while it is open and counts the slots its decision read', async () => {
    // Prepare
    db.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    const store = new DynamoDbSchedulerStore(documents, TABLE);
    const close = {
      how: 'fired' as const,
      by: 'command-1',
      slotsRead: 39,
      closing: { causeId: 'timer-1', mode: 'deadline' as const, references: {} },
    };

    // Act
    const closes = [
      await store.close('cycle', '20261122-061', close),
      await store.close('cycle', '20261122-061', close),
    ];

    // Assess
    expect(closes).toEqual([true, false]);
    const input = db.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe(
      '(attribute_exists(pk)) AND (attribute_not_exists(closed)) AND (arrived = :read)',
    );
    expect(input.ExpressionAttributeValues).toMatchObject({ ':read': 39, ':how': 'fired', ':closing': close.closing });
  });

  it('marks the deadline timer once: false when another instance set it', async () => {
    // Prepare
    db.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    const store = new DynamoDbSchedulerStore(documents, TABLE);

    // Act
    const marks = [
      await store.markTimer('cycle', '20261122-061', '2026-11-22T10:30:00Z'),
      await store.markTimer('cycle', '20261122-061', 'x'),
    ];

    // Assess
    expect(marks).toEqual([true, false]);
    expect(db.commandCalls(UpdateCommand)[0]!.args[0].input.ConditionExpression).toBe('attribute_not_exists(timerAt)');
  });

  it("reads every page of a join's slots", async () => {
    // Prepare
    db.on(QueryCommand)
      .resolvesOnce({ Items: [{ ...collect.input, slot: '1' }], LastEvaluatedKey: { pk: joinState.pk, sk: 'SLOT#1' } })
      .resolvesOnce({ Items: [{ ...collect.input, slot: '2' }] });

    // Act
    const slots = await new DynamoDbSchedulerStore(documents, TABLE).slots('cycle', '20261122-061');

    // Assess
    expect(slots.map((s) => s.slot)).toEqual(['1', '2']);
    expect(db.commandCalls(QueryCommand)[1]!.args[0].input.ExclusiveStartKey).toEqual({
      pk: joinState.pk,
      sk: 'SLOT#1',
    });
  });
});

describe('eventStoreAppender', () => {
  beforeEach(() => db.reset());

  it('stores an event once: its id guard is conditional, a repeat answers false', async () => {
    // Prepare
    db.on(TransactWriteCommand)
      .resolvesOnce({})
      .rejectsOnce(cancelled(['ConditionalCheckFailed', 'None']));
    const append = eventStoreAppender(documents, 'events');
    const event = {
      specversion: '1.0',
      id: 'e1',
      source: 'cometflow/intake',
      type: 'cometflow.file.available',
      time: '2026-11-22T10:01:00.000Z',
      correlationid: 'cycle-20261122-061',
      causationid: 'e1',
      data: {},
    } as never;

    // Act
    const stored = [await append(event), await append(event)];

    // Assess
    expect(stored).toEqual([true, false]);
    const [guard] = db.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(guard!.Put).toMatchObject({
      Item: { pk: 'ID#e1', sk: 'ID' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });
});
