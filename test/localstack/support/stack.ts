/**
 * What every integration test starts from: the stack description and SDK clients configured
 * by the SDK's standard environment settings (region, credentials, `AWS_ENDPOINT_URL_*`).
 */
import { createHash, randomInt } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { inject } from 'vitest';
import type { CometEvent, EventType } from '../../../events/registry.ts';
import { sdkEnvironmentOf, type StackDescription } from '../../../local/stack-description.ts';

/** The stack under test; also points the SDK's environment settings at it. */
export function stack(): StackDescription {
  const description = inject('stack');
  for (const [name, value] of Object.entries(sdkEnvironmentOf(description))) process.env[name] ??= value;
  return description;
}

/** Clients built from the environment alone; path-style S3 addressing works on every target. */
export function clients(): { s3: S3Client; sqs: SQSClient; documents: DynamoDBDocumentClient; sfn: SFNClient } {
  stack();
  return {
    s3: new S3Client({ forcePathStyle: true }),
    sqs: new SQSClient({}),
    documents: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    sfn: new SFNClient({}),
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails with `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : `; last error: ${String(lastError)}`}`,
  );
}

/** Every event and command the scheduler recorded for a correlation id, oldest first. */
export async function eventsOf(
  documents: DynamoDBDocumentClient,
  table: string,
  correlationId: string,
  type?: EventType,
): Promise<CometEvent[]> {
  const events: CometEvent[] = [];
  const pages = paginateQuery(
    { client: documents },
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': correlationId },
      ConsistentRead: true,
    },
  );
  for await (const page of pages)
    for (const item of page.Items ?? []) events.push(JSON.parse(item.event as string) as CometEvent);
  return type === undefined ? events : events.filter((e) => e.type === type);
}

/** The whole content of an object. */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * A day and repeat cycle no other test run uses, so tests can share a long-running stack:
 * a random past day (names carry no year for forecasts, so keep within the last months).
 */
export function uniqueCycle(): { day: string; repeatCycle: number; date: Date } {
  const date = new Date(Date.now() - randomInt(1, 150) * 86_400_000);
  return { day: date.toISOString().slice(0, 10).replace(/-/g, ''), repeatCycle: randomInt(1, 145), date };
}
