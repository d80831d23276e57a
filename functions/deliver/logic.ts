/**
 * Deliver: starts the delivery saga for a `delivery.requested` command. The execution is named
 * after the product, so Step Functions itself refuses a second start for the same product
 * (`ExecutionAlreadyExists`): exactly-once start, whatever the number of requests.
 */
import type { EventTypes, CometEvent } from '#events/registry.ts';

/** Starting an execution: `already-started` when one of that name exists. */
export interface StartDeliveryDeps {
  readonly start: (
    name: string,
    input: string,
  ) => Promise<{ outcome: 'started' | 'already-started'; executionArn?: string }>;
}

/** The execution name of a product's delivery (Step Functions allows 80 characters). */
export const executionNameOf = (productId: string): string => `product-${productId}`;

/**
 * Starts the delivery of one product; its input is the command itself.
 *
 * @example
 * const { execution, started } = await startDelivery(command, deps);
 */
export async function startDelivery(
  command: CometEvent<typeof EventTypes.deliveryRequested>,
  deps: StartDeliveryDeps,
): Promise<{ execution: string; started: boolean; executionArn?: string }> {
  const execution = executionNameOf(command.data.productId);
  const { outcome, executionArn } = await deps.start(execution, JSON.stringify(command));
  return { execution, started: outcome === 'started', ...(executionArn === undefined ? {} : { executionArn }) };
}
