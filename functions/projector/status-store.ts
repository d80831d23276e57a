/**
 * The status table: one item per entity (`pk = <kind>#<id>`), holding the entity's facts as
 * top-level attributes `f#<event id>` and the view folded from them. Written only by the
 * projector (and by `cometflow rebuild-status`, with the same code); read by the CLI and the
 * console, never by a stage.
 *
 * A write is two requests: the facts are SET (idempotent and order-free: an event id names its
 * attribute) with a version counter ADDed, returning the whole item; the view folded from that
 * item is then written only if no newer version's view is there, so two projectors racing on one
 * entity leave the view of the later version.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  entityKey,
  viewOf,
  type EntityKind,
  type EntityRef,
  type EntityView,
  type Fact,
  type FactsById,
} from './logic.ts';

/** The index listing a kind's entities of one day: partition `kindDay` (`<kind>#<YYYY-MM-DD>`), sort `pk`. */
export const BY_KIND_DAY_INDEX = 'byKindDay';

/** Prefix of the attributes holding facts. */
const FACT_PREFIX = 'f#';

/** Status items are kept as long as the event store keeps the events they come from. */
export const STATUS_RETENTION_SECONDS = 400 * 24 * 3600;

/** Facts per UpdateItem: keeps the expression far below DynamoDB's 4 KB expression limit. */
const FACTS_PER_UPDATE = 40;

/** The facts held in an item. */
export function factsOfItem(item: Record<string, unknown>): FactsById {
  const facts: Record<string, Fact> = {};
  for (const [name, value] of Object.entries(item))
    if (name.startsWith(FACT_PREFIX)) facts[name.slice(FACT_PREFIX.length)] = value as Fact;
  return facts;
}

/** An item as its view; undefined for an item without one. */
export const viewOfItem = (item: Record<string, unknown> | undefined): EntityView | undefined =>
  item?.view === undefined ? undefined : (item.view as EntityView);

/**
 * Adds facts to an entity and writes its new view; resolves to that view (or the one a newer
 * concurrent write stored).
 */
export async function applyFacts(
  db: DynamoDBDocumentClient,
  table: string,
  entity: EntityRef,
  facts: Readonly<Record<string, Fact>>,
  now: () => Date = () => new Date(),
): Promise<EntityView> {
  const entries = Object.entries(facts);
  let item: Record<string, unknown> | undefined;
  const expiresAt = Math.floor(now().getTime() / 1000) + STATUS_RETENTION_SECONDS;
  for (let start = 0; start < entries.length; start += FACTS_PER_UPDATE) {
    const slice = entries.slice(start, start + FACTS_PER_UPDATE);
    const names: Record<string, string> = { '#kind': 'kind', '#id': 'id' };
    const values: Record<string, unknown> = {
      ':kind': entity.kind,
      ':id': entity.id,
      ':one': 1,
      ':expires': expiresAt,
    };
    const sets = slice.map(([eventId, fact], i) => {
      names[`#f${i}`] = `${FACT_PREFIX}${eventId}`;
      values[`:f${i}`] = fact;
      return `#f${i} = :f${i}`;
    });
    const result = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: entityKey(entity) },
        UpdateExpression: `SET #kind = :kind, #id = :id, expiresAt = :expires, ${sets.join(', ')} ADD version :one`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    item = result.Attributes;
  }
  if (item === undefined) throw new Error(`applyFacts for ${entityKey(entity)} was given no facts`);
  const view = viewOf(entity, factsOfItem(item));
  const version = item.version as number;
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: entityKey(entity) },
        UpdateExpression: 'SET #view = :view, stage = :stage, kindDay = :kindDay, viewVersion = :version',
        ConditionExpression: 'attribute_not_exists(viewVersion) OR viewVersion < :version',
        ExpressionAttributeNames: { '#view': 'view' },
        ExpressionAttributeValues: {
          ':view': view,
          ':stage': view.stage,
          ':kindDay': `${entity.kind}#${view.day}`,
          ':version': version,
        },
      }),
    );
  } catch (error) {
    // A projector that wrote a later version wrote a view folded from these facts too.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  return view;
}

/** The view of one entity, or undefined when the read model does not know it. */
export async function readView(
  db: DynamoDBDocumentClient,
  table: string,
  entity: EntityRef,
): Promise<EntityView | undefined> {
  const { Item } = await db.send(
    new GetCommand({ TableName: table, Key: { pk: entityKey(entity) }, ConsistentRead: true }),
  );
  return viewOfItem(Item);
}

/** The views of a kind's entities of one day (`YYYY-MM-DD`), by key. */
export async function readViewsOfDay(
  db: DynamoDBDocumentClient,
  table: string,
  kind: EntityKind,
  day: string,
): Promise<EntityView[]> {
  const views: EntityView[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: table,
        IndexName: BY_KIND_DAY_INDEX,
        KeyConditionExpression: 'kindDay = :kd',
        ExpressionAttributeValues: { ':kd': `${kind}#${day}` },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const view = viewOfItem(item);
      if (view !== undefined) views.push(view);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return views;
}
