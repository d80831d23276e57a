/**
 * `rebuild-status`: the status read model rebuilt from the event store, the system of record.
 * Every status item is deleted, then every stored event is folded again through the
 * projector's own code (`projectEvents`). Facts merge by event id, so an event the projector
 * handles while the rebuild runs is kept either way. Scans both tables: a repair, not a query.
 */
import { BatchWriteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CometEvent } from '#events/registry.ts';
import { eventOfItem, projectEvents } from '#functions/projector/project.ts';
import type { ClaimStore } from '#shared/envelope/claim-check.ts';

/** What a rebuild did. */
export interface RebuildResult {
  readonly deleted: number;
  readonly events: number;
  readonly entities: number;
}

/** Events folded per round: bounds memory, and each entity is written at most once per round. */
const EVENTS_PER_ROUND = 2000;

async function deleteAll(db: DynamoDBDocumentClient, table: string): Promise<number> {
  let deleted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: table, ProjectionExpression: 'pk', ExclusiveStartKey: start }),
    );
    const keys = (page.Items ?? []).map((item) => ({ pk: item.pk as string }));
    for (let i = 0; i < keys.length; i += 25) {
      let requests = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      // BatchWriteItem may leave some requests unprocessed under throttling: send those again.
      while (requests.length > 0) {
        const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = (result.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
    deleted += keys.length;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return deleted;
}

/**
 * Rebuilds the status table from the event store.
 *
 * @example
 * const { events, entities } = await rebuildStatus(documents, eventStoreTable, statusTable);
 */
export async function rebuildStatus(
  db: DynamoDBDocumentClient,
  eventStore: string,
  status: string,
  progress: (line: string) => void = () => undefined,
  claims?: ClaimStore,
): Promise<RebuildResult> {
  const deleted = await deleteAll(db, status);
  progress(`deleted ${deleted} status items`);
  let events = 0;
  let entities = 0;
  let batch: CometEvent[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    // Claim-checked events (stored with dataref) are read back from the claims bucket.
    const result = await projectEvents(batch, { db, table: status, ...(claims === undefined ? {} : { claims }) });
    events += result.events;
    entities += result.entities;
    batch = [];
    progress(`${events} events folded`);
  };
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: eventStore,
        FilterExpression: 'attribute_exists(#event)',
        ExpressionAttributeNames: { '#event': 'event' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const event = eventOfItem(item);
      if (event !== undefined) batch.push(event);
    }
    if (batch.length >= EVENTS_PER_ROUND) await flush();
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  await flush();
  return { deleted, events, entities };
}

/** The result as text. */
export function formatRebuild(result: RebuildResult): string[] {
  return [
    `status read model rebuilt: ${result.events} events folded into ${result.entities} entity writes (${result.deleted} items deleted first)`,
  ];
}
