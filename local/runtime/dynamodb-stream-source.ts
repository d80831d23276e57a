/**
 * Delivers a DynamoDB stream to a function as Lambda's stream event source mapping does: reads
 * every shard of the table's stream (DynamoDB Local serves Streams on its endpoint), in order
 * per shard, invokes the function with up to `batchSize` records in Lambda's record shape, and
 * on a failed invocation retries the same batch (halving it when `bisectOnError`) until
 * `maximumRetryAttempts`, then sends a failure record to the on-failure queue and moves on.
 * One shard is processed by one invocation at a time, as Lambda does with a parallelization
 * factor of 1.
 */
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type _Record,
  type DynamoDBStreamsClient,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ExecutionEnvironment } from './lambda-host.ts';

/** Options of a `DynamoDbStreamSource`: the mapping's settings from the template. */
export interface DynamoDbStreamSourceOptions {
  readonly functionName: string;
  readonly streamArn: string;
  readonly region: string;
  readonly batchSize: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** Retries of a failed batch; -1 retries until the records expire (forever, locally). */
  readonly maximumRetryAttempts: number;
  readonly bisectOnError: boolean;
  /** Queue URL of the mapping's on-failure destination. @default - none: the batch is dropped */
  readonly onFailureQueueUrl?: string;
  readonly environment: ExecutionEnvironment;
  readonly streams: DynamoDBStreamsClient;
  readonly sqs: SQSClient;
  /** Pause between polls of a shard with nothing new, in ms. @default 250 */
  readonly pollIntervalMs?: number;
  readonly onInvocation?: (report: { functionName: string; records: number; failed: number; error?: string }) => void;
  /** A failed read of the stream (it is tried again after the poll interval). */
  readonly onReadError?: (error: Error) => void;
}

/** A stream record of the SDK as Lambda passes it to a handler. */
export function toLambdaStreamRecord(record: _Record, streamArn: string, region: string): Record<string, unknown> {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...record.dynamodb,
      // Lambda passes epoch seconds; the SDK parses them into a Date.
      ...(created === undefined ? {} : { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) }),
    },
    eventSourceARN: streamArn,
  };
}

/** Reads a table's stream and invokes a function with its records. */
export class DynamoDbStreamSource {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly options: DynamoDbStreamSourceOptions;
  /** Open shard iterators, by shard id; a closed shard's iterator becomes null. */
  private readonly iterators = new Map<string, string | null>();
  /** The sequence number of the last record delivered, by shard id. */
  private readonly lastSequence = new Map<string, string>();

  public constructor(options: DynamoDbStreamSourceOptions) {
    this.options = options;
  }

  public start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops reading and waits for the batch in flight. */
  public async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    const pause = this.options.pollIntervalMs ?? 250;
    while (this.running) {
      let delivered = 0;
      try {
        await this.discoverShards();
        for (const [shardId, iterator] of this.iterators) {
          if (iterator === null || !this.running) continue;
          delivered += await this.readShard(shardId, iterator);
        }
      } catch (error) {
        // The endpoint is going away (stop) or briefly unreachable: try again after the pause.
        if (this.running) this.options.onReadError?.(error as Error);
      }
      if (delivered === 0) await new Promise((r) => setTimeout(r, pause));
    }
  }

  private async discoverShards(): Promise<void> {
    const { streams, streamArn, startingPosition } = this.options;
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        const shardId = shard.ShardId!;
        if (this.iterators.has(shardId)) continue;
        // A child shard is read from its start: its parent's records came first, and were read.
        const type = this.iterators.size === 0 ? startingPosition : 'TRIM_HORIZON';
        const { ShardIterator } = await streams.send(
          new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type }),
        );
        this.iterators.set(shardId, ShardIterator ?? null);
      }
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
  }

  /** Reads one page of a shard and delivers it; resolves to the number of records delivered. */
  private async readShard(shardId: string, iterator: string): Promise<number> {
    let page: GetRecordsCommandOutput;
    try {
      page = await this.options.streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchSize }),
      );
    } catch (error) {
      // DynamoDB Local refuses an iterator taken while its shard was empty, and iterators
      // expire: take a new one after the last record delivered (or from the shard's start).
      const name = (error as Error).name;
      if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
      const after = this.lastSequence.get(shardId);
      const { ShardIterator } = await this.options.streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.options.streamArn,
          ShardId: shardId,
          ...(after === undefined
            ? { ShardIteratorType: 'TRIM_HORIZON' }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
        }),
      );
      this.iterators.set(shardId, ShardIterator ?? null);
      return 0;
    }
    const records = page.Records ?? [];
    if (records.length > 0) {
      await this.deliver(records);
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last !== undefined) this.lastSequence.set(shardId, last);
    }
    this.iterators.set(shardId, page.NextShardIterator ?? null);
    return records.length;
  }

  private async deliver(records: readonly _Record[]): Promise<void> {
    const { functionName, maximumRetryAttempts, bisectOnError } = this.options;
    // Batches still to deliver, in shard order; a failed one may be split in two.
    const pending: { records: readonly _Record[]; attempts: number }[] = [{ records, attempts: 0 }];
    while (pending.length > 0) {
      const batch = pending.shift()!;
      const error = await this.invoke(batch.records);
      this.options.onInvocation?.({
        functionName,
        records: batch.records.length,
        failed: error === undefined ? 0 : batch.records.length,
        ...(error === undefined ? {} : { error }),
      });
      if (error === undefined) continue;
      if (!this.running) return;
      const attempts = batch.attempts + 1;
      if (maximumRetryAttempts !== -1 && attempts > maximumRetryAttempts) {
        await this.sendToOnFailure(batch.records, error, attempts);
        continue;
      }
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** (attempts - 1), 10_000)));
      if (bisectOnError && batch.records.length > 1) {
        const half = Math.ceil(batch.records.length / 2);
        pending.unshift(
          { records: batch.records.slice(0, half), attempts },
          { records: batch.records.slice(half), attempts },
        );
      } else pending.unshift({ records: batch.records, attempts });
    }
  }

  private async invoke(records: readonly _Record[]): Promise<string | undefined> {
    const { streamArn, region, environment } = this.options;
    try {
      await environment.invoke({ Records: records.map((r) => toLambdaStreamRecord(r, streamArn, region)) });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** What Lambda sends to an on-failure destination of a stream mapping: where the batch was, not its records. */
  private async sendToOnFailure(records: readonly _Record[], error: string, attempts: number): Promise<void> {
    const { onFailureQueueUrl, streamArn, functionName } = this.options;
    if (onFailureQueueUrl === undefined) return;
    const first = records[0]?.dynamodb;
    const last = records.at(-1)?.dynamodb;
    await this.options.sqs.send(
      new SendMessageCommand({
        QueueUrl: onFailureQueueUrl,
        MessageBody: JSON.stringify({
          requestContext: {
            functionArn: functionName,
            condition: 'RetryAttemptsExhausted',
            approximateInvokeCount: attempts,
          },
          responseContext: { functionError: 'Unhandled' },
          errorMessage: error,
          DDBStreamBatchInfo: {
            streamArn,
            batchSize: records.length,
            startSequenceNumber: first?.SequenceNumber,
            endSequenceNumber: last?.SequenceNumber,
          },
        }),
      }),
    );
  }
}
