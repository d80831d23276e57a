import { describe, expect, it } from 'vitest';
import { deadLetterQueues, findDeadLetterQueue, forwardAttributes } from './dlq.ts';

const queues = {
  eventBus: 'http://sqs/bus',
  eventBusDlq: 'http://sqs/bus-dlq',
  processBulk: 'http://sqs/bulk',
  processBulkDlq: 'http://sqs/bulk-dlq',
  orphanDlq: 'http://sqs/orphan-dlq',
  intake: 'http://sqs/intake',
};

describe('deadLetterQueues', () => {
  it('pairs every *Dlq role with its source queue', () => {
    expect(deadLetterQueues(queues)).toEqual([
      { role: 'eventBusDlq', url: 'http://sqs/bus-dlq', sourceRole: 'eventBus', sourceUrl: 'http://sqs/bus' },
      { role: 'orphanDlq', url: 'http://sqs/orphan-dlq', sourceRole: 'orphan' },
      { role: 'processBulkDlq', url: 'http://sqs/bulk-dlq', sourceRole: 'processBulk', sourceUrl: 'http://sqs/bulk' },
    ]);
  });
});

describe('findDeadLetterQueue', () => {
  it("finds a DLQ by its role or its source's, and lists the valid ones otherwise", () => {
    expect(findDeadLetterQueue(queues, 'eventBusDlq').sourceRole).toBe('eventBus');
    expect(findDeadLetterQueue(queues, 'processBulk').role).toBe('processBulkDlq');
    expect(() => findDeadLetterQueue(queues, 'intake')).toThrow(
      '--queue "intake" is not a dead-letter queue of this stack; valid: eventBusDlq, orphanDlq, processBulkDlq',
    );
  });
});

describe('forwardAttributes', () => {
  it('keeps type and value, dropping the list fields SendMessage refuses', () => {
    expect(
      forwardAttributes({
        type: {
          DataType: 'String',
          StringValue: 'cometflow.file.ingested',
          StringListValues: [],
          BinaryListValues: [],
        },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1]) },
      }),
    ).toEqual({
      type: { DataType: 'String', StringValue: 'cometflow.file.ingested' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1]) },
    });
    expect(forwardAttributes({})).toBeUndefined();
    expect(forwardAttributes(undefined)).toBeUndefined();
  });
});
