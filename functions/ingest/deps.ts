/**
 * The effects of ingest on AWS, shared by its two adapters (the Lambda handler and the container
 * worker), so both run `ingestFile` against the same S3, catalog and event bus code.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, s3Client, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { Env, readEnv } from '#shared/config.ts';
import { deleteObject, headObject, openObject, quarantineObject, streamedWrite } from '#shared/storage/s3.ts';
import type { IngestDeps } from './logic.ts';

/**
 * Builds `IngestDeps` from the environment (archive and quarantine buckets, catalog table,
 * event bus queue) and the process's clients.
 *
 * @example
 * const deps = awsIngestDeps();
 */
export function awsIngestDeps(): IngestDeps {
  const s3 = s3Client();
  const send = sqsSender(sqsClient());
  const busUrl = readEnv(Env.eventBusQueueUrl);
  const quarantineBucket = readEnv(Env.quarantineBucket);
  const catalogTable = readEnv(Env.catalogTable);
  return {
    archiveBucket: readEnv(Env.archiveBucket),
    open: async (bucket, key) => {
      // ChecksumMode ENABLED: S3 returns the checksum stored with the upload, if it carried one.
      const head = await headObject(s3, bucket, key, { checksum: true });
      if (head === undefined) return undefined;
      return {
        body: await openObject(s3, bucket, key),
        ...(head.checksumSha256 === undefined ? {} : { checksumSha256: head.checksumSha256 }),
        ...(head.checksumType === undefined ? {} : { checksumType: head.checksumType }),
      };
    },
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
}
