/**
 * Step 4, confirm: marks the delivery record delivered, then publishes `product.delivered` to
 * the event bus. It has no compensation of its own: when it fails, nothing was published (the
 * event is its last action); the saga undoes notify, register and publish.
 *
 * Also here, the saga's last word after compensating: `report` publishes `delivery.compensated`.
 */
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { sourceOf } from '#shared/config.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import type { SagaDeps } from './deps.ts';
import { injectFault } from './faults.ts';
import { distributionOf } from './publish.ts';
import { CompensationNames, reasonOf, type ConfirmResult, type SagaState } from './saga-state.ts';
import { stableId } from '#shared/ids.ts';

const idOf = stableId;

/** The `product.delivered` event of a product: its id derives from the product id alone. */
export function deliveredEvent(
  saga: SagaState,
  distributionBucket: string,
): CometEvent<typeof EventTypes.productDelivered> {
  const { command } = saga;
  const { productId, productType } = command.data;
  return wrap({
    type: EventTypes.productDelivered,
    source: sourceOf('deliver'),
    cause: command,
    subject: productId,
    id: idOf('delivered', productId),
    data: {
      productId,
      productType,
      distributed: saga.publish?.distributed ?? distributionOf(command, distributionBucket),
    },
  });
}

/**
 * Confirms the delivery.
 *
 * @example
 * const { eventId } = await confirm(saga, deps);
 */
export async function confirm(saga: SagaState, deps: SagaDeps): Promise<ConfirmResult> {
  await injectFault('confirm', saga.command, deps.faults);
  const now = deps.now();
  await deps.records.confirm(saga.command.data.productId, saga.execution.name, now);
  const event = deliveredEvent(saga, deps.distributionBucket);
  await deps.publish(event);
  return { eventId: event.id, deliveredAt: now.toISOString() };
}

/** The `delivery.compensated` event of a compensated execution. */
export function compensatedEvent(saga: SagaState): CometEvent<typeof EventTypes.deliveryCompensated> {
  const { command, execution, failedStep, failure } = saga;
  if (failedStep === undefined || failure === undefined) {
    throw new InvalidInputError(
      `Execution ${execution.name} reports a compensation without failedStep and failure; the state machine sets both when it catches an error`,
    );
  }
  const { productId, productType } = command.data;
  // Compensations that ran left their result under their own name, in the order they run.
  const compensations = [...CompensationNames].reverse().filter((name) => saga[name] !== undefined);
  return wrap({
    type: EventTypes.deliveryCompensated,
    source: sourceOf('deliver'),
    cause: command,
    subject: productId,
    id: idOf('compensated', execution.name),
    data: {
      productId,
      productType,
      failedStep,
      error: failure.Error,
      reason: reasonOf(failure).slice(0, 2000),
      compensations,
      execution: execution.name,
    },
  });
}

/** Publishes `delivery.compensated`. */
export async function report(saga: SagaState, deps: SagaDeps): Promise<{ eventId: string }> {
  const event = compensatedEvent(saga);
  await deps.publish(event);
  return { eventId: event.id };
}
