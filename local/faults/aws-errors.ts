/**
 * The errors AWS really returns when it throttles or fails, per protocol, with the status, headers
 * and body each SDK protocol parser reads: JSON 1.0 services (DynamoDB, SQS, Step Functions) name
 * the error in `__type` (and SQS also in `x-amzn-query-error`), S3 (REST-XML) in `<Code>`.
 * Sources: the DynamoDB, S3, SQS and Step Functions API references ("Common errors", "Error
 * responses"), and the SDK's own lists of throttling and transient error codes.
 */

/** A service the fault proxy stands in front of, named as `AWS_ENDPOINT_URL_<SERVICE>` names it. */
export type ProxiedService = 's3' | 'sqs' | 'dynamodb' | 'sfn';

/** An error response as the service sends it. */
export interface AwsErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What an injected error is: its code (the SDK's `error.name`) and HTTP status. */
export interface AwsErrorSpec {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

/** The throttling errors of each service, chosen from at random. */
export const ThrottlingErrors: Readonly<Record<ProxiedService, readonly AwsErrorSpec[]>> = {
  dynamodb: [
    { code: 'ThrottlingException', status: 400, message: 'Rate of requests exceeds the allowed throughput.' },
    {
      code: 'ProvisionedThroughputExceededException',
      status: 400,
      message:
        'The level of configured provisioned throughput for the table was exceeded. ' +
        'Consider increasing your provisioning level with the UpdateTable API.',
    },
  ],
  s3: [{ code: 'SlowDown', status: 503, message: 'Please reduce your request rate.' }],
  sqs: [{ code: 'ThrottlingException', status: 400, message: 'Rate exceeded' }],
  sfn: [{ code: 'ThrottlingException', status: 400, message: 'Rate exceeded' }],
};

/** The server-side failures of each service, chosen from at random. */
export const ServerErrors: Readonly<Record<ProxiedService, readonly AwsErrorSpec[]>> = {
  dynamodb: [{ code: 'InternalServerError', status: 500, message: 'Internal server error' }],
  s3: [
    { code: 'InternalError', status: 500, message: 'We encountered an internal error. Please try again.' },
    { code: 'ServiceUnavailable', status: 503, message: 'Service is unable to handle request.' },
    {
      code: 'RequestTimeout',
      status: 400,
      message:
        'Your socket connection to the server was not read from or written to within the timeout period. ' +
        'Idle connections will be closed.',
    },
  ],
  sqs: [
    {
      code: 'InternalFailure',
      status: 500,
      message: 'The request processing has failed because of an unknown error, exception or failure.',
    },
    {
      code: 'ServiceUnavailable',
      status: 503,
      message: 'The request has failed due to a temporary failure of the server.',
    },
  ],
  sfn: [{ code: 'ServiceUnavailable', status: 503, message: 'Service Unavailable' }],
};

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON 1.0 error shapes carry a namespace before `#`; the SDK keeps only what follows it. */
const jsonNamespace: Readonly<Record<Exclude<ProxiedService, 's3'>, string>> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810',
  sqs: 'com.amazonaws.sqs',
  sfn: 'com.amazonaws.swf.service.model',
};

/**
 * The response AWS sends for `spec` on `service`. A HEAD request gets no body (S3 sends none,
 * and the SDK then names the error from the status code).
 */
export function awsErrorResponse(
  service: ProxiedService,
  spec: AwsErrorSpec,
  requestId: string,
  method: string,
): AwsErrorResponse {
  if (service === 's3') {
    const body =
      method === 'HEAD'
        ? ''
        : '<?xml version="1.0" encoding="UTF-8"?>\n' +
          `<Error><Code>${spec.code}</Code><Message>${escapeXml(spec.message)}</Message>` +
          `<RequestId>${requestId}</RequestId>` +
          `<HostId>${Buffer.from(requestId).toString('base64')}</HostId></Error>`;
    return {
      status: spec.status,
      headers: {
        'content-type': 'application/xml',
        'x-amz-request-id': requestId,
        'x-amz-id-2': Buffer.from(requestId).toString('base64'),
      },
      body,
    };
  }
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': `${spec.code}:`,
  };
  // SQS's JSON protocol also names the error in the query-compatible header its SDK reads first.
  if (service === 'sqs') headers['x-amzn-query-error'] = `${spec.code};${spec.status >= 500 ? 'Receiver' : 'Sender'}`;
  return {
    status: spec.status,
    headers,
    body: JSON.stringify({ __type: `${jsonNamespace[service]}#${spec.code}`, message: spec.message }),
  };
}

/**
 * The operation of a request: the `X-Amz-Target` of the JSON services, or for S3 (path-style
 * REST) the method, whether a key is named, and the sub-resource in the query.
 */
export function operationOf(
  service: ProxiedService,
  method: string,
  url: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string {
  if (service !== 's3') {
    const target = headers['x-amz-target'];
    const value = Array.isArray(target) ? target[0] : target;
    if (value?.includes('.')) return value.slice(value.lastIndexOf('.') + 1);
    return `${method} (no target)`;
  }
  const parsed = new URL(url, 'http://proxy');
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  const hasKey = segments.length > 1;
  const query = parsed.searchParams;
  const copy = headers['x-amz-copy-source'] !== undefined;
  switch (method) {
    case 'PUT':
      if (query.has('uploadId') && query.has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
      if (!hasKey) return 'CreateBucket';
      return copy ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      if (query.has('delete')) return 'DeleteObjects';
      return 'PostObject';
    case 'DELETE':
      if (query.has('uploadId')) return 'AbortMultipartUpload';
      return hasKey ? 'DeleteObject' : 'DeleteBucket';
    case 'GET':
      if (!hasKey)
        return query.has('uploads')
          ? 'ListMultipartUploads'
          : query.get('list-type') === '2'
            ? 'ListObjectsV2'
            : 'ListObjects';
      return query.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return hasKey ? 'HeadObject' : 'HeadBucket';
    default:
      return method;
  }
}
