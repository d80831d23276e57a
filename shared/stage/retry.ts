/** When a failed message comes back, shared by the Lambda stage handler and the container worker. */

/** Retry delays after a retryable failure: 2, 4, 8 ... seconds, at most 5 minutes. */
export const backoffSeconds = (receiveCount: number): number => Math.min(300, 2 ** Math.max(1, receiveCount));
