import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent, type EventData } from '#events/registry.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { liFile } from '#shared/samples/provider-files.ts';
import { generateProduct, productIdOf, productKeysOf, type ProcessDeps } from './logic.ts';

const ARCHIVE = 'cometflow-archive';
const PRODUCTS = 'cometflow-products';
const NOW = new Date('2026-11-22T10:14:26.161Z');

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** An archived input: its bytes and how a request lists it. */
const archivedInput = (name: string, body: Buffer) => ({
  body,
  listed: { bucket: ARCHIVE, key: `eumetsat/2026/11/22/${name}`, name, size: body.length, sha256: sha256(body) },
});

const inputA = archivedInput('chunk-0001.nc', Buffer.from('first input, some bytes'));
const inputB = archivedInput('chunk-0002.nc', Buffer.from('second input, other bytes'));

/** A `processing.requested` command over the given inputs. */
const processingRequested = (
  inputs: EventData<typeof EventTypes.processingRequested>['inputs'],
  overrides: Partial<EventData<typeof EventTypes.processingRequested>> = {},
): CometEvent<typeof EventTypes.processingRequested> =>
  wrap({
    type: EventTypes.processingRequested,
    source: 'cometflow/scheduler',
    id: 'request-1',
    correlationId: 'cycle-20261122-061',
    data: {
      algorithm: 'byte-statistics',
      productType: 'fci-chunk-statistics',
      inputs,
      degraded: false,
      missing: [],
      ...overrides,
    },
  });

/** In-memory processing effects: archive and products bucket as maps; puts recorded in order. */
function fakeProcess(archive: { body: Buffer; listed: { key: string } }[], existing: Record<string, Buffer> = {}) {
  const objects = new Map(archive.map((a) => [a.listed.key, a.body]));
  const products = new Map(Object.entries(existing));
  const puts: { key: string; contentType: string }[] = [];
  const published: CometEvent[] = [];
  const deps: ProcessDeps = {
    productsBucket: PRODUCTS,
    open: async (input) => Readable.from([objects.get(input.key)!]),
    exists: async (bucket, key) => bucket === PRODUCTS && products.has(key),
    put: async (_bucket, key, body, contentType) => {
      puts.push({ key, contentType });
      products.set(key, body);
    },
    publish: async (event) => {
      published.push(event);
    },
    now: () => NOW,
  };
  return { deps, products, puts, published };
}

describe('productIdOf', () => {
  it('does not depend on the order of the inputs', () => {
    // Act
    const forward = productIdOf('byte-statistics', '1', 'p', 'cycle-20261122-061', [
      inputA.listed.sha256,
      inputB.listed.sha256,
    ]);
    const backward = productIdOf('byte-statistics', '1', 'p', 'cycle-20261122-061', [
      inputB.listed.sha256,
      inputA.listed.sha256,
    ]);

    // Assess
    expect(forward).toBe(backward);
    expect(forward).toMatch(/^[0-9a-f]{32}$/);
  });

  it('changes with the inputs, the algorithm version, the product type and the correlation', () => {
    // Prepare
    const base = productIdOf('byte-statistics', '1', 'p', 'cycle-20261122-061', [inputA.listed.sha256]);

    // Act
    const others = [
      productIdOf('byte-statistics', '1', 'p', 'cycle-20261122-061', [inputB.listed.sha256]),
      productIdOf('byte-statistics', '1', 'p', 'cycle-20261122-061', [inputA.listed.sha256, inputB.listed.sha256]),
      productIdOf('byte-statistics', '2', 'p', 'cycle-20261122-061', [inputA.listed.sha256]),
      productIdOf('byte-statistics', '1', 'q', 'cycle-20261122-061', [inputA.listed.sha256]),
      productIdOf('byte-statistics', '1', 'p', 'cycle-20261122-062', [inputA.listed.sha256]),
    ];

    // Assess
    expect(new Set([base, ...others]).size).toBe(6);
  });
});

