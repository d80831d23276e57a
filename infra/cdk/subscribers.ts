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
  /**
   * Its queue is SQS FIFO: each product stream (else each product type) is a message group,
   * received in sensing order; the product id is the deduplication id, so nothing comes twice.
   * @default false
   */
  readonly ordered?: boolean;
}

/**
 * The reference configuration: nowcasting takes the cycle statistics and the real-time lightning
 * windows, in order per stream (FIFO); climate takes everything, unordered.
 */
export const subscribers: readonly SubscriberSettings[] = [
  { name: 'Nowcasting', productTypes: ['fci-cycle-statistics', 'lightning-window'], ordered: true },
  { name: 'Climate', productTypes: ['*'] },
];
