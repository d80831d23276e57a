/**
 * The event store: every event the scheduler sees and every command it sends, append-only,
 * keyed by correlation id and time (`pk` / `sk = <time>#<id>`), by day in the `byDay` index,
 * kept 400 days (TTL). A guard item keyed by the event id (`pk = ID#<id>`) is written in the same
 * transaction, so an event is stored once whatever the number of deliveries or re-emissions.
 */
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CometEvent } from '#events/registry.ts';
import { Clauses, isTransactionConditionFailure } from '#shared/storage/conditional-write.ts';
import { checkIn, MessageTooLargeError, type ClaimStore } from '#shared/envelope/claim-check.ts';

/** Events are kept 400 days: a year of replay plus a margin. */
export const RETENTION_SECONDS = 400 * 24 * 3600;

/** Appends an event; resolves false when an event with its id was stored before. */
export type Append = (event: CometEvent) => Promise<boolean>;

/**
 * The guard item of a stored event: one per event id, so a re-emitted event (same id, a later
 * time) is stored once.
 */
export function guardItemOf(event: CometEvent, expiresAt: number): Record<string, unknown> {
  return {
    pk: `ID#${event.id}`,
    sk: 'ID',
    at: `${event.time}#${event.id}`,
    correlationid: event.correlationid,
    expiresAt,
  };
}

/** The item of a stored event, keyed by correlation id and time, with its day for the `byDay` index. */
export function eventItemOf(event: CometEvent, expiresAt: number): Record<string, unknown> {
  return {
    pk: event.correlationid,
    sk: `${event.time}#${event.id}`,
    day: event.time.slice(0, 10),
    id: event.id,
    type: event.type,
    source: event.source,
    event: JSON.stringify(event),
    expiresAt,
  };
}

/**
 * An `Append` over the event store table. An event whose data is in the claim store is stored
 * with its reference, never with its data: the item stays under DynamoDB's 400 KB.
 */
export function eventStoreAppender(db: DynamoDBDocumentClient, table: string, claims?: ClaimStore): Append {
  return async (received) => {
    const expiresAt = Math.floor(Date.now() / 1000) + RETENTION_SECONDS;
    const event = await checkIn(received, claims);
    try {
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: table,
                Item: guardItemOf(event, expiresAt),
                ConditionExpression: Clauses.absent(),
              },
            },
            {
              Put: {
                TableName: table,
                Item: eventItemOf(event, expiresAt),
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isTransactionConditionFailure(error, 0)) return false;
      // An item over 400 KB is refused the same way on every attempt: terminal, with the reason.
      if (error instanceof Error && /item size|maximum allowed size/i.test(error.message)) {
        throw new MessageTooLargeError(
          `Storing event ${received.type} ${received.id} in the event store: ${error.message}`,
          { cause: error },
        );
      }
      throw error;
    }
  };
}
