/**
 * Fault injection for chaos testing, through configuration rather than code: an operator (or a
 * test) puts a fault item into the deliveries table and the step it names fails on purpose,
 * before it acts. Two keys are looked up per step:
 *
 * - `FAULT#<step>#<productId>`: this product only;
 * - `FAULT#<step>`: every product, or only those of `productType` when the item has one.
 *
 * `mode: 'terminal'` throws `InjectedFaultError` on every attempt (the saga compensates);
 * `mode: 'transient-once'` throws `DownstreamThrottledError` on the first attempt per product
 * (claimed with a conditional write on `FAULTFIRED#<step>#<productId>`), so the retry succeeds.
 * Deleting the item ends the fault.
 */
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';
import type { CometEvent, EventTypes } from '#events/registry.ts';
import { DownstreamThrottledError } from '#shared/errors.ts';
import { InjectedFaultError } from '../errors.ts';
import type { FaultTarget } from './saga-state.ts';

export const FaultModes = ['terminal', 'transient-once'] as const;

/** A fault item, as stored. */
export const FaultSchema = z.object({
  pk: z.string().regex(/^FAULT#/),
  mode: z.enum(FaultModes),
  /** Only products of this type. @default - every type */
  productType: z.string().min(1).optional(),
  /** Why, for the error message and the execution history. */
  reason: z.string().optional(),
});
export type Fault = z.infer<typeof FaultSchema>;

/** Key of the fault of a step, for one product or (without `productId`) for all. */
export const faultKeyOf = (step: FaultTarget, productId?: string): string =>
  productId === undefined ? `FAULT#${step}` : `FAULT#${step}#${productId}`;

/** Key of the record that a transient-once fault fired for a product. */
export const firedKeyOf = (step: FaultTarget, productId: string): string => `FAULTFIRED#${step}#${productId}`;

/** Where faults are configured. */
export interface FaultSource {
  /** The valid fault items under these keys (invalid ones are left out, and logged by the adapter). */
  read(keys: readonly string[]): Promise<Fault[]>;
  /** Records that a transient-once fault fired for a product; `false` when it had fired before. */
  claimOnce(key: string): Promise<boolean>;
}

/**
 * Fails the step when a fault is configured for it and this product; returns otherwise.
 *
 * @example
 * await injectFault('publish', saga.command, deps.faults);
 */
export async function injectFault(
  step: FaultTarget,
  command: CometEvent<typeof EventTypes.deliveryRequested>,
  faults: FaultSource,
): Promise<void> {
  const { productId, productType } = command.data;
  const found = await faults.read([faultKeyOf(step, productId), faultKeyOf(step)]);
  // The product-scoped fault wins over the step-wide one.
  const fault = found
    .filter((f) => f.productType === undefined || f.productType === productType)
    .sort((a, b) => b.pk.length - a.pk.length)[0];
  if (fault === undefined) return;
  const why = `Fault injected at step ${step} by ${fault.pk} (mode ${fault.mode})${fault.reason === undefined ? '' : `: ${fault.reason}`}`;
  if (fault.mode === 'terminal') throw new InjectedFaultError(why);
  if (await faults.claimOnce(firedKeyOf(step, productId))) {
    throw new DownstreamThrottledError(`${why}; the retry will pass`);
  }
}
