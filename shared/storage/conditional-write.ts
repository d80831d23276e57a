/**
 * Conditional DynamoDB writes, with the condition's failure turned into a domain result at this
 * boundary: every store that decides something by a conditional write (a claimed trigger, a
 * registered file, a recorded fault) goes through here instead of catching
 * `ConditionalCheckFailedException` itself.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Named condition clauses, so a store's conditions read as what they guard. Attribute names
 * are the caller's (`pk` by default for the partition key).
 */
export const Clauses = {
  /** No item with this key exists yet. */
  absent: (attribute = 'pk'): string => `attribute_not_exists(${attribute})`,
  /** An item with this key exists. */
  present: (attribute = 'pk'): string => `attribute_exists(${attribute})`,
  /** The attribute is not set on the item (or there is no item). */
  unset: (attribute: string): string => `attribute_not_exists(${attribute})`,
  /** All of the clauses hold. */
  all: (...clauses: string[]): string => clauses.map((clause) => `(${clause})`).join(' AND '),
  /** At least one of the clauses holds. */
  any: (...clauses: string[]): string => clauses.map((clause) => `(${clause})`).join(' OR '),
} as const;

/**
 * Whether `error` is a failed condition of a single write. By name too: a client bundled twice
 * (or a mocked one) throws an equal error of another class.
 */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';

/** Whether `error` cancelled a transaction because the condition of item `index` failed. */
export const isTransactionConditionFailure = (error: unknown, index: number): boolean =>
  (error instanceof TransactionCanceledException ||
    (error as { name?: unknown } | null)?.name === 'TransactionCanceledException') &&
  (error as TransactionCanceledException).CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';

/**
 * Runs a conditional write; resolves `true` when it was applied and `false` when its condition
 * failed. Any other error propagates.
 *
 * @example
 * const opened = await conditionalWrite(() => db.send(new UpdateCommand({ ..., ConditionExpression })));
 */
export async function conditionalWrite(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** What `putIfAbsent` did. */
export type PutIfAbsentResult = 'created' | 'exists';

/** A `putIfAbsent` request. */
export interface PutIfAbsentRequest {
  readonly table: string;
  /** The whole item, key included. */
  readonly item: Record<string, unknown>;
  /**
   * The key attribute whose absence is the condition.
   * @default 'pk'
   */
  readonly keyAttribute?: string;
}

/**
 * Puts `item` unless an item with its key exists: `created`, or `exists` (nothing written).
 * The first writer of a key wins whatever the number of concurrent or repeated attempts.
 *
 * @example
 * if (await putIfAbsent(db, { table, item: { pk: `TRIGGER#${rule}`, sk: 'TRIGGER', commandId } }) === 'exists') ...
 */
export async function putIfAbsent(db: DynamoDBDocumentClient, request: PutIfAbsentRequest): Promise<PutIfAbsentResult> {
  const applied = await conditionalWrite(() =>
    db.send(
      new PutCommand({
        TableName: request.table,
        Item: request.item,
        ConditionExpression: Clauses.absent(request.keyAttribute),
      }),
    ),
  );
  return applied ? 'created' : 'exists';
}
