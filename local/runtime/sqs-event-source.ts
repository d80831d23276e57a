/**
 * Delivers SQS messages to a function as Lambda's SQS event source mapping does: long-polls
 * the queue, invokes the function with up to `batchSize` records, deletes the records the
 * function did not report in `batchItemFailures`, and leaves failed records (or the whole batch
 * when the invocation fails) to reappear after their visibility timeout, until the queue's
 * redrive policy moves them to the dead-letter queue after maxReceiveCount receives.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { RedeliveryChaos } from '../faults/chaos.ts';
import type { ExecutionEnvironment } from './lambda-host.ts';

export interface SqsEventSourceOptions {
  readonly functionName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  /** One poller per environment: the mapping's concurrency. */
  readonly environments: readonly ExecutionEnvironment[];
  readonly sqs: SQSClient;
  /** Called after every invocation, for progress and diagnostics. */
  readonly onInvocation?: (report: InvocationReport) => void;
  /** Early redeliveries to inject (the endurance run's); none by default. */
  readonly chaos?: RedeliveryChaos;
}

/** What the event source tells about each invocation. */
export interface InvocationReport {
  readonly functionName: string;
  readonly records: number;
  readonly failed: number;
  readonly error?: string;
  /** Wall time of the invocation, as Lambda bills it (rounded up to the ms). */
  readonly durationMs?: number;
  /** When the invocation started (epoch ms). */
  readonly startedAt?: number;
  /** The records: the CloudEvent id of each body (when it is one) and when SQS received it. */
  readonly messages?: readonly { readonly eventId?: string; readonly sentAt?: number }[];
}

/** Turns a received message into the record Lambda passes to the handler. */
export function toLambdaRecord(message: Message, queueArn: string, region: string): Record<string, unknown> {
  const messageAttributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      {
        stringValue: value.StringValue,
        binaryValue: value.BinaryValue === undefined ? undefined : Buffer.from(value.BinaryValue).toString('base64'),
        stringListValues: [],
        binaryListValues: [],
        dataType: value.DataType,
      },
    ]),
  );
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? '',
    attributes: message.Attributes ?? {},
    messageAttributes,
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export class SqsEventSource {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly options: SqsEventSourceOptions;

  public constructor(options: SqsEventSourceOptions) {
    this.options = options;
  }

  public start(): void {
    this.running = true;
    this.loops = this.options.environments.map((environment) => this.poll(environment));
  }

  /** Stops polling and waits for in-flight batches to finish. */
  public async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async poll(environment: ExecutionEnvironment): Promise<void> {
    const { sqs, queueUrl, batchSize } = this.options;
    while (this.running) {
      let messages: Message[];
      try {
        const response = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, batchSize),
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = response.Messages ?? [];
      } catch {
        if (!this.running) return;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (messages.length > 0) await this.deliver(environment, messages);
    }
  }

  private async deliver(environment: ExecutionEnvironment, messages: Message[]): Promise<void> {
    const { functionName, queueArn, region, sqs, queueUrl } = this.options;
    const event = { Records: messages.map((m) => toLambdaRecord(m, queueArn, region)) };
    let failedIds: Set<string>;
    let error: string | undefined;
    const first = messages[0]!;
    const redelivery =
      this.options.chaos?.redeliverEarly(functionName) === true ? this.makeVisibleSoon(first, functionName) : undefined;
    const started = performance.now();
    const startedAt = Date.now();
    try {
      const result = (await environment.invoke(event)) as { batchItemFailures?: { itemIdentifier?: string }[] } | null;
      failedIds = this.failuresOf(result, messages);
    } catch (invocationError) {
      // A failed invocation fails the whole batch: nothing is deleted.
      failedIds = new Set(messages.map((m) => m.MessageId!));
      error = (invocationError as Error).message;
    }
    const durationMs = Math.ceil(performance.now() - started);
    await redelivery;
    const done = messages.filter((m) => !failedIds.has(m.MessageId!));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    this.options.onInvocation?.({
      functionName,
      records: messages.length,
      failed: failedIds.size,
      durationMs,
      startedAt,
      messages: messages.map((m) => ({ ...eventIdOf(m.Body), sentAt: Number(m.Attributes?.SentTimestamp) })),
      ...(error === undefined ? {} : { error }),
    });
  }

  /**
   * Makes a message visible again while its invocation runs, as a visibility timeout shorter than
   * the processing would: another poller receives it and the two deliveries run concurrently.
   */
  private async makeVisibleSoon(message: Message, functionName: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 100));
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: message.ReceiptHandle!,
          VisibilityTimeout: 0,
        }),
      );
      this.options.chaos?.redelivered(functionName);
    } catch {
      // Already deleted by a quick invocation: nothing was redelivered, nothing is counted.
    }
  }

  /** The records to keep; per Lambda, an unknown or empty identifier fails the whole batch. */
  private failuresOf(
    result: { batchItemFailures?: { itemIdentifier?: string }[] } | null,
    messages: Message[],
  ): Set<string> {
    if (!this.options.reportBatchItemFailures) return new Set();
    const ids = new Set(messages.map((m) => m.MessageId!));
    const failures = result?.batchItemFailures ?? [];
    const failed = new Set<string>();
    for (const failure of failures) {
      if (failure.itemIdentifier === undefined || !ids.has(failure.itemIdentifier)) return ids;
      failed.add(failure.itemIdentifier);
    }
    return failed;
  }
}

/** The CloudEvent id of a message body, when it is one. */
function eventIdOf(body: string | undefined): { eventId?: string } {
  try {
    const id = (JSON.parse(body ?? '') as { id?: unknown }).id;
    return typeof id === 'string' ? { eventId: id } : {};
  } catch {
    return {};
  }
}
