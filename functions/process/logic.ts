/**
 * Process: runs the requested algorithm over the inputs and writes, next to each other, the
 * product and its manifest (every input with size and SHA-256), so anyone can verify a product
 * against its inputs. The product id derives from the algorithm and the inputs' SHA-256s: the
 * same request always yields the same product, written once.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { algorithmNamed, type AlgorithmInput } from '#shared/algorithms/index.ts';
import { sourceOf } from '#shared/config.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { stableId } from '#shared/ids.ts';

/** The effects processing needs. */
export interface ProcessDeps {
  readonly productsBucket: string;
  readonly open: (input: AlgorithmInput) => Promise<Readable>;
  /** True when the object exists already. */
  readonly exists: (bucket: string, key: string) => Promise<boolean>;
  readonly put: (bucket: string, key: string, body: Buffer, contentType: string) => Promise<void>;
  readonly publish: (event: CometEvent) => Promise<void>;
  readonly now: () => Date;
}

/**
 * A product's id: 32 hex digits of SHA-256 over algorithm, version, product type, correlation
 * (the cycle or run it is the product of) and inputs. Two cycles are two products even when
 * their inputs happen to have the same bytes; the same request for the same cycle is the same
 * product, whatever the order of its inputs.
 */
export function productIdOf(
  algorithm: string,
  version: string,
  productType: string,
  correlationId: string,
  inputSha256s: readonly string[],
): string {
  // The trailing empty part keeps the ids of products made before this helper existed.
  return stableId(`${algorithm}@${version}`, productType, correlationId, ...[...inputSha256s].sort(), '');
}

/** Where a product lands: `<productType>/<correlation id>/<product id>.json` and `.manifest.json`. */
export function productKeysOf(
  productType: string,
  correlationId: string,
  productId: string,
): { product: string; manifest: string } {
  const base = `${productType}/${correlationId}/${productId}`;
  return { product: `${base}.json`, manifest: `${base}.manifest.json` };
}

/**
 * Generates the product of one request and publishes `product.generated`.
 *
 * @example
 * const { event, written } = await generateProduct(command, deps); // written: false when the product existed
 */
export async function generateProduct(
  command: CometEvent<typeof EventTypes.processingRequested>,
  deps: ProcessDeps,
): Promise<{ event: CometEvent<typeof EventTypes.productGenerated>; written: boolean }> {
  const { algorithm: algorithmName, productType, inputs, degraded, missing, sequence } = command.data;
  const algorithm = algorithmNamed(algorithmName);
  const productId = productIdOf(
    algorithm.name,
    algorithm.version,
    productType,
    command.correlationid,
    inputs.map((i) => i.sha256),
  );
  const keys = productKeysOf(productType, command.correlationid, productId);
  const bucket = deps.productsBucket;
  const body = await algorithm.run(inputs, deps.open);
  const product = {
    bucket,
    key: keys.product,
    size: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  // The manifest is written last: its presence means the product is complete.
  const written = !(await deps.exists(bucket, keys.manifest));
  if (written) {
    await deps.put(bucket, keys.product, body, algorithm.contentType);
    const manifest = {
      productId,
      productType,
      algorithm: { name: algorithm.name, version: algorithm.version },
      correlationId: command.correlationid,
      requestedBy: command.id,
      degraded,
      missing,
      ...(sequence === undefined ? {} : { sequence }),
      product: { ...product, contentType: algorithm.contentType },
      inputs: inputs.map(({ bucket: b, key, name, size, sha256 }) => ({ bucket: b, key, name, size, sha256 })),
      generatedAt: deps.now().toISOString(),
    };
    await deps.put(bucket, keys.manifest, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 'application/json');
  }
  const event = wrap({
    type: EventTypes.productGenerated,
    source: sourceOf('process'),
    cause: command,
    subject: productId,
    id: stableId('generated', productId),
    data: {
      productId,
      productType,
      algorithm: algorithm.name,
      product,
      manifest: { bucket, key: keys.manifest },
      inputCount: inputs.length,
      ...(sequence === undefined ? {} : { sequence }),
    },
  });
  await deps.publish(event);
  return { event, written };
}
