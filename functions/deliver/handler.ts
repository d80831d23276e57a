/** Deliver's Lambda adapter: `delivery.requested` commands in, distributed products out. */
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { EventTypes } from '#events/registry.ts';
import { documentClient, s3Client, sqsClient } from '#shared/clients/aws.ts';
import { sqsSender } from '#shared/clients/bus.ts';
import { Env, readEnv } from '#shared/config.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { deliverProduct, type DeliverDeps } from './logic.ts';

const s3 = s3Client();
const send = sqsSender(sqsClient());
const busUrl = readEnv(Env.eventBusQueueUrl);
const deliveriesTable = readEnv(Env.deliveriesTable);

const deps: DeliverDeps = {
  distributionBucket: readEnv(Env.distributionBucket),
  copy: async (from, to) => {
    await s3.send(new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}` }));
  },
  record: async (productId, distributed, requestId) => {
    try {
      await documentClient().send(new PutCommand({
        TableName: deliveriesTable,
        Item: { pk: `PRODUCT#${productId}`, status: 'delivered', distributed, requestId, deliveredAt: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return 'recorded';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await documentClient().send(new GetCommand({ TableName: deliveriesTable, Key: { pk: `PRODUCT#${productId}` }, ConsistentRead: true }));
      return existing.Item?.requestId === requestId ? 'retried' : 'delivered-before';
    }
  },
  publish: (event) => send(busUrl, event),
};

export const handler = eventStage({
  stage: 'deliver',
  accepts: [EventTypes.deliveryRequested],
  handle: async (command, { logger }) => {
    const result = await deliverProduct(command, deps);
    logger.info(result.delivered ? 'product delivered' : 'product was delivered before', { productId: command.data.productId });
    return { delivered: result.delivered };
  },
});
