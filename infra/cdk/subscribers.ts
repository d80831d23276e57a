/**
 * The subscribers of the reference pipeline: who the delivery saga notifies of which product
 * types. Each gets its own encrypted queue with a dead-letter queue (stack outputs
 * `QueueSubscriber<Name>` and `QueueSubscriber<Name>Dlq`); the saga function receives the list,
 * with the queue URLs, in `COMETFLOW_SUBSCRIBERS`.
 */

/** One subscriber. */
export interface SubscriberSettings {
  /** PascalCase name: the construct id of its queue and the suffix of its outputs. */
  readonly name: string;
  /** The product types it receives; `*` for every type. */
  readonly productTypes: readonly string[];
  /**
   * Receives by the subscriber before a notification moves to its dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/** The reference configuration: two subscribers of the cycle statistics, one of them of everything. */
export const subscribers: readonly SubscriberSettings[] = [
  { name: 'Nowcasting', productTypes: ['fci-cycle-statistics'] },
  { name: 'Climate', productTypes: ['*'] },
];
