/**
 * The effects of ingest on AWS, shared by its two adapters (the Lambda handler and the container
 * worker), so both run `ingestFile` against the same S3 and event bus code. Ingest writes no
 * table of its own beyond its idempotency records: what it did is in `file.ingested`.
 */
import { s3Client, sqsClient } from '#shared/clients/aws.ts';
import { busPublisher, EventBusEnvironment, sqsSender } from '#shared/clients/bus.ts';
import { claimStore } from '#shared/clients/claims.ts';
import { Env } from '#shared/config.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { ObjectReplacedError } from '#shared/errors.ts';
import { deleteObject, headObject, openObject, quarantineObject, streamedWrite } from '#shared/storage/s3.ts';
import type { IngestDeps } from './logic.ts';

/** The variables both ingest runtimes read for `IngestDeps`. */
export const IngestEnvironment = {
  ...EventBusEnvironment,
  [Env.archiveBucket]: Setting.name('a bucket name'),
  [Env.quarantineBucket]: Setting.name('a bucket name'),
};

/**
 * Builds `IngestDeps` from the environment (archive and quarantine buckets, event bus queue) and the process's clients.
 *
 * @example
 * const deps = awsIngestDeps();
 */
export function awsIngestDeps(): IngestDeps {
  const env = parseEnvironment(IngestEnvironment);
  const s3 = s3Client();
  const send = sqsSender(sqsClient(), { claims: claimStore() });
  const publish = busPublisher(send, env[Env.eventBusLanes]);
  const quarantineBucket = env[Env.quarantineBucket];
  return {
    archiveBucket: env[Env.archiveBucket],
    open: async (bucket, key, etag) => {
      // ChecksumMode ENABLED: S3 returns the checksum stored with the upload, if it carried one.
      const head = await headObject(s3, bucket, key, { checksum: true });
      if (head === undefined) return undefined;
      if (head.etag !== etag)
        throw new ObjectReplacedError(`s3://${bucket}/${key} has ETag ${head.etag}, not ${etag}: another upload`);
      return {
        // If-Match: a replacement between the head and the read is refused, not read for this upload.
        body: await openObject(s3, bucket, key, etag),
        ...(head.checksumSha256 === undefined ? {} : { checksumSha256: head.checksumSha256 }),
        ...(head.checksumType === undefined ? {} : { checksumType: head.checksumType }),
      };
    },
    write: (bucket, key, metadata) => streamedWrite(s3, bucket, key, metadata),
    quarantine: (file, rejection) => quarantineObject(s3, file, quarantineBucket, rejection, 'ingest'),
    discard: (file) => deleteObject(s3, file.bucket, file.key, file.etag),
    release: (file) => deleteObject(s3, file.bucket, file.key, file.etag),
    publish: (event) => publish(event),
  };
}
