/**
 * `dlq`: the depth of every dead-letter queue of the stack (the `*Dlq` roles of the description),
 * and a redrive that moves one DLQ's messages back to its source queue: ReceiveMessage from the
 * DLQ, SendMessage to the source with the same body and message attributes, then DeleteMessage.
 * Deleted only after the send succeeded, so a failure leaves the message in the DLQ (at worst
 * sent twice, which the stages' idempotency per event id absorbs). StartMessageMoveTask is not
 * used: the local SQS emulator may not implement it.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { UsageError } from './errors.ts';
import { table } from './event-store.ts';

/** A dead-letter queue and the queue whose failures it holds. */
export interface DeadLetterPair {
  readonly role: string;
  readonly url: string;
  readonly sourceRole: string;
  /** Undefined when the stack has no queue of the source role. */
  readonly sourceUrl?: string;
}

const SUFFIX = 'Dlq';

/** The `*Dlq` queues of a description, each with its source (`eventBusDlq` -> `eventBus`), by role. */
export function deadLetterQueues(queues: Readonly<Record<string, string>>): DeadLetterPair[] {
  return Object.entries(queues)
    .filter(([role]) => role.endsWith(SUFFIX) && role.length > SUFFIX.length)
    .map(([role, url]) => {
      const sourceRole = role.slice(0, -SUFFIX.length);
      const sourceUrl = queues[sourceRole];
      return { role, url, sourceRole, ...(sourceUrl === undefined ? {} : { sourceUrl }) };
    })
    .sort((a, b) => a.role.localeCompare(b.role));
}

/** The pair `--queue` names: a DLQ role (`eventBusDlq`) or its source's (`eventBus`). */
export function findDeadLetterQueue(queues: Readonly<Record<string, string>>, name: string): DeadLetterPair {
  const pairs = deadLetterQueues(queues);
  const found = pairs.find((pair) => pair.role === name || pair.sourceRole === name);
  if (found === undefined)
    throw new UsageError(
      `--queue "${name}" is not a dead-letter queue of this stack; valid: ${pairs.map((p) => p.role).join(', ')}`,
    );
  return found;
}

/**
 * The attributes to send again: SendMessage takes `StringValue` or `BinaryValue`; the list
 * fields ReceiveMessage returns empty are not accepted back.
 */
export function forwardAttributes(
  attributes: Readonly<Record<string, MessageAttributeValue>> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  if (attributes === undefined || Object.keys(attributes).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
      },
    ]),
  );
}

/** Message counts of a queue. */
export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** The approximate message counts of a queue. */
export async function queueDepth(sqs: SQSClient, url: string): Promise<QueueDepth> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** Prints the depth of every DLQ (or of one). */
export async function showDeadLetterQueues(
  sqs: SQSClient,
  pairs: readonly DeadLetterPair[],
  print: (line: string) => void,
): Promise<void> {
  const rows = [['queue', 'source', 'messages', 'in flight', 'delayed']];
  for (const pair of pairs) {
    const depth = await queueDepth(sqs, pair.url);
    rows.push([
      pair.role,
      pair.sourceUrl === undefined ? `${pair.sourceRole} (not in the stack)` : pair.sourceRole,
      String(depth.visible),
      String(depth.inFlight),
      String(depth.delayed),
    ]);
  }
  for (const line of table(rows)) print(line);
}

/**
 * Moves the messages of a DLQ back to its source queue. It moves at most the number of messages
 * the DLQ held when it started: a message that fails again and comes back during the redrive
 * is left for the next one instead of circling.
 */
export async function redrive(sqs: SQSClient, pair: DeadLetterPair, print: (line: string) => void): Promise<number> {
  if (pair.sourceUrl === undefined)
    throw new UsageError(`${pair.role} has no source queue ${pair.sourceRole} in this stack; nothing to redrive to`);
  const { visible } = await queueDepth(sqs, pair.url);
  let moved = 0;
  while (moved < visible) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: pair.url,
        MaxNumberOfMessages: Math.min(10, visible - moved),
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 60,
      }),
    );
    if (messages.length === 0) break;
    for (const message of messages) {
      const attributes = forwardAttributes(message.MessageAttributes);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: pair.sourceUrl,
          MessageBody: message.Body ?? '',
          ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: pair.url, ReceiptHandle: message.ReceiptHandle }));
      moved += 1;
    }
  }
  print(`moved ${moved} message(s) from ${pair.role} back to ${pair.sourceRole}`);
  const left = await queueDepth(sqs, pair.url);
  if (left.visible + left.inFlight > 0)
    print(
      `${pair.role} still holds ${left.visible} visible and ${left.inFlight} in-flight message(s); run the redrive again to move them`,
    );
  return moved;
}
