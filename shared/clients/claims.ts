/**
 * The claim store on S3: checked-in event data as JSON objects in the claims bucket, whose
 * lifecycle expires them when the event store's TTL expires the events that refer to them.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Env } from '../config.ts';
import { parseEnvironment, Setting } from '../environment.ts';
import type { ClaimStore } from '../envelope/claim-check.ts';
import { parseDataRef } from '../envelope/claim-check.ts';
import { InvalidInputError, translateThrottling } from '../errors.ts';
import { s3Client } from './aws.ts';

/**
 * A `ClaimStore` over one bucket. `client` may be a function giving the client, called at the
 * first claim: most events fit in a message, so most cold starts never need it.
 *
 * @example
 * const claims = s3ClaimStore(s3Client, bucket);
 */
export function s3ClaimStore(client: S3Client | (() => S3Client), bucket: string): ClaimStore {
  let built: S3Client | undefined;
  const s3 = (): S3Client => (built ??= typeof client === 'function' ? client() : client);
  return {
    put: async (key, body) => {
      await translateThrottling(`Storing the data of an event at s3://${bucket}/${key}`, () =>
        s3().send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: 'application/json',
            ChecksumAlgorithm: 'SHA256',
          }),
        ),
      );
      return `s3://${bucket}/${key}`;
    },
    get: async (reference) => {
      const { bucket: from, key } = parseDataRef(reference);
      try {
        const object = await translateThrottling(`Reading the data of an event at ${reference}`, () =>
          s3().send(new GetObjectCommand({ Bucket: from, Key: key })),
        );
        return await object.Body!.transformToString('utf8');
      } catch (error) {
        // Gone for good: expired with its event, or never written. Retrying cannot bring it back.
        if (error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey')) {
          throw new InvalidInputError(
            `The data of this event at ${reference} does not exist (expired with the event, or never stored)`,
            { cause: error },
          );
        }
        throw error;
      }
    },
  };
}

let fromEnv: ClaimStore | undefined;

/**
 * The claim store of this process, over the bucket the stack names in `COMETFLOW_CLAIMS_BUCKET`;
 * undefined where none is configured (then large events are refused with that reason).
 */
export function claimStore(): ClaimStore | undefined {
  const { [Env.claimsBucket]: bucket } = parseEnvironment({
    [Env.claimsBucket]: Setting.optional(Setting.name('a bucket name'), ''),
  });
  if (bucket === '') return undefined;
  fromEnv ??= s3ClaimStore(s3Client, bucket);
  return fromEnv;
}
