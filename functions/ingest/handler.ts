/** Ingest's Lambda adapter: `ingest.requested` commands in, `logic.ts` streams the file. */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EventTypes } from '#events/registry.ts';
import { documentClient, s3Client, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { Env, readEnv } from '#shared/config.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { deleteObject, headObject, openObject, quarantineObject, streamedWrite } from '#shared/storage/s3.ts';
import { ingestFile, type IngestDeps } from './logic.ts';

const s3 = s3Client();
const send = sqsSender(sqsClient());
const busUrl = readEnv(Env.eventBusQueueUrl);
const quarantineBucket = readEnv(Env.quarantineBucket);
const catalogTable = readEnv(Env.catalogTable);

const deps: IngestDeps = {
  archiveBucket: readEnv(Env.archiveBucket),
  open: async (bucket, key) => (await headObject(s3, bucket, key)) === undefined ? undefined : openObject(s3, bucket, key),
  write: (bucket, key, metadata) => streamedWrite(s3, bucket, key, metadata),
  quarantine: (bucket, key, rejection) => quarantineObject(s3, { bucket, key }, quarantineBucket, rejection, 'ingest'),
  discard: (bucket, key) => deleteObject(s3, bucket, key),
  markIngested: async (sourceKey, etag, sha256, archived) => {
    await documentClient().send(new UpdateCommand({
      TableName: catalogTable, Key: { pk: `FILE#${sourceKey}`, sk: `ETAG#${etag}` },
      UpdateExpression: 'SET #status = :ingested, sha256 = :sha, archived = :archived, ingestedAt = :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':ingested': 'ingested', ':sha': sha256, ':archived': archived, ':now': new Date().toISOString() },
    }));
  },
  publish: (event) => send(busUrl, event),
};

export const handler = eventStage({
  stage: 'ingest',
  accepts: [EventTypes.ingestRequested],
  handle: async (command, { logger }) => {
    const result = await ingestFile(command, deps);
    logger.info('file ingested', { key: command.data.file.key, outcome: result.outcome });
    return { outcome: result.outcome };
  },
});
