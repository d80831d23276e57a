/**
 * AWS list prices the cost of a file is computed from: region us-east-1 (eu-central-1 is about
 * 10 to 20 % higher), on-demand, no free tier, as published on the pricing pages of S3, SQS,
 * Lambda, Step Functions, DynamoDB and Fargate. Read in 2025 (DynamoDB after its November 2024
 * on-demand price cut); check the pages before quoting a figure, prices change.
 */

/** The date the prices below were read, and where. */
export const PricesAsOf = '2025-06 (us-east-1; aws.amazon.com/<service>/pricing)' as const;

/** USD per unit; each unit named in the key. */
export const Prices = {
  /** S3 Standard: PUT, COPY, POST, LIST requests. */
  s3WritePer1000: 0.005,
  /** S3 Standard: GET, HEAD and other requests. */
  s3ReadPer1000: 0.0004,
  /** SQS standard queues, per request (each 64 KiB of payload is one request). */
  sqsPerMillion: 0.4,
  /** Lambda requests. */
  lambdaRequestsPerMillion: 0.2,
  /** Lambda duration on Arm (Graviton), the stack's architecture. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Step Functions standard workflows. */
  sfnPer1000Transitions: 0.025,
  /** DynamoDB on-demand write request units (1 KB each; a transactional write costs 2). */
  dynamoDbPerMillionWru: 0.625,
  /** DynamoDB on-demand read request units (4 KB strongly consistent each; a transactional read costs 2). */
  dynamoDbPerMillionRru: 0.125,
} as const;

/** S3 operations billed at the write (PUT, COPY, POST, LIST) rate; DELETE and Abort are free. */
export const S3WriteOperations: ReadonlySet<string> = new Set([
  'PutObject',
  'CopyObject',
  'UploadPart',
  'UploadPartCopy',
  'CreateMultipartUpload',
  'CompleteMultipartUpload',
  'ListObjectsV2',
  'ListObjects',
  'ListMultipartUploads',
  'ListParts',
  'PostObject',
  'CreateBucket',
]);
/** S3 operations that cost nothing. */
export const S3FreeOperations: ReadonlySet<string> = new Set([
  'DeleteObject',
  'DeleteObjects',
  'AbortMultipartUpload',
  'DeleteBucket',
]);
