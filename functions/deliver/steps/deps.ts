/**
 * The effects the saga's steps need, injected: the steps themselves are pure. `aws-deps.ts` one
 * folder up implements them on S3, DynamoDB and SQS; tests use in-memory fakes.
 */
import type { CometEvent } from '#events/registry.ts';
import type { BreakerStore, BreakerSettings } from './breaker.ts';
import type { FaultSource } from './faults.ts';
import type { StreamHeads } from './sequence.ts';
import type { Subscriber } from './subscribers.ts';

/** Where an object is. */
export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
}

/** The catalog record of a delivery (`PRODUCT#<productId>` in the deliveries table). */
export interface DeliveryRecord {
  readonly productId: string;
  readonly productType: string;
  readonly correlationId: string;
  /** The execution that registered it: only it may confirm or withdraw it. */
  readonly execution: string;
  /** Id of the `delivery.requested` command. */
  readonly requestId: string;
  readonly distributed: readonly ObjectLocation[];
  readonly product: { readonly size: number; readonly sha256: string };
  /** Where the product comes from: its manifest, algorithm and inputs. */
  readonly lineage: Record<string, unknown>;
  /** Requested, saga started, published, registered (ISO 8601). */
  readonly timings: Record<string, string>;
}

/** The deliveries table, as the steps use it. */
export interface DeliveryRecords {
  /**
   * Writes the record with status `registered` unless another execution's record that is not
   * withdrawn is there: `conflict` then.
   */
  register(record: DeliveryRecord, at: Date): Promise<'registered' | 'conflict'>;
  /** Sets status `delivered` on this execution's record. */
  confirm(productId: string, execution: string, at: Date): Promise<void>;
  /** Sets status `withdrawn` on this execution's record; `false` when it has none. */
  withdraw(productId: string, execution: string, reason: string, at: Date): Promise<boolean>;
}

/** How a message goes to a FIFO queue. */
export interface FifoMessage {
  /** Messages of one group are received in the order they were sent. */
  readonly groupId: string;
  /** A second send with this id within 5 minutes is accepted and dropped by SQS. */
  readonly deduplicationId: string;
}

/** Every effect of the saga. */
export interface SagaDeps {
  readonly distributionBucket: string;
  readonly subscribers: readonly Subscriber[];
  readonly breaker: BreakerSettings;
  /** Server-side copy; the same bytes at the same key again is harmless. */
  readonly copy: (from: ObjectLocation, to: ObjectLocation) => Promise<void>;
  /** Deletes an object; deleting a missing one succeeds. */
  readonly remove: (location: ObjectLocation) => Promise<void>;
  /** The whole content of an object. */
  readonly read: (location: ObjectLocation) => Promise<Buffer>;
  readonly records: DeliveryRecords;
  readonly faults: FaultSource;
  readonly breakers: BreakerStore;
  /** Sends an event to a subscriber's queue; `fifo` for an ordered subscriber's FIFO queue. */
  readonly notify: (queueUrl: string, event: CometEvent, fifo?: FifoMessage) => Promise<void>;
  /** The stream heads of ordered subscribers. */
  readonly heads: StreamHeads;
  /** Seconds a product of an ordered stream may wait for its predecessor, counted from the saga's start. */
  readonly holdbackSeconds: number;
  /** Publishes an event to the event bus. */
  readonly publish: (event: CometEvent) => Promise<void>;
  readonly now: () => Date;
}
