/**
 * Benchmark: DynamoDB requests and bytes per scheduler event for a 41-input join (40 chunks, a
 * trailer and a forecast), on DynamoDB Local, with the scheduler's real logic and store; and,
 * in the same run, the same events through a baseline that keeps a join as one item holding
 * the list of its inputs (read, append, conditional write back: the "read-modify-write of a
 * growing list" the design rules out). Requests are counted by an SDK middleware on the
 * DynamoDB client; bytes are the request bodies sent plus the JSON of the responses.
 */
import { ConditionalCheckFailedException, CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CometEvent } from '#events/registry.ts';
import { chunkIngestedEvent, forecastIngestedEvent } from '#shared/samples/events.ts';
import { eventStoreAppender } from '../functions/scheduler/event-store.ts';
import { DynamoDbSchedulerStore } from '../functions/scheduler/join-store.ts';
import { schedule, type SchedulerDeps } from '../functions/scheduler/logic.ts';
import { loadPipelineRules } from '../functions/scheduler/rule-set.ts';
import { startDynamoDb } from '../local/emulators/dynamodb.ts';

/** Requests and bytes of one event. */
interface EventCost {
  readonly label: string;
  readonly requests: number;
  readonly bytes: number;
}

export interface SchedulerRequestsReport {
  readonly ours: readonly EventCost[];
  readonly baseline: readonly EventCost[];
  readonly markdown: string;
}

/** A DynamoDB client that counts requests and bytes. */
function countingClient(endpoint: string): {
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  meter: { requests: number; bytes: number };
} {
  const meter = { requests: 0, bytes: 0 };
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      meter.requests += 1;
      const body = (args.request as { body?: unknown }).body;
      if (typeof body === 'string') meter.bytes += Buffer.byteLength(body);
      else if (body instanceof Uint8Array) meter.bytes += body.byteLength;
      else if (body !== undefined) throw new Error(`Cannot measure a request body of type ${typeof body}`);
      const result = await next(args);
      meter.bytes += Buffer.byteLength(JSON.stringify(result.output ?? {}));
      return result;
    },
    { step: 'finalizeRequest', name: 'benchMeter' },
  );
  return {
    client,
    documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    meter,
  };
}

