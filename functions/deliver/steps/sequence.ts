/**
 * Ordered notifications for subscribers that consume a stream in order (a FIFO queue, the
 * stream as message group). SQS FIFO keeps the order of sends within a group; this module
 * decides when a product of a stream may be sent and whether it is late, from the stream's
 * head (the last product notified to that subscriber, `STREAM#<subscriber>#<stream>` in the
 * deliveries table):
 *
 * - no head yet, or the head ends where this product starts (its predecessor): send now;
 * - the head is at or after this product's start: a later product went first; send, marked late;
 * - the head ends before this product starts (a gap: the predecessor is still on its way): hold
 *   the product back (`OutOfSequenceError`, retried by the state machine every second) until
 *   the predecessor is notified or the holdback has passed since the saga started; then send.
 */
import type { EventData, EventTypes } from '#events/registry.ts';
import { OutOfSequenceError } from '../errors.ts';

/** A product's place in its stream. */
export type Sequence = NonNullable<EventData<typeof EventTypes.deliveryRequested>['sequence']>;

/** The last product of a stream notified to one subscriber. */
export interface StreamHead {
  readonly productId: string;
  readonly sensingStart: string;
  /** Where the next product is expected to start. */
  readonly sensingEnd: string;
}

/** The stream heads, as the notify step uses them (the deliveries table). */
export interface StreamHeads {
  read(subscriber: string, stream: string): Promise<StreamHead | undefined>;
  /**
   * Moves the head to `head` if it is absent or starts before it (or already is this product);
   * `false` when a product starting at or after it got there first.
   */
  advance(subscriber: string, stream: string, head: StreamHead): Promise<boolean>;
}

/** What notify does with one product for one ordered subscriber. */
export type SequenceVerdict = { readonly send: true; readonly late: boolean };

/**
 * Decides, then records, the notification of a product to an ordered subscriber; throws
 * `OutOfSequenceError` while the product must wait for its predecessor.
 *
 * @example
 * const { late } = await sequenceProduct({ subscriber: 'Nowcasting', productId, sequence, startedAt, now, heads, holdbackSeconds: 10 });
 */
export async function sequenceProduct(input: {
  readonly subscriber: string;
  readonly productId: string;
  readonly sequence: Sequence;
  /** When the saga started: the holdback counts from there. */
  readonly startedAt: string;
  readonly now: Date;
  readonly heads: StreamHeads;
  readonly holdbackSeconds: number;
}): Promise<SequenceVerdict> {
  const { subscriber, productId, sequence, heads } = input;
  const head = await heads.read(subscriber, sequence.stream);
  const mine: StreamHead = { productId, sensingStart: sequence.sensingStart, sensingEnd: sequence.sensingEnd };
  if (head?.productId === productId) return { send: true, late: false };
  const start = Date.parse(sequence.sensingStart);
  if (head !== undefined && Date.parse(head.sensingStart) >= start) return { send: true, late: true };
  if (head !== undefined && Date.parse(head.sensingEnd) < start) {
    const waited = (input.now.getTime() - Date.parse(input.startedAt)) / 1000;
    if (waited < input.holdbackSeconds) {
      throw new OutOfSequenceError(
        `Product ${productId} of stream ${sequence.stream} starts at ${sequence.sensingStart}, but ${subscriber} was last notified of the window ending ${head.sensingEnd}; holding it back for its predecessor (${waited.toFixed(1)} of ${input.holdbackSeconds} s)`,
      );
    }
  }
  // Recorded before the send: a product that loses this race to a later one is late.
  const advanced = await heads.advance(subscriber, sequence.stream, mine);
  return { send: true, late: !advanced };
}
