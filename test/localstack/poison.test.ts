/**
 * A poison message: it fails on every receive, ends in its queue's dead-letter queue after
 * maxReceiveCount receives, and does not hold back the messages it was batched with.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { EventTypes } from '../../events/registry.ts';
import { wrap } from '../../shared/envelope/envelope.ts';
import { clients, eventsOf, stack, waitFor } from './support/stack.ts';

const { sqs, documents } = clients();
const { queues, tables } = stack();

describe('poison messages', () => {
  it('moves a poison message to the DLQ after maxReceiveCount without blocking its batch', async () => {
    // Prepare: one message that is not an event, four valid events in the same batch.
    const correlationId = `poison-test-${Date.now()}`;
    const valid = Array.from({ length: 4 }, (_, i) =>
      wrap({
        type: EventTypes.fileRejected,
        source: 'test/poison',
        correlationId,
        data: {
          file: { bucket: 'inbox-bucket', key: `nasa/file-${i}` },
          quarantine: { bucket: 'quarantine-bucket', key: `nasa/file-${i}` },
          code: 'unknown-provider',
          reason: 'test',
        },
      }),
    );
    const poison = `{"not":"a cloud event","marker":"${correlationId}"}`;
    const { RedrivePolicy } =
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues.eventBus, AttributeNames: ['RedrivePolicy'] })))
        .Attributes ?? {};
    const maxReceiveCount = (JSON.parse(RedrivePolicy!) as { maxReceiveCount: number }).maxReceiveCount;

    // Act
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.eventBus,
        Entries: [
          { Id: 'poison', MessageBody: poison },
          ...valid.map((event, i) => ({ Id: `valid${i}`, MessageBody: JSON.stringify(event) })),
        ],
      }),
    );

    // Assess: the valid events were stored while the poison kept failing...
    const stored = await waitFor('the valid events in the event store', async () => {
      const events = await eventsOf(documents, tables.eventStore!, correlationId);
      return events.length === valid.length ? events : undefined;
    });
    expect(stored.map((e) => e.id).sort()).toEqual(valid.map((e) => e.id).sort());
    // ...and the poison is in the DLQ, received maxReceiveCount times before.
    const deadLetter = await waitFor(
      'the poison message in the DLQ',
      async () => {
        const response = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queues.eventBusDlq,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        );
        return response.Messages?.find((m) => m.Body === poison);
      },
      120_000,
    );
    expect(Number(deadLetter.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(1);
    expect(maxReceiveCount).toBeGreaterThan(1);
  });
});
