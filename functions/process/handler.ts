/** Process's Lambda adapter: `processing.requested` commands in, products out. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { EventTypes } from '#events/registry.ts';
import { s3Client, sqsClient } from '#shared/clients/aws.ts';
import { busPublisher, EventBusEnvironment, sqsSender } from '#shared/clients/bus.ts';
import { claimStore } from '#shared/clients/claims.ts';
import { Env } from '#shared/config.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { headObject, openObject } from '#shared/storage/s3.ts';
import { generateProduct, type ProcessDeps } from './logic.ts';

const s3 = s3Client();
const send = sqsSender(sqsClient(), { claims: claimStore() });
const env = parseEnvironment({
  ...EventBusEnvironment,
  [Env.productsBucket]: Setting.name('a bucket name'),
});
const publish = busPublisher(send, env[Env.eventBusLanes]);

const deps: ProcessDeps = {
  productsBucket: env[Env.productsBucket],
  open: (input) => openObject(s3, input.bucket, input.key),
  exists: async (bucket, key) => (await headObject(s3, bucket, key)) !== undefined,
  put: async (bucket, key, body, contentType) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  },
  publish: (event) => publish(event),
  now: () => new Date(),
};

export const handler = eventStage({
  stage: 'process',
  accepts: [EventTypes.processingRequested],
  handle: async (command, { logger }) => {
    const { event, written } = await generateProduct(command, deps);
    logger.info('product generated', { productId: event.data.productId, key: event.data.product.key, written });
    return { productId: event.data.productId };
  },
});
