/**
 * Step 1, publish: copies the product and its manifest to the distribution bucket under the
 * subscriber-facing keys `<productType>/<productId>/<file name>`. Its compensation, unpublish,
 * deletes them. Both are idempotent: the same bytes at the same key, a delete of a missing key.
 */
import type { EventTypes, CometEvent } from '#events/registry.ts';
import type { ObjectLocation, SagaDeps } from './deps.ts';
import { injectFault } from './faults.ts';
import type { PublishResult, SagaState } from './saga-state.ts';

/** Subscriber-facing keys: `<productType>/<productId>/<file name>`. */
export function distributionKeysOf(
  productType: string,
  productId: string,
  objects: readonly { key: string }[],
): string[] {
  return objects.map((o) => `${productType}/${productId}/${o.key.slice(o.key.lastIndexOf('/') + 1)}`);
}

/** Where a product and its manifest are distributed: product first, then manifest. */
export function distributionOf(
  command: CometEvent<typeof EventTypes.deliveryRequested>,
  bucket: string,
): ObjectLocation[] {
  const { productId, productType, product, manifest } = command.data;
  return distributionKeysOf(productType, productId, [product, manifest]).map((key) => ({ bucket, key }));
}

/**
 * Copies product and manifest to the distribution bucket.
 *
 * @example
 * const { distributed } = await publish(saga, deps);
 */
export async function publish(saga: SagaState, deps: SagaDeps): Promise<PublishResult> {
  await injectFault('publish', saga.command, deps.faults);
  const { product, manifest } = saga.command.data;
  const targets = distributionOf(saga.command, deps.distributionBucket);
  // The manifest goes last: a subscriber that sees it may rely on the product being there.
  await deps.copy(product, targets[0]!);
  await deps.copy(manifest, targets[1]!);
  return { distributed: targets, publishedAt: deps.now().toISOString() };
}

/**
 * Deletes the distributed objects. The keys derive from the command, not from publish's
 * result: a publish that failed half-way or timed out has no result but may have copied.
 */
export async function unpublish(saga: SagaState, deps: SagaDeps): Promise<{ removed: ObjectLocation[] }> {
  await injectFault('unpublish', saga.command, deps.faults);
  const targets = distributionOf(saga.command, deps.distributionBucket);
  // Manifest first: a subscriber never sees a manifest whose product is gone.
  for (const target of [...targets].reverse()) await deps.remove(target);
  return { removed: targets };
}