describe('generateProduct', () => {
  it('writes the product, then a manifest listing every input with size and SHA-256', async () => {
    // Prepare
    const fake = fakeProcess([inputA, inputB]);
    const command = processingRequested([inputA.listed, inputB.listed]);

    // Act
    const { event, written } = await generateProduct(command, fake.deps);

    // Assess
    const keys = productKeysOf('fci-chunk-statistics', 'cycle-20261122-061', event.data.productId);
    expect(written).toBe(true);
    expect(fake.puts).toEqual([
      { key: keys.product, contentType: 'application/json' },
      { key: keys.manifest, contentType: 'application/json' },
    ]);
    const product = fake.products.get(keys.product)!;
    const manifest = JSON.parse(fake.products.get(keys.manifest)!.toString('utf8')) as Record<string, unknown>;
    expect(manifest).toEqual({
      productId: event.data.productId,
      productType: 'fci-chunk-statistics',
      algorithm: { name: 'byte-statistics', version: '1' },
      correlationId: 'cycle-20261122-061',
      requestedBy: 'request-1',
      degraded: false,
      missing: [],
      product: {
        bucket: PRODUCTS,
        key: keys.product,
        size: product.length,
        sha256: sha256(product),
        contentType: 'application/json',
      },
      inputs: [inputA.listed, inputB.listed],
      generatedAt: NOW.toISOString(),
    });
  });

  it('publishes product.generated describing the product and its manifest', async () => {
    // Prepare
    const fake = fakeProcess([inputA, inputB]);
    const command = processingRequested([inputA.listed, inputB.listed]);

    // Act
    const { event } = await generateProduct(command, fake.deps);

    // Assess
    const productId = productIdOf('byte-statistics', '1', 'fci-chunk-statistics', 'cycle-20261122-061', [
      inputA.listed.sha256,
      inputB.listed.sha256,
    ]);
    const keys = productKeysOf('fci-chunk-statistics', 'cycle-20261122-061', productId);
    const product = fake.products.get(keys.product)!;
    expect(fake.published).toEqual([event]);
    expect(event).toMatchObject({
      type: EventTypes.productGenerated,
      source: 'cometflow/process',
      subject: productId,
      correlationid: 'cycle-20261122-061',
      causationid: 'request-1',
    });
    expect(event.data).toEqual({
      productId,
      productType: 'fci-chunk-statistics',
      algorithm: 'byte-statistics',
      product: { bucket: PRODUCTS, key: keys.product, size: product.length, sha256: sha256(product) },
      manifest: { bucket: PRODUCTS, key: keys.manifest },
      inputCount: 2,
    });
  });

  it('yields the same product and event id whatever the order of the inputs', async () => {
    // Prepare
    const first = fakeProcess([inputA, inputB]);
    const second = fakeProcess([inputA, inputB]);

    // Act
    const forward = await generateProduct(processingRequested([inputA.listed, inputB.listed]), first.deps);
    const backward = await generateProduct(processingRequested([inputB.listed, inputA.listed]), second.deps);

    // Assess
    expect(backward.event.data.productId).toBe(forward.event.data.productId);
    expect(backward.event.id).toBe(forward.event.id);
  });

  it('does not rewrite a product whose manifest exists, but still publishes product.generated', async () => {
    // Prepare
    const command = processingRequested([inputA.listed]);
    const earlier = fakeProcess([inputA]);
    const { event: earlierEvent } = await generateProduct(command, earlier.deps);
    const fake = fakeProcess([inputA], Object.fromEntries(earlier.products));

    // Act
    const { event, written } = await generateProduct(command, fake.deps);

    // Assess
    expect(written).toBe(false);
    expect(fake.puts).toEqual([]);
    expect(fake.published).toHaveLength(1);
    expect(event.id).toBe(earlierEvent.id);
    expect(event.data).toEqual(earlierEvent.data);
  });

  it('rejects an input whose SHA-256 differs from the one requested, writing and publishing nothing', async () => {
    // Prepare
    const fake = fakeProcess([inputA]);
    const command = processingRequested([{ ...inputA.listed, sha256: 'f'.repeat(64) }]);

    // Act
    const act = generateProduct(command, fake.deps);

    // Assess
    await expect(act).rejects.toThrow(InvalidInputError);
    await expect(act).rejects.toThrow(`the request announced ${'f'.repeat(64)}`);
    expect(fake.puts).toEqual([]);
    expect(fake.published).toEqual([]);
  });

  it('rejects an unknown algorithm and lists the known ones', async () => {
    // Prepare
    const fake = fakeProcess([inputA]);

    // Act
    const act = generateProduct(processingRequested([inputA.listed], { algorithm: 'cloud-mask' }), fake.deps);

    // Assess
    await expect(act).rejects.toThrow(InvalidInputError);
    await expect(act).rejects.toThrow('Unknown algorithm "cloud-mask"; known: byte-statistics');
  });

  it('makes one real-time product of an LI file and carries its place in the stream to the event and manifest', async () => {
    // Prepare
    const file = liFile('LFL', new Date('2026-11-22T10:10:30Z'));
    const input = archivedInput(file.key.slice('eumetsat/'.length), file.body);
    const sequence = {
      stream: 'mti1-li-lfl',
      sensingStart: '2026-11-22T10:10:30.000Z',
      sensingEnd: '2026-11-22T10:11:00.000Z',
    };
    const fake = fakeProcess([input]);
    const command = processingRequested([input.listed], {
      algorithm: 'lightning-window-summary',
      productType: 'lightning-window',
      sequence,
    });

    // Act
    const { event } = await generateProduct(command, fake.deps);

    // Assess
    expect(event.data).toMatchObject({
      productType: 'lightning-window',
      algorithm: 'lightning-window-summary',
      inputCount: 1,
      sequence,
    });
    const manifest = JSON.parse(fake.products.get(event.data.manifest.key)!.toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({ sequence, inputs: [{ sha256: input.listed.sha256, size: file.body.length }] });
    const product = JSON.parse(fake.products.get(event.data.product.key)!.toString('utf8')) as { windows: unknown[] };
    expect(product.windows).toMatchObject([{ stream: 'mti1-li-lfl', count: 2, files: 1 }]);
  });
});
