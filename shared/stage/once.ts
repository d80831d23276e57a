/**
 * Processing each event id once (Powertools idempotency on DynamoDB), shared by the Lambda stage
 * handler and the container worker: a redelivered or duplicated event returns the stored result
 * instead of running again; a failure deletes the in-progress record so a retry runs again.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import type { CometEvent } from '#events/registry.ts';
import { dynamoDbClient } from '../clients/aws.ts';
import { Env, type Stage } from '../config.ts';
import { parseEnvironment, Setting } from '../environment.ts';

/** How long a completed record answers for its event id. */
export const IdempotencyRecordSeconds = 7 * 24 * 3600;

/** Options of `onceByEventId`. */
export interface OnceOptions {
  readonly stage: Stage;
  /**
   * Prefix of the idempotency keys. Two runtimes of one stage that must each run an event once
   * (the ingest Lambda hands a file over to the container with the same command) use different
   * prefixes.
   * @default - Powertools' default: the Lambda function's name and the wrapped function's name
   */
  readonly keyPrefix?: string;
}

/** An idempotent handler and the configuration that learns how long a run may take. */
export interface Once<T extends CometEvent, A extends unknown[], R> {
  readonly handle: (event: T, ...rest: A) => Promise<R>;
  /**
   * Tells Powertools how long the current run may last (a Lambda context, or the lease of a
   * queue message): an in-progress record older than that is taken as a crashed run.
   */
  readonly registerDeadline: (context: Pick<Context, 'getRemainingTimeInMillis'>) => void;
}

/**
 * Wraps `handle` so that it runs once per event id. Needs `COMETFLOW_IDEMPOTENCY_TABLE`.
 *
 * @example
 * const once = onceByEventId(async (command: IngestCommand) => ingestFile(command, deps), { stage: 'ingest', keyPrefix: 'ingest-container' });
 * once.registerDeadline({ getRemainingTimeInMillis: () => leaseMs });
 * await once.handle(command);
 */
export function onceByEventId<T extends CometEvent, A extends unknown[], R>(
  handle: (event: T, ...rest: A) => Promise<R>,
  options: OnceOptions,
): Once<T, A, R> {
  const { [Env.idempotencyTable]: tableName } = parseEnvironment({
    [Env.idempotencyTable]: Setting.name(`a table name: stage ${options.stage} is idempotent`),
  });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: IdempotencyRecordSeconds });
  const wrapped = makeIdempotent(handle, {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamoDbClient() }),
    config,
    ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
  });
  return {
    handle: wrapped as (event: T, ...rest: A) => Promise<R>,
    registerDeadline: (context) => config.registerLambdaContext(context as Context),
  };
}
