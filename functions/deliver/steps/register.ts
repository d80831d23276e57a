/**
 * Step 2, register: writes the delivery's catalog record (`PRODUCT#<productId>` in the
 * deliveries table) with its lineage (the manifest's algorithm and inputs with their SHA-256s,
 * the correlation id) and timings. Its compensation, unregister, marks the record withdrawn.
 */
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';
import { InvalidInputError } from '#shared/errors.ts';
import { DeliveryConflictError } from '../errors.ts';
import type { SagaDeps } from './deps.ts';
import { injectFault } from './faults.ts';
import { distributionOf } from './publish.ts';
import { reasonOf, type RegisterResult, type SagaState } from './saga-state.ts';

/** The parts of a manifest (written by process) the lineage keeps. */
const ManifestSchema = z.object({
  algorithm: z.object({ name: z.string(), version: z.string() }).optional(),
  degraded: z.boolean().optional(),
  missing: z.array(z.string()).optional(),
  requestedBy: z.string().optional(),
  generatedAt: z.string().optional(),
  inputs: z.array(
    z.object({ bucket: z.string(), key: z.string(), name: z.string(), size: z.number(), sha256: z.string() }),
  ),
});

/**
 * Registers the delivery. Fails with `DeliveryConflictError` when another execution registered
 * the product and did not withdraw it.
 *
 * @example
 * await register(saga, deps);
 */
export async function register(saga: SagaState, deps: SagaDeps): Promise<RegisterResult> {
  await injectFault('register', saga.command, deps.faults);
  const { command, execution } = saga;
  const { productId, productType, product, manifest } = command.data;
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse((await deps.read(manifest)).toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new InvalidInputError(`Manifest s3://${manifest.bucket}/${manifest.key} is not JSON`, { cause: error });
    throw error;
  }
  const parsed = ManifestSchema.safeParse(manifestJson);
  if (!parsed.success) {
    throw new InvalidInputError(
      `Manifest s3://${manifest.bucket}/${manifest.key} does not list its inputs: ${z.prettifyError(parsed.error)}`,
    );
  }
  const now = deps.now();
  const registeredAt = now.toISOString();
  const outcome = await deps.records.register(
    {
      productId,
      productType,
      correlationId: command.correlationid,
      execution: execution.name,
      requestId: command.id,
      distributed: saga.publish?.distributed ?? distributionOf(command, deps.distributionBucket),
      product: { size: product.size, sha256: product.sha256 },
      lineage: { manifest, ...parsed.data },
      timings: {
        requestedAt: command.time,
        sagaStartedAt: execution.startedAt,
        ...(saga.publish === undefined ? {} : { publishedAt: saga.publish.publishedAt }),
        registeredAt,
      },
    },
    now,
  );
  if (outcome === 'conflict') {
    throw new DeliveryConflictError(
      `Product ${productId} is registered by another execution than ${execution.name}; this one stops without compensating`,
    );
  }
  return { registeredAt };
}

/** Marks this execution's record withdrawn; nothing to do when it wrote none. */
export async function unregister(saga: SagaState, deps: SagaDeps): Promise<{ withdrawn: boolean }> {
  await injectFault('unregister', saga.command, deps.faults);
  const reason = `step ${saga.failedStep ?? 'unknown'} failed with ${saga.failure?.Error ?? 'an unknown error'}: ${reasonOf(saga.failure)}`;
  const withdrawn = await deps.records.withdraw(saga.command.data.productId, saga.execution.name, reason, deps.now());
  return { withdrawn };
}
