/**
 * Publishing events and sending commands: both are CloudEvents sent to an SQS queue, with the
 * type and correlation id copied into message attributes so consumers and operators can filter
 * without parsing the body.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CometEvent } from '#events/registry.ts';
import { SqsMaxDelaySeconds } from '../config.ts';
import { translateThrottling } from '../errors.ts';

/** Sends one event to a queue, optionally delayed (at most `SqsMaxDelaySeconds`). */
export type Send = (queueUrl: string, event: CometEvent, options?: { delaySeconds?: number }) => Promise<void>;


/**
 * Builds a `Send` over an SQS client.
 *
 * @example
 * const send = sqsSender(sqsClient());
 * await send(busUrl, event);
 */
export function sqsSender(sqs: SQSClient): Send {
  return async (queueUrl, event, options = {}) => {
    await translateThrottling(`Sending ${event.type} ${event.id} to ${queueUrl}`, () => sqs.send(new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(event),
        DelaySeconds: options.delaySeconds === undefined ? undefined : Math.min(SqsMaxDelaySeconds, Math.max(0, Math.round(options.delaySeconds))),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: event.type },
          correlationid: { DataType: 'String', StringValue: event.correlationid },
        },
      })));
  };
}
