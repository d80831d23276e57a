/**
 * Publishing events and sending commands: both are CloudEvents sent to an SQS queue, with the
 * type and correlation id copied into message attributes so consumers and operators can filter
 * without parsing the body. An event over the claim-check bound has its data moved to S3 first;
 * a message SQS still refuses for its size is a terminal error, never a retry.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';
import type { CometEvent } from '#events/registry.ts';
import { busLaneOf, Env, Priorities, SqsMaxDelaySeconds } from '../config.ts';
import { Setting } from '../environment.ts';
import {
  checkIn,
  ClaimCheckThresholdBytes,
  eventBytes,
  MessageTooLargeError,
  SqsMaxMessageBytes,
  type ClaimStore,
} from '../envelope/claim-check.ts';
import { translateThrottling } from '../errors.ts';

/**
 * Sends one event to a queue, optionally delayed (at most `SqsMaxDelaySeconds`); to a FIFO queue
 * with its message group and deduplication id (FIFO queues refuse a per-message delay).
 */
export type Send = (queueUrl: string, event: CometEvent, options?: SendOptions) => Promise<void>;

/** Options of one send. */
export interface SendOptions {
  readonly delaySeconds?: number;
  /** FIFO queues only: the message group. */
  readonly groupId?: string;
  /** FIFO queues only: the deduplication id. */
  readonly deduplicationId?: string;
}

/** Options of `sqsSender`. */
export interface SenderOptions {
  /** Where data over `thresholdBytes` goes; without it such an event is refused. */
  readonly claims?: ClaimStore;
  /** @default ClaimCheckThresholdBytes */
  readonly thresholdBytes?: number;
}

/** SQS's answer to a message over its size limit (query and JSON protocols). */
const isSizeRefusal = (error: unknown): boolean =>
  error instanceof Error &&
  /InvalidParameterValue|InvalidMessageContents|BatchRequestTooLong|MessageTooLong/.test(error.name) &&
  /shorter than|too long|size|exceed/i.test(error.message);

/**
 * Builds a `Send` over an SQS client.
 *
 * @example
 * const send = sqsSender(sqsClient(), { claims: s3ClaimStore(s3Client(), claimsBucket) });
 * await send(busUrl, event);
 */
export function sqsSender(sqs: SQSClient, senderOptions: SenderOptions = {}): Send {
  const threshold = senderOptions.thresholdBytes ?? ClaimCheckThresholdBytes;
  return async (queueUrl, event, options = {}) => {
    const message = await checkIn(event, senderOptions.claims, threshold);
    const body = JSON.stringify(message);
    // Checked before sending too: a reference event with a huge subject fails with its reason.
    if (eventBytes(message) > SqsMaxMessageBytes - 1024) {
      throw new MessageTooLargeError(
        `Event ${event.type} ${event.id} is ${eventBytes(message)} bytes as sent; ` +
          `SQS takes at most ${SqsMaxMessageBytes} bytes with attributes`,
      );
    }
    const delaySeconds =
      options.delaySeconds === undefined
        ? undefined
        : Math.min(SqsMaxDelaySeconds, Math.max(0, Math.round(options.delaySeconds)));
    const what = `Sending ${event.type} ${event.id} (${body.length} bytes) to ${queueUrl}`;
    await translateSize(what, () =>
      translateThrottling(what, () =>
        sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: body,
            DelaySeconds: delaySeconds,
            MessageGroupId: options.groupId,
            MessageDeduplicationId: options.deduplicationId,
            MessageAttributes: {
              type: { DataType: 'String', StringValue: event.type },
              correlationid: { DataType: 'String', StringValue: event.correlationid },
            },
          }),
        ),
      ),
    );
  };
}

async function translateSize<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isSizeRefusal(error))
      throw new MessageTooLargeError(`${what}: refused for its size: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}

/** The schema of `COMETFLOW_EVENT_BUS_LANES`. */
export const BusLanesSchema = z.record(
  z.string().min(1),
  z.object({ priority: z.enum(Priorities), queueUrl: z.string().min(1) }),
);

/** The variables every publisher reads: the event bus's lanes (and its real-time queue, for timers). */
export const EventBusEnvironment = {
  [Env.eventBusQueueUrl]: Setting.url(),
  [Env.eventBusLanes]: Setting.json(BusLanesSchema, '{ <lane>: { priority, queueUrl } }'),
};

/**
 * Publishes each event to the event bus lane of its priority (`busLaneOf`): events of bulk work
 * (a replay, a backlog, a forecast run) wait on the bulk lane, never in front of real-time ones.
 *
 * @example
 * const publish = busPublisher(send, env[Env.eventBusLanes]);
 * await publish(event);
 */
export function busPublisher(
  send: Send,
  lanes: z.infer<typeof BusLanesSchema>,
): (event: CometEvent, options?: SendOptions) => Promise<void> {
  return (event, options) => send(busLaneOf(lanes, event.priority), event, options);
}
