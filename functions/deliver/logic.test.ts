import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { deliverProduct, distributionKeysOf, type DeliverDeps } from './logic.ts';

const PRODUCTS = 'cometflow-products';
const DISTRIBUTION = 'cometflow-distribution';
const PRODUCT_ID = '70cf47380b9674f26bc8432dc68cdf0c';

/** A `delivery.requested` command for one product. */
const deliveryRequested = (id = 'request-1'): CometEvent<typeof EventTypes.deliveryRequested> => wrap({
  type: EventTypes.deliveryRequested, source: 'cometflow/scheduler', id, correlationId: 'cycle-20261122-061',
  data: {
    productId: PRODUCT_ID, productType: 'fci-chunk-statistics',
    product: { bucket: PRODUCTS, key: `fci-chunk-statistics/cycle-20261122-061/${PRODUCT_ID}.json`, size: 100, sha256: 'a'.repeat(64) },
    manifest: { bucket: PRODUCTS, key: `fci-chunk-statistics/cycle-20261122-061/${PRODUCT_ID}.manifest.json` },
  },
});

type Recorded = 'recorded' | 'retried' | 'delivered-before';

/** In-memory delivery effects: a log of every call in order; `record` answers as preset. */
function fakeDeliver(answer: Recorded = 'recorded') {
  const calls: string[] = [];
  const records: { productId: string; distributed: readonly { bucket: string; key: string }[]; requestId: string }[] = [];
  const published: CometEvent[] = [];
  const deps: DeliverDeps = {
    distributionBucket: DISTRIBUTION,
    copy: async (from, to) => { calls.push(`copy ${from.bucket}/${from.key} -> ${to.bucket}/${to.key}`); },
    record: async (productId, distributed, requestId) => {
      calls.push('record');
      records.push({ productId, distributed, requestId });
      return answer;
    },
    publish: async (event) => { calls.push('publish'); published.push(event); },
  };
  return { deps, calls, records, published };
}

describe('deliverProduct', () => {
  it('copies product and manifest, then records the delivery, then publishes product.delivered', async () => {
    // Prepare
    const fake = fakeDeliver();
    const command = deliveryRequested();
    const target = `${DISTRIBUTION}/fci-chunk-statistics/${PRODUCT_ID}`;

    // Act
    const result = await deliverProduct(command, fake.deps);

    // Assess
    expect(fake.calls).toEqual([
      `copy ${PRODUCTS}/${command.data.product.key} -> ${target}/${PRODUCT_ID}.json`,
      `copy ${PRODUCTS}/${command.data.manifest.key} -> ${target}/${PRODUCT_ID}.manifest.json`,
      'record',
      'publish',
    ]);
    expect(fake.records).toEqual([{
      productId: PRODUCT_ID, requestId: 'request-1',
      distributed: [
        { bucket: DISTRIBUTION, key: `fci-chunk-statistics/${PRODUCT_ID}/${PRODUCT_ID}.json` },
        { bucket: DISTRIBUTION, key: `fci-chunk-statistics/${PRODUCT_ID}/${PRODUCT_ID}.manifest.json` },
      ],
    }]);
    expect(result.delivered).toBe(true);
    expect(result.event).toMatchObject({
      type: EventTypes.productDelivered, source: 'cometflow/deliver', subject: PRODUCT_ID,
      correlationid: 'cycle-20261122-061', causationid: 'request-1',
      data: { productId: PRODUCT_ID, productType: 'fci-chunk-statistics', distributed: fake.records[0]!.distributed },
    });
    expect(fake.published).toEqual([result.event]);
  });

  it('publishes nothing when another request delivered the product before', async () => {
    // Prepare
    const fake = fakeDeliver('delivered-before');

    // Act
    const result = await deliverProduct(deliveryRequested('request-2'), fake.deps);

    // Assess
    expect(result).toEqual({ delivered: false });
    expect(fake.published).toEqual([]);
  });

  it('publishes again, with the same event id, when the same request is retried', async () => {
    // Prepare
    const first = fakeDeliver('recorded');
    const retry = fakeDeliver('retried');

    // Act
    const original = await deliverProduct(deliveryRequested(), first.deps);
    const again = await deliverProduct(deliveryRequested(), retry.deps);

    // Assess
    expect(again.delivered).toBe(true);
    expect(retry.published).toHaveLength(1);
    expect(again.event!.id).toBe(original.event!.id);
  });

  it('does not record a delivery whose copy failed', async () => {
    // Prepare
    const fake = fakeDeliver();
    const deps: DeliverDeps = { ...fake.deps, copy: async () => { throw new Error('AccessDenied'); } };

    // Act
    const act = deliverProduct(deliveryRequested(), deps);

    // Assess
    await expect(act).rejects.toThrow('AccessDenied');
    expect(fake.records).toEqual([]);
    expect(fake.published).toEqual([]);
  });
});

describe('distributionKeysOf', () => {
  it('keeps only the file name of each object under <productType>/<productId>/', () => {
    // Act
    const keys = distributionKeysOf('t', 'id', [{ key: 'a/b/c.json' }, { key: 'flat.json' }]);

    // Assess
    expect(keys).toEqual(['t/id/c.json', 't/id/flat.json']);
  });
});
