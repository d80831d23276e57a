/**
 * The pipeline's errors. `name` is the contract with SQS retries and Step Functions
 * `Retry`/`Catch`; `retryable` tells the stage handler whether another attempt can help.
 */

/** Base of every error the pipeline raises on purpose. */
export class PipelineError extends Error {
  /** Whether a later attempt with the same input may succeed. */
  public readonly retryable: boolean;

  public constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipelineError';
    this.retryable = options.retryable ?? false;
  }
}

/** The input can never be processed as it is: quarantine it or dead-letter it, do not retry. */
export class InvalidInputError extends PipelineError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
    this.name = 'InvalidInputError';
  }
}

/**
 * The object under a key is no longer the upload a message names (its ETag differs): the provider
 * replaced it, and the new upload has a notification of its own. Not retryable: that version is
 * gone; the message is done with.
 */
export class ObjectReplacedError extends PipelineError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
    this.name = 'ObjectReplacedError';
  }
}

/** A downstream service throttled or timed out: retry with backoff. */
export class DownstreamThrottledError extends PipelineError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
    this.name = 'DownstreamThrottledError';
  }
}

/** A precondition is not met yet (an object not visible yet, a fact not recorded yet): retry. */
export class NotReadyError extends PipelineError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
    this.name = 'NotReadyError';
  }
}

/**
 * Names AWS services and the SDK give to throttling, overload and timeouts: a later attempt may
 * succeed. One list for every caller, so retries by name see the same contract everywhere.
 */
const throttlingNames: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'ServiceUnavailable',
  'InternalServerError',
  'TimeoutError',
  'KMSThrottlingException',
]);

/**
 * Runs an AWS call, turning throttling, overload and timeouts into `DownstreamThrottledError`
 * (retryable, and named for Step Functions' `Retry`); other errors pass unchanged.
 *
 * @example
 * await translateThrottling(`Sending ${event.id}`, () => sqs.send(command));
 */
export async function translateThrottling<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && throttlingNames.has(error.name)) {
      throw new DownstreamThrottledError(`${what}: ${error.name}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
