/**
 * Errors of the delivery saga. Their `name` is the contract with the state machine: its `Retry`
 * and `Catch` fields name them (infra/cdk/constructs/delivery-saga.ts imports `SagaErrorNames`),
 * and Step Functions matches a Lambda error by the `errorType` the Node.js runtime reports,
 * which is the thrown error's `name`.
 */
import { DownstreamThrottledError, PipelineError } from '#shared/errors.ts';

/**
 * A subscriber's circuit breaker is open: it failed too often lately, so the notify step fails
 * fast instead of hammering it. Terminal for this delivery: the saga compensates.
 */
export class SubscriberUnavailableError extends PipelineError {
  /** The subscriber whose breaker is open. */
  public readonly subscriber: string;

  public constructor(subscriber: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
    this.name = 'SubscriberUnavailableError';
    this.subscriber = subscriber;
  }
}

/**
 * A fault configured by an operator (a `FAULT#<step>` item in the deliveries table) made the
 * step fail on purpose. Terminal: the saga compensates, as it would for a real terminal failure.
 */
export class InjectedFaultError extends PipelineError {
  public constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'InjectedFaultError';
  }
}

/**
 * Another execution registered this product first. Terminal and not compensated: the objects
 * this execution published are byte-identical copies at the keys the other delivery owns.
 */
export class DeliveryConflictError extends PipelineError {
  public constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'DeliveryConflictError';
  }
}

/**
 * A product of an ordered stream waits for its predecessor to be notified. Retried by the state
 * machine every second (a Retry of its own); the notify step stops throwing it once the holdback
 * has passed, so it never exhausts its retries.
 */
export class OutOfSequenceError extends PipelineError {
  public constructor(message: string) {
    super(message, { retryable: true });
    this.name = 'OutOfSequenceError';
  }
}

/** Error names the state machine refers to, grouped by how it handles them. */
export const SagaErrorNames = {
  /** Retried with backoff: a throttled or briefly unavailable downstream service. */
  retryable: ['DownstreamThrottledError', 'NotReadyError'],
  /** Errors Lambda itself raises around an invocation (throttling, service faults, timeouts). */
  lambdaService: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'Lambda.ClientExecutionTimeoutException',
  ],
  /** No retry can help: compensate at once. */
  terminal: ['InvalidInputError', 'SubscriberUnavailableError', 'InjectedFaultError'],
  /** Ends the execution without compensating (see `DeliveryConflictError`). */
  conflict: ['DeliveryConflictError'],
  /** Retried every second while an ordered product waits for its predecessor (see `OutOfSequenceError`). */
  sequence: ['OutOfSequenceError'],
} as const;

/**
 * The error a saga task throws for `error`: a pipeline error as it is (its name is what the
 * state machine's Retry and Catch match); anything else (an SDK error after the client's own
 * retries, a refused or reset connection during an outage) as a retryable
 * `DownstreamThrottledError`, so the state machine retries the step before compensating. Thrown
 * as it was, its name (`Error`, `TimeoutError`, ...) matches no Retry: a few seconds of a
 * downstream outage compensated the delivery, and the product was never delivered.
 */
export function sagaErrorOf(error: unknown): Error {
  if (error instanceof PipelineError) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new DownstreamThrottledError(`A saga step failed on a downstream call, to retry: ${message}`, {
    cause: error,
  });
}
