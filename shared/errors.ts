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
