/**
 * The stage handler through its real middy chain (Powertools logger and metrics middlewares,
 * batch processing) with a fake Lambda context and SQS mocked at the client: which records are
 * reported failed, and when each failed one comes back.
 */
import { ChangeMessageVisibilityCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DownstreamThrottledError, InvalidInputError } from '../errors.ts';
import { recordStage } from './stage-handler.ts';

const sqs = mockClient(SQSClient);
const documents = mockClient(DynamoDBDocumentClient);
const QueueArn = 'arn:aws:sqs:us-east-1:123456789012:cometflow-intake';
const QueueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/cometflow-intake';

const context = {
  functionName: 'cometflow-intake',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:cometflow-intake',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/cometflow-intake',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

const recordOf = (messageId: string, body: string, receiveCount = 1): SQSRecord => ({
  messageId,
  receiptHandle: `receipt-${messageId}`,
  body,
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: QueueArn,
  awsRegion: 'us-east-1',
  messageAttributes: {},
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: '0',
    SenderId: 'sender',
    ApproximateFirstReceiveTimestamp: '0',
  },
});

// One handler for every test: like a warm execution environment, it keeps the queue URL it looked up.
const seen: string[] = [];
const handler = recordStage({
  stage: 'intake',
  handle: async (record) => {
    seen.push(record.messageId);
    if (record.body === 'bad') throw new InvalidInputError('body is bad; expected good');
    if (record.body === 'throttled') throw new DownstreamThrottledError('SQS throttled the publish');
    if (record.body === 'broken') throw new Error('socket hang up');
  },
});

describe('recordStage through its middy chain', () => {
  beforeEach(() => {
    sqs.reset();
    seen.length = 0;
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
  });

  afterAll(() => {
    sqs.restore();
    documents.restore();
    delete process.env.COMETFLOW_FAILURES_TABLE;
    delete process.env.COMETFLOW_MAX_RECEIVE_COUNT;
  });

  it('writes the failure record of a message on its last receive before the DLQ, and on no earlier one', async () => {
    // Prepare
    documents.reset();
    documents.on(PutCommand).resolves({});
    process.env.COMETFLOW_FAILURES_TABLE = 'failures';
    process.env.COMETFLOW_MAX_RECEIVE_COUNT = '3';
    const event: SQSEvent = {
      Records: [recordOf('m1', 'bad', 2), recordOf('m2', 'bad', 3), recordOf('m3', 'good', 3)],
    };

    // Act
    await handler(event, context).finally(() => delete process.env.COMETFLOW_FAILURES_TABLE);

    // Assess
    const items = documents.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      TableName: 'failures',
      Item: {
        messageId: 'm2',
        stage: 'intake',
        queue: 'cometflow-intake',
        receiveCount: 3,
        maxReceiveCount: 3,
        code: 'InvalidInputError',
        reason: 'body is bad; expected good',
        retryable: false,
      },
    });
  });

  it('still reports the failed record when its failure record cannot be written', async () => {
    // Prepare
    documents.reset();
    documents.on(PutCommand).rejects(new Error('table gone'));
    process.env.COMETFLOW_FAILURES_TABLE = 'failures';

    // Act
    const response = await handler({ Records: [recordOf('m1', 'bad', 3), recordOf('m2', 'good')] }, context).finally(
      () => delete process.env.COMETFLOW_FAILURES_TABLE,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(documents.commandCalls(PutCommand)).toHaveLength(1);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(1);
  });

  it('reports only the failed records of a batch and runs every record once', async () => {
    // Prepare
    const event: SQSEvent = {
      Records: [recordOf('m1', 'good'), recordOf('m2', 'bad'), recordOf('m3', 'good'), recordOf('m4', 'broken')],
    };

    // Act
    const response = await handler(event, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm4' }] });
    expect(seen).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('makes a terminal failure visible again at once and backs a retryable one off by its receive count', async () => {
    // Prepare
    const event: SQSEvent = {
      Records: [
        recordOf('m1', 'bad', 2),
        recordOf('m2', 'throttled', 3),
        recordOf('m3', 'broken', 9),
        recordOf('m4', 'good'),
      ],
    };

    // Act
    await handler(event, context);

    // Assess
    const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input);
    expect(visibility).toEqual([
      { QueueUrl, ReceiptHandle: 'receipt-m1', VisibilityTimeout: 0 },
      { QueueUrl, ReceiptHandle: 'receipt-m2', VisibilityTimeout: 8 },
      { QueueUrl, ReceiptHandle: 'receipt-m3', VisibilityTimeout: 300 },
    ]);
  });

  it("finds the queue URL from the record's ARN, once per queue", async () => {
    // Act
    await handler({ Records: [recordOf('m1', 'bad'), recordOf('m2', 'bad'), recordOf('m3', 'good')] }, context);

    // Assess: looked up by the first test at the latest, and not again since.
    expect(sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(0);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(2);
  });

  it('still reports a failed record when its visibility cannot be changed: it then waits its timeout, not lost', async () => {
    // Prepare
    sqs.on(ChangeMessageVisibilityCommand).rejects(new Error('AccessDenied'));

    // Act
    const response = await handler({ Records: [recordOf('m1', 'broken'), recordOf('m2', 'good')] }, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
  });

  it('fails the whole invocation when every record failed, each one still scheduled for its retry', async () => {
    // Act
    const invocation = handler({ Records: [recordOf('m1', 'bad'), recordOf('m2', 'broken', 2)] }, context);

    // Assess: Powertools throws so that Lambda's own retry and DLQ take the batch.
    await expect(invocation).rejects.toThrow('All records failed processing');
    expect(
      sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input.VisibilityTimeout),
    ).toEqual([0, 4]);
  });

  it('reports nothing when every record succeeds', async () => {
    // Act
    const response = await handler({ Records: [recordOf('m1', 'good'), recordOf('m2', 'good')] }, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
  });
});