async function createTables(
  client: DynamoDBClient,
  names: { scheduler: string; eventStore: string; baseline: string; baselineEvents: string },
): Promise<void> {
  const keys = {
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
  };
  const attributes = [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'S' as const },
  ];
  await client.send(
    new CreateTableCommand({
      TableName: names.scheduler,
      ...keys,
      AttributeDefinitions: attributes,
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (const table of [names.eventStore, names.baselineEvents]) {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        ...keys,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes, { AttributeName: 'day', AttributeType: 'S' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byDay',
            KeySchema: [
              { AttributeName: 'day', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  }
  await client.send(
    new CreateTableCommand({
      TableName: names.baseline,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

/** The cycle's events: the forecast, then the 41 chunks in a shuffled order. */
function cycleEvents(): { label: string; event: CometEvent }[] {
  const day = '20261122';
  const chunks = Array.from({ length: 41 }, (_, i) => ({
    label: `chunk ${i + 1}`,
    event: chunkIngestedEvent(day, 61, i + 1) as CometEvent,
  }));
  let state = 42;
  for (let i = chunks.length - 1; i > 0; i -= 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [chunks[i], chunks[j]] = [chunks[j]!, chunks[i]!];
  }
  return [{ label: 'forecast', event: forecastIngestedEvent(new Date('2026-11-22T00:00:00Z'), 12) }, ...chunks];
}

/**
 * The baseline: one item per join with the list of inputs; each input is a consistent read of
 * the item and a conditional write of the item with the input appended (optimistic locking).
 */
async function baselineCollect(documents: DynamoDBDocumentClient, table: string, event: CometEvent): Promise<void> {
  const data = event.data as { attributes: { cycleId?: string; chunk?: number }; ingested: unknown; name: string };
  const pk = data.attributes.cycleId === undefined ? `REF#${data.name}` : `JOIN#${data.attributes.cycleId}`;
  for (;;) {
    const { Item } = await documents.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }));
    const inputs = (Item?.inputs ?? []) as unknown[];
    const version = (Item?.version ?? 0) as number;
    try {
      await documents.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk,
            version: version + 1,
            inputs: [...inputs, { slot: data.attributes.chunk, input: data.ingested, name: data.name }],
          },
          ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
          ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': version } }),
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Runs the benchmark; starts and stops its own DynamoDB Local. */
export async function benchSchedulerRequests(): Promise<SchedulerRequestsReport> {
  const dynamodb = await startDynamoDb();
  try {
    const { client, documents, meter } = countingClient(dynamodb.endpoint);
    const tables = {
      scheduler: 'bench-scheduler',
      eventStore: 'bench-event-store',
      baseline: 'bench-baseline',
      baselineEvents: 'bench-baseline-events',
    };
    // Both variants record every event in an event store, so only the join bookkeeping differs.
    const appendBaseline = eventStoreAppender(documents, tables.baselineEvents);
    await createTables(client, tables);
    const deps: SchedulerDeps = {
      ruleSet: loadPipelineRules(),
      store: new DynamoDbSchedulerStore(documents, tables.scheduler),
      append: eventStoreAppender(documents, tables.eventStore),
      send: async () => undefined,
      sendTimer: async () => undefined,
      now: () => new Date('2026-11-22T10:12:00Z'),
      minimumWaitSeconds: 60,
    };
    const ours: EventCost[] = [];
    const baseline: EventCost[] = [];
    for (const { label, event } of cycleEvents()) {
      const before = { ...meter };
      await schedule(event, deps);
      ours.push({ label, requests: meter.requests - before.requests, bytes: meter.bytes - before.bytes });
      const beforeBaseline = { ...meter };
      await appendBaseline(event);
      await baselineCollect(documents, tables.baseline, event);
      baseline.push({
        label,
        requests: meter.requests - beforeBaseline.requests,
        bytes: meter.bytes - beforeBaseline.bytes,
      });
    }
    return { ours, baseline, markdown: format(ours, baseline) };
  } finally {
    await dynamodb.stop();
  }
}

function format(ours: readonly EventCost[], baseline: readonly EventCost[]): string {
  // The last chunk completes the join (the forecast came first): it reads the slots once.
  const completing = ours.length - 1;
  const row = (name: string, costs: readonly EventCost[], pick: (c: EventCost) => number): string => {
    const inputs = costs.slice(1, completing);
    const first = inputs.slice(0, 5).map(pick);
    const last = inputs.slice(-5).map(pick);
    return `| ${name} | ${median(first)} | ${median(last)} | ${pick(costs[completing]!)} | ${(costs.reduce((n, c) => n + pick(c), 0) / costs.length).toFixed(1)} |`;
  };
  const oursLast = median(ours.slice(completing - 5, completing).map((c) => c.bytes));
  const baseLast = median(baseline.slice(completing - 5, completing).map((c) => c.bytes));
  return [
    '## DynamoDB requests per scheduler event, 41-input join (plus its forecast)',
    '',
    'Scheduler logic and store on DynamoDB Local; each event also appends to the event store. The',
    'baseline keeps the join as one item with the list of its inputs (consistent read, append,',
    'conditional write); both append every event to an event store. Medians over the first five and the last five chunks before the one that',
    'completes the join. The baseline only collects (it builds no command when the join completes).',
    'Idempotency records (two writes per event, Powertools) and SQS sends are not counted in either.',
    '',
    '| variant | requests, chunks 2-6 | requests, chunks 36-40 | requests, completing chunk | requests per event, mean |',
    '|---|---:|---:|---:|---:|',
    row('cometflow (slot + counter transaction)', ours, (c) => c.requests),
    row('baseline (growing list)', baseline, (c) => c.requests),
    '',
    '| variant | bytes, chunks 2-6 | bytes, chunks 36-40 | bytes, completing chunk | bytes per event, mean |',
    '|---|---:|---:|---:|---:|',
    row('cometflow', ours, (c) => c.bytes),
    row('baseline', baseline, (c) => c.bytes),
    '',
    `Bytes per event near the end of the join: baseline / cometflow = ${(baseLast / oursLast).toFixed(2)}x; the baseline's grow with the join, ours do not.`,
  ].join('\n');
}
