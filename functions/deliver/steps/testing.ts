/**
 * In-memory effects of the saga for unit tests: a log of every call in order, objects, records,
 * faults and breakers in maps.
 */
import { createHash } from 'node:crypto';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import type { BreakerState } from './breaker.ts';
import type { DeliveryRecord, FifoMessage, SagaDeps } from './deps.ts';
import type { StreamHead, WaitingProduct } from './sequence.ts';
import type { Fault } from './faults.ts';
import type { SagaState } from './saga-state.ts';
import type { Subscriber } from './subscribers.ts';

export const PRODUCTS = 'cometflow-products';
export const DISTRIBUTION = 'cometflow-distribution';
export const PRODUCT_ID = '70cf47380b9674f26bc8432dc68cdf0c';
export const PRODUCT_TYPE = 'fci-cycle-statistics';
export const NOW = new Date('2026-11-22T10:14:30.000Z');

/** A `delivery.requested` command for one product. */
export const deliveryRequested = (
  id = 'request-1',
  productType = PRODUCT_TYPE,
): CometEvent<typeof EventTypes.deliveryRequested> =>
  wrap({
    type: EventTypes.deliveryRequested,
    source: 'cometflow/scheduler',
    id,
    correlationId: 'cycle-20261122-061',
    time: new Date('2026-11-22T10:14:26.452Z'),
    data: {
      productId: PRODUCT_ID,
      productType,
      product: {
        bucket: PRODUCTS,
        key: `${productType}/cycle-20261122-061/${PRODUCT_ID}.json`,
        size: 100,
        sha256: 'a'.repeat(64),
      },
      manifest: { bucket: PRODUCTS, key: `${productType}/cycle-20261122-061/${PRODUCT_ID}.manifest.json` },
    },
  });

/** The execution document as the state machine's Start state builds it. */
export const sagaOf = (command = deliveryRequested(), extra: Partial<SagaState> = {}): SagaState => ({
  command,
  execution: { name: `product-${command.data.productId}`, startedAt: '2026-11-22T10:14:27.000Z' },
  ...extra,
});

/** A manifest as process writes it. */
export const manifestOf = (productId = PRODUCT_ID): Buffer =>
  Buffer.from(
    JSON.stringify({
      productId,
      productType: PRODUCT_TYPE,
      algorithm: { name: 'byte-statistics', version: '1' },
      correlationId: 'cycle-20261122-061',
      requestedBy: 'processing-request-1',
      degraded: false,
      missing: [],
      product: { bucket: PRODUCTS, key: 'k', size: 100, sha256: 'a'.repeat(64) },
      inputs: [
        {
          bucket: 'archive',
          key: 'eumetsat/2026/11/22/chunk-1.nc',
          name: 'chunk-1.nc',
          size: 10,
          sha256: createHash('sha256').update('1').digest('hex'),
        },
      ],
      generatedAt: '2026-11-22T10:14:20.000Z',
    }),
  );

export const SUBSCRIBERS: Subscriber[] = [
  { name: 'Nowcasting', queueUrl: 'https://sqs/nowcasting', productTypes: [PRODUCT_TYPE] },
  { name: 'Climate', queueUrl: 'https://sqs/climate', productTypes: ['*'] },
  { name: 'Lightning', queueUrl: 'https://sqs/lightning', productTypes: ['li-flashes'] },
];

