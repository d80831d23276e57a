/** Intake's Lambda adapter: S3 notifications from the intake queue in, `logic.ts` does the rest. */
import { documentClient, s3Client, sqsClient } from '#shared/clients/aws.ts';
import { busPublisher, EventBusEnvironment, sqsSender } from '#shared/clients/bus.ts';
import { claimStore } from '#shared/clients/claims.ts';
import { Env } from '#shared/config.ts';
import { ProviderTableSchema } from '#shared/conventions/providers.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { recordStage } from '#shared/stage/stage-handler.ts';
import { deleteObject, headObject, quarantineObject, readRange } from '#shared/storage/s3.ts';
import { DynamoDbCatalogStore } from './catalog-store.ts';
import { intakeUpload, parseNotification, type IntakeDeps } from './logic.ts';

const s3 = s3Client();
const send = sqsSender(sqsClient(), { claims: claimStore() });
const env = parseEnvironment({
  ...EventBusEnvironment,
  [Env.quarantineBucket]: Setting.name('a bucket name'),
  [Env.catalogTable]: Setting.name('a table name'),
  [Env.providers]: Setting.json(ProviderTableSchema, 'the providers, [{ name, prefix, conventions, maxFileBytes }]'),
});
const publish = busPublisher(send, env[Env.eventBusLanes]);
const quarantineBucket = env[Env.quarantineBucket];
const catalog = new DynamoDbCatalogStore(documentClient(), env[Env.catalogTable]);

const deps: IntakeDeps = {
  head: (bucket, key) => headObject(s3, bucket, key),
  readRange: (bucket, key, start, end) => readRange(s3, bucket, key, start, end),
  quarantine: (file, rejection) => quarantineObject(s3, file, quarantineBucket, rejection, 'intake'),
  discard: (file) => deleteObject(s3, file.bucket, file.key, file.etag),
  register: (file, object) =>
    catalog.register({
      key: object.key,
      etag: object.etag,
      size: object.size,
      provider: file.provider,
      name: file.name,
      attributes: file.attributes,
    }),
  markPublished: (object) => catalog.markPublished(object),
  publish: (event) => publish(event),
  providers: env[Env.providers],
};

export const handler = recordStage({
  stage: 'intake',
  handle: async (record, { logger }) => {
    for (const upload of parseNotification(record.body)) {
      const result = await intakeUpload(upload, deps);
      logger.info('upload taken in', {
        key: upload.key,
        outcome: result.outcome,
        ...(result.outcome === 'rejected' ? { reason: result.event.data.reason } : {}),
        ...(result.outcome === 'replaced' ? { reason: result.reason } : {}),
      });
    }
  },
});
