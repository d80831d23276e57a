/**
 * Step 3, notify: sends `delivery.available` to the queue of every subscriber of the product
 * type, each through its circuit breaker. Its compensation, unnotify, sends
 * `delivery.withdrawn` to the same subscribers, bypassing the breakers: a withdrawal must
 * reach a subscriber, and if it cannot the compensation's retries and alarm say so.
 */
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { sourceOf } from '#shared/config.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { checkBreakers, throughBreaker } from './breaker.ts';
import type { SagaDeps } from './deps.ts';
import { injectFault } from './faults.ts';
import { distributionOf } from './publish.ts';
import { reasonOf, type NotifyResult, type SagaState } from './saga-state.ts';
import type { FifoMessage } from './deps.ts';
import { sequenceProduct } from './sequence.ts';
import { subscribersOf, type Subscriber } from './subscribers.ts';
import { stableId } from '#shared/ids.ts';

/** A deterministic event id: a retried step sends the same event, which subscribers recognize. */
const idOf = stableId;

/** The notification a subscriber receives for a delivered product. */
export function availableEvent(
  saga: SagaState,
  subscriber: string,
  distributionBucket: string,
  late?: boolean,
): CometEvent<typeof EventTypes.deliveryAvailable> {
  const { command } = saga;
  const { productId, productType, product, sequence } = command.data;
  const [productCopy, manifestCopy] = distributionOf(command, distributionBucket) as [
    { bucket: string; key: string },
    { bucket: string; key: string },
  ];
  return wrap({
    type: EventTypes.deliveryAvailable,
    source: sourceOf('deliver'),
    cause: command,
    subject: productId,
    id: idOf('available', productId, subscriber),
    data: {
      productId,
      productType,
      subscriber,
      product: { ...productCopy, size: product.size, sha256: product.sha256 },
      manifest: manifestCopy,
      ...(sequence === undefined ? {} : { sequence }),
      ...(late === undefined ? {} : { late }),
    },
  });
}

/**
 * The FIFO settings of a notification to an ordered subscriber: its stream (else its product
 * type) as message group, so one stream never waits behind another; the product id (with the
 * kind of notification) as deduplication id, so a retried step is delivered once.
 */
export function fifoOf(
  saga: SagaState,
  subscriber: Subscriber,
  kind: 'available' | 'withdrawn',
): FifoMessage | undefined {
  if (subscriber.ordered !== true) return undefined;
  const { productId, productType, sequence } = saga.command.data;
  return {
    groupId: sequence?.stream ?? productType,
    deduplicationId: kind === 'available' ? productId : `${kind}-${productId}`,
  };
}

/**
 * Notifies every subscriber of the product type. Fails fast with `SubscriberUnavailableError`
 * when one subscriber's breaker is open, before sending anything.
 *
 * @example
 * const { notified } = await notify(saga, deps);
 */
export async function notify(saga: SagaState, deps: SagaDeps): Promise<NotifyResult> {
  await injectFault('notify', saga.command, deps.faults);
  const subscribers = subscribersOf(saga.command.data.productType, deps.subscribers);
  const permits = await checkBreakers(
    subscribers.map((s) => s.name),
    deps.breakers,
    deps.now(),
  );
  // Ordered subscribers first, before anything is sent: a product held back for its
  // predecessor (OutOfSequenceError) has then notified no one, and its retry starts clean.
  const late = new Map<string, boolean>();
  const { sequence, productId } = saga.command.data;
  for (const subscriber of subscribers) {
    if (subscriber.ordered !== true || sequence === undefined) continue;
    const verdict = await sequenceProduct({
      subscriber: subscriber.name,
      productId,
      sequence,
      startedAt: saga.execution.startedAt,
      now: deps.now(),
      heads: deps.heads,
      holdbackSeconds: deps.holdbackSeconds,
    });
    late.set(subscriber.name, verdict.late);
  }
  for (const [i, subscriber] of subscribers.entries()) {
    await throughBreaker(permits[i]!, deps.breakers, deps.breaker, deps.now, () =>
      deps.notify(
        subscriber.queueUrl,
        availableEvent(saga, subscriber.name, deps.distributionBucket, late.get(subscriber.name)),
        fifoOf(saga, subscriber, 'available'),
      ),
    );
  }
  return { notified: subscribers.map((s) => s.name), notifiedAt: deps.now().toISOString() };
}

/**
 * Withdraws the product from every subscriber of its type, whether or not the failed notify
 * reached it: a subscriber ignores the withdrawal of a product it never heard of.
 */
export async function unnotify(saga: SagaState, deps: SagaDeps): Promise<{ withdrawnFrom: string[] }> {
  await injectFault('unnotify', saga.command, deps.faults);
  const { command } = saga;
  const { productId, productType } = command.data;
  const reason =
    `Delivery compensated: step ${saga.failedStep ?? 'unknown'} failed with ${saga.failure?.Error ?? 'an unknown error'}: ${reasonOf(saga.failure)}`.slice(
      0,
      1000,
    );
  const subscribers = subscribersOf(productType, deps.subscribers);
  for (const subscriber of subscribers) {
    await deps.notify(
      subscriber.queueUrl,
      wrap({
        type: EventTypes.deliveryWithdrawn,
        source: sourceOf('deliver'),
        cause: command,
        subject: productId,
        id: idOf('withdrawn', productId, subscriber.name),
        data: { productId, productType, subscriber: subscriber.name, reason },
      }),
      fifoOf(saga, subscriber, 'withdrawn'),
    );
  }
  return { withdrawnFrom: subscribers.map((s) => s.name) };
}