/** In-memory saga effects. */
export function fakeSaga(
  options: {
    faults?: Fault[];
    breakers?: Record<string, BreakerState>;
    failSend?: (queueUrl: string) => Error | undefined;
    subscribers?: Subscriber[];
    now?: Date;
    holdbackSeconds?: number;
  } = {},
) {
  const calls: string[] = [];
  const objects = new Map<string, Buffer>();
  const records = new Map<string, DeliveryRecord & { status: string; withdrawnReason?: string }>();
  const fired = new Set<string>();
  const breakers = new Map(Object.entries(options.breakers ?? {}));
  const sent: { queueUrl: string; event: CometEvent; fifo?: FifoMessage }[] = [];
  const heads = new Map<string, StreamHead>();
  const waiting = new Map<string, WaitingProduct[]>();
  let now = options.now ?? NOW;
  const published: CometEvent[] = [];
  const faults = options.faults ?? [];
  const at = (l: { bucket: string; key: string }): string => `${l.bucket}/${l.key}`;
  objects.set(at(deliveryRequested().data.product), Buffer.from('product'));
  objects.set(at(deliveryRequested().data.manifest), manifestOf());
  const deps: SagaDeps = {
    distributionBucket: DISTRIBUTION,
    subscribers: options.subscribers ?? SUBSCRIBERS,
    breaker: { failureThreshold: 3, coolDownSeconds: 60 },
    copy: async (from, to) => {
      calls.push(`copy ${at(from)} -> ${at(to)}`);
      const body = objects.get(at(from));
      if (body === undefined) throw Object.assign(new Error(`NoSuchKey ${at(from)}`), { name: 'NoSuchKey' });
      objects.set(at(to), body);
    },
    remove: async (location) => {
      calls.push(`remove ${at(location)}`);
      objects.delete(at(location));
    },
    read: async (location) => {
      calls.push(`read ${at(location)}`);
      const body = objects.get(at(location));
      if (body === undefined) throw Object.assign(new Error(`NoSuchKey ${at(location)}`), { name: 'NoSuchKey' });
      return body;
    },
    records: {
      register: async (record) => {
        calls.push(`register ${record.productId}`);
        const existing = records.get(record.productId);
        if (existing !== undefined && existing.execution !== record.execution && existing.status !== 'withdrawn')
          return 'conflict';
        records.set(record.productId, { ...record, status: 'registered' });
        return 'registered';
      },
      confirm: async (productId, execution) => {
        calls.push(`confirm ${productId}`);
        const existing = records.get(productId);
        if (existing?.execution !== execution) throw new Error('no record of this execution');
        records.set(productId, { ...existing, status: 'delivered' });
      },
      withdraw: async (productId, execution, reason) => {
        calls.push(`withdraw ${productId}`);
        const existing = records.get(productId);
        if (existing?.execution !== execution) return false;
        records.set(productId, { ...existing, status: 'withdrawn', withdrawnReason: reason });
        return true;
      },
    },
    faults: {
      read: async (keys) => faults.filter((f) => keys.includes(f.pk)),
      claimOnce: async (key) => {
        if (fired.has(key)) return false;
        fired.add(key);
        return true;
      },
    },
    breakers: {
      read: async (subscriber) => breakers.get(subscriber),
      claimTrial: async (subscriber, now, openUntil) => {
        const state = breakers.get(subscriber);
        if (state?.state !== 'open' || Date.parse(state.openUntil ?? '') > now.getTime()) return false;
        breakers.set(subscriber, { ...state, openUntil: openUntil.toISOString() });
        calls.push(`trial ${subscriber}`);
        return true;
      },
      countFailure: async (subscriber) => {
        const state = breakers.get(subscriber) ?? { state: 'closed', failures: 0 };
        breakers.set(subscriber, { ...state, failures: state.failures + 1 });
        return state.failures + 1;
      },
      open: async (subscriber, openUntil) => {
        breakers.set(subscriber, {
          ...(breakers.get(subscriber) ?? { failures: 0 }),
          state: 'open',
          openUntil: openUntil.toISOString(),
        });
        calls.push(`open ${subscriber}`);
      },
      close: async (subscriber) => {
        breakers.set(subscriber, { state: 'closed', failures: 0 });
        calls.push(`close ${subscriber}`);
      },
    },
    notify: async (queueUrl, event, fifo) => {
      const error = options.failSend?.(queueUrl);
      calls.push(
        `send ${event.type.replace('cometflow.', '')} -> ${queueUrl}${error === undefined ? '' : ' (failed)'}`,
      );
      if (error !== undefined) throw error;
      sent.push({ queueUrl, event, ...(fifo === undefined ? {} : { fifo }) });
    },
    heads: {
      read: async (subscriber, stream) => {
        const head = heads.get(`${subscriber}#${stream}`);
        return { ...(head === undefined ? {} : { head }), waiting: waiting.get(`${subscriber}#${stream}`) ?? [] };
      },
      wait: async (subscriber, stream, product) => {
        const key = `${subscriber}#${stream}`;
        const others = (waiting.get(key) ?? []).filter((w) => w.productId !== product.productId);
        waiting.set(key, [...others, product]);
      },
      advance: async (subscriber, stream, head, product) => {
        const key = `${subscriber}#${stream}`;
        const current = heads.get(key);
        if (current !== undefined && current.productId !== head.productId && current.sensingStart >= head.sensingStart)
          return false;
        heads.set(key, head);
        waiting.set(
          key,
          (waiting.get(key) ?? []).filter((w) => w.productId !== product.productId),
        );
        return true;
      },
    },
    holdbackSeconds: options.holdbackSeconds ?? 10,
    publish: async (event) => {
      calls.push(`publish ${event.type.replace('cometflow.', '')}`);
      published.push(event);
    },
    now: () => now,
  };
  /** Moves the fake's clock. */
  const setNow = (at: Date): void => {
    now = at;
  };
  return { deps, calls, objects, records, breakers, sent, published, heads, waiting, at, setNow };
}
