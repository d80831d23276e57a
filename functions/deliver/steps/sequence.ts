/**
 * Ordered notifications for subscribers that consume a stream in order (a FIFO queue, the
 * stream as message group). SQS FIFO keeps the order of sends within a group; this module
 * decides when a product of a stream may be sent and whether it is late, from the stream's
 * state in the deliveries table (`STREAM#<subscriber>#<stream>`): its head (the last product
 * notified to that subscriber) and the products waiting to be notified:
 *
 * - the head ends where this product starts, or after (its predecessor went): send now;
 * - the head is at or after this product's start: a later product went first; send, marked late;
 * - no head yet (a new stream), or the head ends before this product starts (a gap): the product
 *   waits with the others of its stream (`OutOfSequenceError`, retried by the state machine
 *   every second). The earliest waiting product goes once the stream has waited the holdback
 *   since the first of them started its saga; a later one goes as the successor of the head, or
 *   when it is the earliest left. So products that pass each other on the way are still sent
 *   in sensing order when their stream starts or resumes, not in the order they arrived.
 * - a product never waits more than the holdback plus `WAIT_GRACE_SECONDS` since its saga
 *   started (the state machine's retries cover that): then it is sent, late if a later one went.
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

/** A product of the stream waiting for its turn. */
export interface WaitingProduct {
  readonly productId: string;
  readonly sensingStart: string;
  /** When its saga started. */
  readonly startedAt: string;
}

/** What the deliveries table knows of one subscriber's stream. */
export interface StreamState {
  readonly head?: StreamHead;
  readonly waiting: readonly WaitingProduct[];
}

/** The stream heads, as the notify step uses them (the deliveries table). */
export interface StreamHeads {
  read(subscriber: string, stream: string): Promise<StreamState>;
  /** Records that `product` waits for its turn (idempotent). */
  wait(subscriber: string, stream: string, product: WaitingProduct): Promise<void>;
  /**
   * Moves the head to `head` if it is absent or starts before it (or already is this product),
   * and forgets `product` as waiting; `false` (and the head unchanged) when a product starting
   * at or after it got there first.
   */
  advance(subscriber: string, stream: string, head: StreamHead, product: WaitingProduct): Promise<boolean>;
}

/** What notify does with one product for one ordered subscriber. */
export type SequenceVerdict = { readonly send: true; readonly late: boolean };

/**
 * Seconds past the holdback a waiting product may still wait for an earlier one that is
 * already due (that one's next retry, a second away); below the state machine's extra attempts.
 */
export const WAIT_GRACE_SECONDS = 3;

/**
 * Decides, then records, the notification of a product to an ordered subscriber; throws
 * `OutOfSequenceError` while the product must wait for its turn.
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
  const { subscriber, productId, sequence, heads, holdbackSeconds } = input;
  const { head, waiting } = await heads.read(subscriber, sequence.stream);
  const mine: StreamHead = { productId, sensingStart: sequence.sensingStart, sensingEnd: sequence.sensingEnd };
  const me: WaitingProduct = { productId, sensingStart: sequence.sensingStart, startedAt: input.startedAt };
  const send = async (): Promise<SequenceVerdict> => {
    // Recorded before the send: a product that loses this race to a later one is late.
    const advanced = await heads.advance(subscriber, sequence.stream, mine, me);
    return { send: true, late: !advanced };
  };
  if (head?.productId === productId) return { send: true, late: false };
  const start = Date.parse(sequence.sensingStart);
  if (head !== undefined && Date.parse(head.sensingStart) >= start) return send();
  if (head !== undefined && Date.parse(head.sensingEnd) >= start) return send();
  const now = input.now.getTime();
  const waited = (now - Date.parse(input.startedAt)) / 1000;
  if (waited >= holdbackSeconds + WAIT_GRACE_SECONDS) return send();
  if (!waiting.some((w) => w.productId === productId)) await heads.wait(subscriber, sequence.stream, me);
  // The products of the stream still to come after the head; a record older than any product
  // may wait is left over from a product that went some other way (its saga failed).
  const staleMs = (holdbackSeconds + 2 * WAIT_GRACE_SECONDS) * 1000;
  const queue = [...waiting.filter((w) => w.productId !== productId), me].filter(
    (w) => (head === undefined || w.sensingStart > head.sensingStart) && now - Date.parse(w.startedAt) <= staleMs,
  );
  const earliest = queue.reduce((a, b) => (b.sensingStart < a.sensingStart ? b : a));
  const streamWaited = (now - Math.min(...queue.map((w) => Date.parse(w.startedAt)))) / 1000;
  const after = head === undefined ? 'no product yet' : `the window ending ${head.sensingEnd}`;
  if (earliest.productId !== productId) {
    throw new OutOfSequenceError(
      `Product ${productId} of stream ${sequence.stream} starts at ${sequence.sensingStart}, but ${subscriber} was notified of ${after} and the earlier product ${earliest.productId} (${earliest.sensingStart}) waits too; holding it back (${waited.toFixed(1)} of ${holdbackSeconds} s)`,
    );
  }
  if (streamWaited < holdbackSeconds) {
    throw new OutOfSequenceError(
      `Product ${productId} of stream ${sequence.stream} starts at ${sequence.sensingStart}, but ${subscriber} was notified of ${after}; holding it back for its predecessor (${streamWaited.toFixed(1)} of ${holdbackSeconds} s)`,
    );
  }
  return send();
}
