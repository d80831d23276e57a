/** When a failed message comes back, shared by the Lambda stage handler and the container worker. */

/** Retry delays after a retryable failure: 2, 4, 8 ... seconds, at most 5 minutes. */
export const backoffSeconds = (receiveCount: number): number => Math.min(300, 2 ** Math.max(1, receiveCount));

/** SQS's longest visibility timeout (12 hours). */
const MAX_VISIBILITY_SECONDS = 12 * 3600;

/**
 * When a record that failed with `error` comes back. Another run holding the event's idempotency
 * record in progress (a concurrent delivery, or a run that failed and could not release it) holds
 * it until its deadline at most, which is within `lockBoundSeconds` from now: coming back after
 * that, the retry finds the stored result or a free record. Backing off 2, 4, 8 s instead spends
 * every receive while the record is still held, and the message reaches the dead-letter queue.
 */
export function retryDelaySeconds(error: unknown, receiveCount: number, lockBoundSeconds: number): number {
  const name = error instanceof Error ? error.name : '';
  if (name === 'IdempotencyAlreadyInProgressError') {
    return Math.min(MAX_VISIBILITY_SECONDS, Math.max(backoffSeconds(receiveCount), Math.ceil(lockBoundSeconds) + 1));
  }
  return backoffSeconds(receiveCount);
}
