/**
 * The catalog: the files the pipeline has taken in. Intake is its only owner (no other service
 * reads or writes its table); what happens to a file later (ingested, rejected by content,
 * processed) is in the events the stages publish, which the event store keeps.
 *
 * The shape is Powertools' persistence layer: `CatalogStore` owns the policy (a first
 * registration wins; a repeated one is a duplicate once announced, else announced again), and
 * a storage adapter only puts and gets records. The DynamoDB adapter turns a failed condition
 * into a domain result at its boundary.
 *
 * Items (pk / sk): `FILE#<key>` / `ETAG#<etag>`: provider, name, size, attributes,
 * `status: available`, `published`, `registeredAt`.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FileAttributes } from '#events/registry.ts';
import { putIfAbsent } from '#shared/storage/conditional-write.ts';

/** What the catalog records of a registered file. */
export interface CatalogRecord {
  readonly key: string;
  readonly etag: string;
  readonly provider: string;
  readonly name: string;
  readonly size: number;
  readonly attributes: FileAttributes;
  /** Whether `file.available` was published for it. */
  readonly published: boolean;
  readonly registeredAt: string;
}

/** The outcome of a registration: see `CatalogStore.register`. */
export type Registration = 'new' | 'unpublished' | 'duplicate';

/** The file to register: the object in the inbox and what its name says. */
export interface CatalogEntry {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly provider: string;
  readonly name: string;
  readonly attributes: FileAttributes;
}

/**
 * The catalog's policy over a storage adapter. Subclasses implement `putNew`, `get` and
 * `setPublished`; the decisions are made here.
 *
 * @example
 * const catalog = new DynamoDbCatalogStore(documentClient(), table);
 * if (await catalog.register(entry) !== 'duplicate') { await publish(event); await catalog.markPublished(entry); }
 */
export abstract class CatalogStore {
  /**
   * Records the file: `new`; `duplicate` when the same key and content were registered and
   * announced before; `unpublished` when registered before but never announced (a crash
   * between the two), so the announcement is made again.
   */
  public async register(entry: CatalogEntry, now: Date = new Date()): Promise<Registration> {
    const record: CatalogRecord = { ...entry, published: false, registeredAt: now.toISOString() };
    if ((await this.putNew(record)) === 'created') return 'new';
    const existing = await this.get(entry.key, entry.etag);
    return existing?.published === true ? 'duplicate' : 'unpublished';
  }

  /** Records that `file.available` was published for the file. */
  public async markPublished(entry: Pick<CatalogEntry, 'key' | 'etag'>): Promise<void> {
    await this.setPublished(entry.key, entry.etag);
  }

  /** Writes the record unless one with its key and ETag exists. */
  protected abstract putNew(record: CatalogRecord): Promise<'created' | 'exists'>;
  /** The record of this key and ETag, read consistently, or undefined. */
  protected abstract get(key: string, etag: string): Promise<CatalogRecord | undefined>;
  /** Sets `published` on the record of this key and ETag. */
  protected abstract setPublished(key: string, etag: string): Promise<void>;
}

/** The item key of a file's record. */
export const catalogKeyOf = (key: string, etag: string): { pk: string; sk: string } => ({
  pk: `FILE#${key}`,
  sk: `ETAG#${etag}`,
});

/** The catalog on its DynamoDB table: puts and gets only. */
export class DynamoDbCatalogStore extends CatalogStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;

  public constructor(db: DynamoDBDocumentClient, table: string) {
    super();
    this.db = db;
    this.table = table;
  }

  protected override async putNew(record: CatalogRecord): Promise<'created' | 'exists'> {
    const { key, etag, ...rest } = record;
    return putIfAbsent(this.db, {
      table: this.table,
      item: { ...catalogKeyOf(key, etag), ...rest, status: 'available' },
    });
  }

  protected override async get(key: string, etag: string): Promise<CatalogRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: catalogKeyOf(key, etag), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    return {
      key,
      etag,
      provider: Item.provider as string,
      name: Item.name as string,
      size: Number(Item.size),
      attributes: Item.attributes as FileAttributes,
      published: Item.published === true,
      registeredAt: Item.registeredAt as string,
    };
  }

  protected override async setPublished(key: string, etag: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: catalogKeyOf(key, etag),
        UpdateExpression: 'SET published = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
  }
}
