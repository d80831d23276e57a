/**
 * Deliver: publishes a product to the distribution bucket under its subscriber-facing key,
 * records the delivery with a conditional write (a product is delivered once, whatever the
 * number of requests), then publishes `product.delivered`.
 */
import { createHash } from 'node:crypto';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { sourceOf } from '#shared/config.ts';
import { wrap } from '#shared/envelope/envelope.ts';

/** The effects delivery needs. */
export interface DeliverDeps {
  readonly distributionBucket: string;
  readonly copy: (from: { bucket: string; key: string }, to: { bucket: string; key: string }) => Promise<void>;
  /**
   * Records the delivery: `recorded`, or `retried` when this same request recorded it before
   * (a retry after a crash), or `delivered-before` when another request delivered the product.
   */
  readonly record: (productId: string, distributed: readonly { bucket: string; key: string }[], requestId: string) => Promise<'recorded' | 'retried' | 'delivered-before'>;
  readonly publish: (event: CometEvent) => Promise<void>;
}

/** Subscriber-facing keys: `<productType>/<productId>/<file name>`. */
export function distributionKeysOf(productType: string, productId: string, objects: readonly { key: string }[]): string[] {
  return objects.map((o) => `${productType}/${productId}/${o.key.slice(o.key.lastIndexOf('/') + 1)}`);
}

/**
 * Delivers one product.
 *
 * @example
 * const result = await deliverProduct(command, deps);
 */
export async function deliverProduct(command: CometEvent<typeof EventTypes.deliveryRequested>, deps: DeliverDeps):
  Promise<{ delivered: boolean; event?: CometEvent<typeof EventTypes.productDelivered> }> {
  const { productId, productType, product, manifest } = command.data;
  const sources = [product, manifest];
  const targets = distributionKeysOf(productType, productId, sources).map((key) => ({ bucket: deps.distributionBucket, key }));
  // Copies are idempotent (same bytes, same key), so they run before the record that makes the
  // delivery final: a crash in between is repaired by the retry.
  for (const [i, from] of sources.entries()) await deps.copy(from, targets[i]!);
  if (await deps.record(productId, targets, command.id) === 'delivered-before') return { delivered: false };
  const event = wrap({
    type: EventTypes.productDelivered, source: sourceOf('deliver'), cause: command, subject: productId,
    id: createHash('sha256').update(`delivered\n${productId}`).digest('hex').slice(0, 32),
    data: { productId, productType, distributed: targets },
  });
  await deps.publish(event);
  return { delivered: true, event };
}
