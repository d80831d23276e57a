import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { ExecutionEnvironment } from './lambda-host.ts';
import { SqsEventSource, toLambdaRecord, type SqsEventSourceOptions } from './sqs-event-source.ts';

const QUEUE_URL = 'http://127.0.0.1:4566/000000000000/ingest';
const QUEUE_ARN = 'arn:aws:sqs:eu-central-1:000000000000:ingest';

const message = (n: number, overrides: Partial<Message> = {}): Message => ({
  MessageId: `m${n}`,
  ReceiptHandle: `receipt-${n}`,
  Body: `{"n":${n}}`,
  MD5OfBody: `md5-${n}`,
  Attributes: { ApproximateReceiveCount: '1' },
  ...overrides,
});

type CommandName = 'ReceiveMessageCommand' | 'DeleteMessageBatchCommand';
interface SentCommand {
  name: CommandName;
  input: Record<string, unknown>;
}

/**
 * A fake SQS client: the first ReceiveMessage returns `batch`, later ones return nothing after a
 * short wait (as a long poll would); every command is recorded.
 */
function fakeSqs(batch: Message[]) {
  const commands: SentCommand[] = [];
  let received = false;
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      commands.push({ name: command.constructor.name as CommandName, input: command.input });
      if (command.constructor.name !== 'ReceiveMessageCommand') return {};
      if (received) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { Messages: [] };
      }
      received = true;
      return { Messages: batch };
    },
  } as unknown as SQSClient;
  return { client, commands };
}

/** Runs an event source until it has delivered one batch to an environment answering with `invoke`. */
async function deliverOneBatch(
  batch: Message[],
  invoke: (event: unknown) => Promise<unknown>,
  options: Partial<SqsEventSourceOptions> = {},
) {
  const sqs = fakeSqs(batch);
  const events: unknown[] = [];
  const environment = {
    invoke: async (event: unknown) => {
      events.push(event);
      return invoke(event);
    },
  } as unknown as ExecutionEnvironment;
  let report: Parameters<NonNullable<SqsEventSourceOptions['onInvocation']>>[0] | undefined;
  let delivered!: () => void;
  const done = new Promise<void>((resolve) => {
    delivered = resolve;
  });
  const source = new SqsEventSource({
    functionName: 'ingest',
    queueUrl: QUEUE_URL,
    queueArn: QUEUE_ARN,
    region: 'eu-central-1',
    batchSize: 10,
    reportBatchItemFailures: true,
    environments: [environment],
    sqs: sqs.client,
    onInvocation: (r) => {
      report = r;
      delivered();
    },
    ...options,
  });
  source.start();
  await done;
  await source.stop();
  const deletes = sqs.commands.filter((c) => c.name === 'DeleteMessageBatchCommand');
  const deleted = deletes.flatMap((c) => (c.input.Entries as { ReceiptHandle: string }[]).map((e) => e.ReceiptHandle));
  return { commands: sqs.commands, deletes, deleted, events, report: report! };
}

describe('toLambdaRecord', () => {
  it('shapes a received message like the record Lambda passes to an SQS handler', () => {
    // Prepare
    const received = message(1, {
      MessageAttributes: {
        type: { DataType: 'String', StringValue: 'cometflow.ingest.requested' },
        blob: { DataType: 'Binary', BinaryValue: Uint8Array.from([1, 2, 3]) },
      },
    });

    // Act
    const record = toLambdaRecord(received, QUEUE_ARN, 'eu-central-1');

    // Assess
    expect(record).toEqual({
      messageId: 'm1',
      receiptHandle: 'receipt-1',
      body: '{"n":1}',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {
        type: {
          stringValue: 'cometflow.ingest.requested',
          binaryValue: undefined,
          stringListValues: [],
          binaryListValues: [],
          dataType: 'String',
        },
        blob: {
          stringValue: undefined,
          binaryValue: 'AQID',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'Binary',
        },
      },
      md5OfBody: 'md5-1',
      eventSource: 'aws:sqs',
      eventSourceARN: QUEUE_ARN,
      awsRegion: 'eu-central-1',
    });
  });

  it('gives a message without body, attributes or message attributes empty ones', () => {
    // Act
    const record = toLambdaRecord({ MessageId: 'm', ReceiptHandle: 'r' }, QUEUE_ARN, 'eu-central-1');

    // Assess
    expect(record).toMatchObject({ body: '', attributes: {}, messageAttributes: {} });
  });
});

describe('SqsEventSource', () => {
  it('invokes the function with the batch and asks for at most ten messages', async () => {
    // Act
    const result = await deliverOneBatch([message(1), message(2)], async () => ({ batchItemFailures: [] }), {
      batchSize: 25,
    });

    // Assess
    expect(result.events).toEqual([
      {
        Records: [
          toLambdaRecord(message(1), QUEUE_ARN, 'eu-central-1'),
          toLambdaRecord(message(2), QUEUE_ARN, 'eu-central-1'),
        ],
      },
    ]);
    expect(result.commands[0]).toMatchObject({
      name: 'ReceiveMessageCommand',
      input: { QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10 },
    });
    expect(result.deleted).toEqual(['receipt-1', 'receipt-2']);
    expect(result.report).toMatchObject({ functionName: 'ingest', records: 2, failed: 0 });
    expect(result.report.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('deletes only the messages the function did not report as failed', async () => {
    // Act
    const result = await deliverOneBatch([message(1), message(2), message(3)], async () => ({
      batchItemFailures: [{ itemIdentifier: 'm2' }],
    }));

    // Assess
    expect(result.deleted).toEqual(['receipt-1', 'receipt-3']);
    expect(result.deletes[0]!.input.QueueUrl).toBe(QUEUE_URL);
    expect(result.report).toMatchObject({ functionName: 'ingest', records: 3, failed: 1 });
  });

  it('deletes nothing when every message failed', async () => {
    // Act
    const result = await deliverOneBatch([message(1), message(2)], async () => ({
      batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }],
    }));

    // Assess
    expect(result.deletes).toEqual([]);
    expect(result.report.failed).toBe(2);
  });

  it.each([
    ['an unknown', [{ itemIdentifier: 'm1' }, { itemIdentifier: 'not-in-this-batch' }]],
    ['a missing', [{}]],
  ])('fails the whole batch when the function reports %s item identifier', async (_, batchItemFailures) => {
    // Act
    const result = await deliverOneBatch([message(1), message(2), message(3)], async () => ({ batchItemFailures }));

    // Assess
    expect(result.deletes).toEqual([]);
    expect(result.report.failed).toBe(3);
  });

  it('deletes nothing when the invocation throws, and reports why', async () => {
    // Act
    const result = await deliverOneBatch([message(1), message(2)], async () => {
      throw new Error('Task timed out after 30.00 seconds');
    });

    // Assess
    expect(result.deletes).toEqual([]);
    expect(result.report).toMatchObject({
      functionName: 'ingest',
      records: 2,
      failed: 2,
      error: 'Task timed out after 30.00 seconds',
    });
  });

  it('deletes every message when the function returns nothing', async () => {
    // Act
    const result = await deliverOneBatch([message(1), message(2)], async () => null);

    // Assess
    expect(result.deleted).toEqual(['receipt-1', 'receipt-2']);
  });

  it('ignores reported failures when the mapping does not report batch item failures', async () => {
    // Act
    const result = await deliverOneBatch(
      [message(1), message(2)],
      async () => ({ batchItemFailures: [{ itemIdentifier: 'm1' }] }),
      { reportBatchItemFailures: false },
    );

    // Assess
    expect(result.deleted).toEqual(['receipt-1', 'receipt-2']);
  });
});
