/**
 * Deliver: starts the delivery saga for a `delivery.requested` command. The execution is named
 * after the product, so Step Functions itself refuses a second start for the same product
 * (`ExecutionAlreadyExists`): exactly-once start, whatever the number of requests.
 */
import type { EventTypes, CometEvent } from '#events/registry.ts';
import { MessageTooLargeError } from '#shared/envelope/claim-check.ts';

/** Step Functions' largest execution input: 256 KiB of UTF-8 (as for every state's data). */
export const SfnMaxInputBytes = 262_144;

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
 * Starts the delivery of one product; its input is the command itself, which must fit Step
 * Functions' 256 KiB input limit: a larger one (a command claim-checked on its way here, its
 * data read back) is refused with `MessageTooLargeError`, terminal, never started nor retried.
 *
 * @example
 * const { execution, started } = await startDelivery(command, deps);
 */
export async function startDelivery(
  command: CometEvent<typeof EventTypes.deliveryRequested>,
  deps: StartDeliveryDeps,
): Promise<{ execution: string; started: boolean; executionArn?: string }> {
  const execution = executionNameOf(command.data.productId);
  const input = JSON.stringify(command);
  const bytes = Buffer.byteLength(input, 'utf8');
  if (bytes > SfnMaxInputBytes) {
    throw new MessageTooLargeError(
      `The delivery of product ${command.data.productId} (command ${command.id}) would start its saga with ${bytes} bytes of input; Step Functions takes at most ${SfnMaxInputBytes}: the command's data must stay small (the product and its manifest are named, not carried)`,
    );
  }
  const { outcome, executionArn } = await deps.start(execution, input);
  return { execution, started: outcome === 'started', ...(executionArn === undefined ? {} : { executionArn }) };
}
