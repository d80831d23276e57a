/** When a failed record comes back: after the holder of its idempotency record can have let go of it, else 2, 4, 8 s. */
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { ChangeMessageVisibilityCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordStage } from './stage-handler.ts';
import { retryDelaySeconds } from './retry.ts';

const sqs = mockClient(SQSClient);

const record = (receiveCount: number): SQSRecord => ({
  messageId: 'm1',
  receiptHandle: 'r1',
  body: '{}',
  md5OfBody: '',
  eventSource: 'aws:sqs',
  awsRegion: 'us-east-1',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest',
  messageAttributes: {},
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: '0',
    SenderId: 's',
    ApproximateFirstReceiveTimestamp: '0',
  },
});

const context = (timeoutMs: number): Context => ({
  functionName: 'ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ingest',
  memoryLimitInMB: '128',
  awsRequestId: 'req',
  logGroupName: 'g',
  logStreamName: 's',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => timeoutMs,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

beforeEach(() => {
  sqs.reset();
  sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'http://127.0.0.1/000000000000/ingest' });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
});

afterEach(() => sqs.reset());

describe('stage handler retries', () => {
  it("brings a record back after the other run's idempotency lock can have expired, not after 2 s", async () => {
    // Prepare: another run holds the event in progress (it failed and could not release it, or still runs).
    const handler = recordStage({
      stage: 'ingest',
      handle: async () => {
        throw new IdempotencyAlreadyInProgressError('in progress');
      },
    });

    // Act: a batch whose every record fails fails as a whole (Powertools' FullBatchFailureError).
    const outcome = await handler({ Records: [record(1)] }, context(300_000)).catch((error: Error) => error);

    // Assess: one receive spent, the next one after the 300 s the lock may last.
    expect((outcome as Error).name).toBe('FullBatchFailureError');
    const [call] = sqs.commandCalls(ChangeMessageVisibilityCommand);
    expect(call!.args[0].input.VisibilityTimeout).toBeGreaterThanOrEqual(300);
  });

  it('backs off 2, 4, 8 s for other retryable errors', async () => {
    // Prepare
    const handler = recordStage({
      stage: 'ingest',
      handle: async () => {
        throw new Error('throttled');
      },
    });

    // Act
    await handler({ Records: [record(2)] }, context(300_000)).catch(() => undefined);

    // Assess
    const [call] = sqs.commandCalls(ChangeMessageVisibilityCommand);
    expect(call!.args[0].input.VisibilityTimeout).toBe(4);
  });
});

describe('retryDelaySeconds', () => {
  it("never exceeds SQS's 12-hour visibility limit", () => {
    expect(retryDelaySeconds(new IdempotencyAlreadyInProgressError('x'), 1, 100_000)).toBe(12 * 3600);
    expect(retryDelaySeconds(new Error('x'), 3, 100_000)).toBe(8);
  });
});
