/**
 * Publishing events and sending commands: both are CloudEvents sent to an SQS queue, with the
 * type and correlation id copied into message attributes so consumers and operators can filter
 * without parsing the body.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CometEvent } from '#events/registry.ts';
import { SqsMaxDelaySeconds } from '../config.ts';
import { DownstreamThrottledError } from '../errors.ts';

/** Sends one event to a queue, optionally delayed (at most `SqsMaxDelaySeconds`). */
export type Send = (queueUrl: string, event: CometEvent, options?: { delaySeconds?: number }) => Promise<void>;

const throttlingNames = new Set(['ThrottlingException', 'RequestThrottled', 'ServiceUnavailable', 'TimeoutError', 'KMSThrottlingException']);

/**
 * Builds a `Send` over an SQS client.
 *
 * @example
 * const send = sqsSender(sqsClient());
 * await send(busUrl, event);
 */
export function sqsSender(sqs: SQSClient): Send {
  return async (queueUrl, event, options = {}) => {
    try {
      await sqs.send(new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(event),
        DelaySeconds: options.delaySeconds === undefined ? undefined : Math.min(SqsMaxDelaySeconds, Math.max(0, Math.round(options.delaySeconds))),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: event.type },
          correlationid: { DataType: 'String', StringValue: event.correlationid },
        },
      }));
    } catch (error) {
      if (error instanceof Error && throttlingNames.has(error.name)) {
        throw new DownstreamThrottledError(`SQS throttled SendMessage of ${event.type} ${event.id} to ${queueUrl}`, { cause: error });
      }
      throw error;
    }
  };
}
