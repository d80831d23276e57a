/**
 * One client per AWS service, built once at module scope. Endpoints and credentials come from
 * the SDK's standard settings (`AWS_REGION`, `AWS_ENDPOINT_URL_<SERVICE>`, ...), so the same
 * bundle talks to AWS, LocalStack or the local emulators without a branch.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

let s3: S3Client | undefined;
let sqs: SQSClient | undefined;
let dynamodb: DynamoDBClient | undefined;
let documents: DynamoDBDocumentClient | undefined;
let ecs: ECSClient | undefined;

/** The S3 client of this process. */
export const s3Client = (): S3Client => (s3 ??= new S3Client({}));

/** The SQS client of this process. */
export const sqsClient = (): SQSClient => (sqs ??= new SQSClient({}));

/** The low-level DynamoDB client of this process (Powertools idempotency takes this one). */
export const dynamoDbClient = (): DynamoDBClient => (dynamodb ??= new DynamoDBClient({}));

/** The DynamoDB document client of this process: plain JavaScript values in and out. */
export const documentClient = (): DynamoDBDocumentClient =>
  (documents ??= DynamoDBDocumentClient.from(dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } }));

/** The ECS client of this process (waking container workers). */
export const ecsClient = (): ECSClient => (ecs ??= new ECSClient({}));
