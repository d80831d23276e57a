/** Intake's Lambda adapter: S3 notifications from the intake queue in, `logic.ts` does the rest. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, s3Client, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { Env, readEnv } from '#shared/config.ts';
import { recordStage } from '#shared/stage/stage-handler.ts';
import { deleteObject, headObject, quarantineObject, readRange } from '#shared/storage/s3.ts';
import { intakeUpload, parseNotification, type IntakeDeps } from './logic.ts';

const s3 = s3Client();
const send = sqsSender(sqsClient());
const busUrl = readEnv(Env.eventBusQueueUrl);
const quarantineBucket = readEnv(Env.quarantineBucket);
const catalogTable = readEnv(Env.catalogTable);

const deps: IntakeDeps = {
  head: (bucket, key) => headObject(s3, bucket, key),
  readRange: (bucket, key, start, end) => readRange(s3, bucket, key, start, end),
  quarantine: (bucket, key, rejection) => quarantineObject(s3, { bucket, key }, quarantineBucket, rejection, 'intake'),
  discard: (bucket, key) => deleteObject(s3, bucket, key),
  register: async (file, object) => {
    const key = { pk: `FILE#${object.key}`, sk: `ETAG#${object.etag}` };
    try {
      await documentClient().send(new PutCommand({
        TableName: catalogTable,
        Item: { ...key, provider: file.provider, name: file.name, size: object.size, status: 'available', published: false, attributes: file.attributes, registeredAt: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return 'new';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await documentClient().send(new GetCommand({ TableName: catalogTable, Key: key, ConsistentRead: true }));
      return existing.Item?.published === true ? 'duplicate' : 'unpublished';
    }
  },
  markPublished: async (object) => {
    await documentClient().send(new UpdateCommand({
      TableName: catalogTable, Key: { pk: `FILE#${object.key}`, sk: `ETAG#${object.etag}` },
      UpdateExpression: 'SET published = :true', ExpressionAttributeValues: { ':true': true },
    }));
  },
  publish: (event) => send(busUrl, event),
  maxFileBytes: Number(readEnv(Env.maxFileBytes)),
};

export const handler = recordStage({
  stage: 'intake',
  handle: async (record, { logger }) => {
    for (const upload of parseNotification(record.body)) {
      const result = await intakeUpload(upload, deps);
      logger.info('upload taken in', { key: upload.key, outcome: result.outcome, ...(result.outcome === 'rejected' ? { reason: result.event.data.reason } : {}) });
    }
  },
});
