/**
 * The delivery saga, driven through AWS APIs only: a product put into the products bucket, a
 * `delivery.requested` command sent to the deliver queue, faults configured in the deliveries
 * table (the chaos-testing feature the deployed stack has too), and the results read back from
 * S3, DynamoDB, the subscriber queues, the event store and the Step Functions history.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { validateAgainstCatalog } from '../../events/catalog.ts';
import { EventTypes, type CometEvent } from '../../events/registry.ts';
import { historyOf, sagaStepsOf } from '../../local/saga-steps.ts';
import {
  ProductType,
  SubscriberInboxes,
  deliveryExecutionArn,
  deliveryRecordOf,
  distributedKeysOf,
  finishedDelivery,
  injectFault,
  productToDeliver,
  requestDelivery,
  setBreaker,
  type FaultTarget,
} from './support/deliveries.ts';
import { clients, eventsOf, stack, waitFor } from './support/stack.ts';

const { s3, sqs, documents, sfn } = clients();
const { buckets, queues, tables, stateMachines } = stack();
const stateMachine = stateMachines?.delivery ?? '';
const deliveries = tables.deliveries!;
const subscriberQueues = Object.fromEntries(
  Object.entries(queues)
    .filter(([role]) => role.startsWith('subscriber') && !role.endsWith('Dlq'))
    .map(([role, url]) => [role.slice('subscriber'.length), url]),
);
const inboxes = new SubscriberInboxes(sqs, subscriberQueues);
const faults: { step: FaultTarget; productId: string }[] = [];

/** A product put in the products bucket, with faults configured for it. */
async function product(
  withFaults: [FaultTarget, 'terminal' | 'transient-once'][] = [],
): Promise<CometEvent<typeof EventTypes.deliveryRequested>> {
  const command = await productToDeliver(s3, buckets.products!);
  for (const [step, mode] of withFaults) {
    await injectFault(documents, deliveries, step, command.data.productId, mode);
    faults.push({ step, productId: command.data.productId });
  }
  return command;
}

/** Delivers a product through the deliver queue and waits for its execution to end. */
async function deliver(command: CometEvent<typeof EventTypes.deliveryRequested>) {
  await requestDelivery(sqs, queues.deliver!, command);
  const execution = await finishedDelivery(sfn, stateMachine, command.data.productId);
  const steps = sagaStepsOf(await historyOf(sfn, execution.executionArn!));
  return { execution, steps };
}

const eventsOfProduct = async (
  command: CometEvent,
  type: (typeof EventTypes)[keyof typeof EventTypes],
): Promise<CometEvent[]> =>
  (await eventsOf(documents, tables.eventStore!, command.correlationid, type)).filter(
    (e) => e.subject === command.subject,
  );

afterAll(async () => {
  for (const { step, productId } of faults) {
    await documents.send(new DeleteCommand({ TableName: deliveries, Key: { pk: `FAULT#${step}#${productId}` } }));
  }
});

describe('delivery saga', () => {
  it('names two subscriber queues and the state machine in the stack description', () => {
    // Assess
    expect(Object.keys(subscriberQueues).length).toBeGreaterThanOrEqual(2);
    expect(stateMachine).toMatch(/^arn:aws:states:[^:]+:\d+:stateMachine:.+/);
  });

  it('delivers a product: distributed objects, a delivered record with lineage, one notification per subscriber, product.delivered', async () => {
    // Prepare
    const command = await product();
    const { productId } = command.data;

    // Act
    const { execution, steps } = await deliver(command);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(steps.map((s) => [s.name, s.outcome, s.attempts])).toEqual([
      ['Publish', 'succeeded', 1],
      ['Register', 'succeeded', 1],
      ['Notify', 'succeeded', 1],
      ['Confirm', 'succeeded', 1],
    ]);
    expect((await distributedKeysOf(s3, buckets.distribution!, ProductType, productId)).sort()).toEqual([
      `${ProductType}/${productId}/${productId}.json`,
      `${ProductType}/${productId}/${productId}.manifest.json`,
    ]);
    const record = await deliveryRecordOf(documents, deliveries, productId);
    expect(record).toMatchObject({
      status: 'delivered',
      correlationId: command.correlationid,
      requestId: command.id,
      execution: `product-${productId}`,
      lineage: { inputs: [{ name: 'input.nc' }], algorithm: { name: 'byte-statistics' } },
      timings: {
        requestedAt: command.time,
        publishedAt: expect.any(String),
        registeredAt: expect.any(String),
        deliveredAt: expect.any(String),
      },
    });
    const notifications = await inboxes.of(productId);
    expect(notifications.map((n) => [n.subscriber, n.event.type]).sort()).toEqual(
      Object.keys(subscriberQueues)
        .map((s) => [s, EventTypes.deliveryAvailable])
        .sort(),
    );
    for (const { event } of notifications) expect(validateAgainstCatalog(event)).toEqual({ ok: true });
    const delivered = await waitFor('product.delivered in the event store', async () => {
      const events = await eventsOfProduct(command, EventTypes.productDelivered);
      return events.length > 0 ? events : undefined;
    });
    expect(delivered).toHaveLength(1);
  });

  const compensationsAfter = {
    publish: ['Unpublish'],
    register: ['Unregister', 'Unpublish'],
    notify: ['Unnotify', 'Unregister', 'Unpublish'],
    confirm: ['Unnotify', 'Unregister', 'Unpublish'],
  } as const;

  it.each(['publish', 'register', 'notify', 'confirm'] as const)(
    'compensates a failure injected at %s: nothing distributed, no record or notification left un-withdrawn, delivery.compensated names the step',
    async (failedStep) => {
      // Prepare
      const command = await product([[failedStep, 'terminal']]);
      const { productId } = command.data;

      // Act
      const { execution, steps } = await deliver(command);

      // Assess: the execution ran the compensations in reverse, then reported and failed.
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('DeliveryCompensated');
      const forward = ['Publish', 'Register', 'Notify', 'Confirm'];
      const ran = forward.slice(0, forward.indexOf(`${failedStep.charAt(0).toUpperCase()}${failedStep.slice(1)}`) + 1);
      expect(steps.map((s) => s.name)).toEqual([...ran, ...compensationsAfter[failedStep], 'ReportCompensation']);
      expect(steps.at(ran.length - 1)).toMatchObject({
        outcome: 'failed',
        attempts: 1,
        errors: ['InjectedFaultError'],
      });
      // Nothing distributed, no record left un-withdrawn.
      expect(await distributedKeysOf(s3, buckets.distribution!, ProductType, productId)).toEqual([]);
      const record = await deliveryRecordOf(documents, deliveries, productId);
      if (record !== undefined) expect(record.status).toBe('withdrawn');
      // Every notification a subscriber got is withdrawn.
      const notifications = await inboxes.of(productId);
      for (const subscriber of Object.keys(subscriberQueues)) {
        const types = notifications.filter((n) => n.subscriber === subscriber).map((n) => n.event.type);
        if (types.includes(EventTypes.deliveryAvailable))
          expect(types, subscriber).toContain(EventTypes.deliveryWithdrawn);
      }
      // delivery.compensated names the step; no product.delivered.
      const [compensated] = await waitFor('delivery.compensated in the event store', async () => {
        const events = await eventsOfProduct(command, EventTypes.deliveryCompensated);
        return events.length > 0 ? (events as CometEvent<typeof EventTypes.deliveryCompensated>[]) : undefined;
      });
      expect(compensated!.data).toMatchObject({
        productId,
        failedStep,
        error: 'InjectedFaultError',
        compensations: compensationsAfter[failedStep].map((s) => s.toLowerCase()),
        execution: `product-${productId}`,
      });
      expect(compensated!.data.reason).toMatch(new RegExp(`Fault injected at step ${failedStep}`));
      expect(validateAgainstCatalog(compensated)).toEqual({ ok: true });
      expect(await eventsOfProduct(command, EventTypes.productDelivered)).toEqual([]);
    },
  );

  it.each(['publish', 'register', 'notify', 'confirm'] as const)(
    'retries a transient failure at %s and delivers',
    async (step) => {
      // Prepare
      const command = await product([[step, 'transient-once']]);
      const { productId } = command.data;

      // Act
      const { execution, steps } = await deliver(command);

      // Assess
      expect(execution.status).toBe('SUCCEEDED');
      const retried = steps.find((s) => s.name.toLowerCase() === step);
      expect(retried).toMatchObject({ outcome: 'succeeded', attempts: 2, errors: ['DownstreamThrottledError'] });
      expect(steps.filter((s) => s !== retried).every((s) => s.attempts === 1)).toBe(true);
      expect(await distributedKeysOf(s3, buckets.distribution!, ProductType, productId)).toHaveLength(2);
      expect((await deliveryRecordOf(documents, deliveries, productId))?.status).toBe('delivered');
      const notifications = await inboxes.of(productId);
      expect(notifications.map((n) => n.event.type).sort()).toEqual(
        Object.keys(subscriberQueues).map(() => EventTypes.deliveryAvailable),
      );
    },
  );

  it("starts a product's delivery once, however many requests name it", async () => {
    // Prepare: two requests for the same product at once, a third after it was delivered.
    const command = await product();
    const { productId } = command.data;
    const again = { ...command, id: `${command.id}-again` };
    const late = { ...command, id: `${command.id}-late` };

    // Act
    await Promise.all([requestDelivery(sqs, queues.deliver!, command), requestDelivery(sqs, queues.deliver!, again)]);
    const execution = await finishedDelivery(sfn, stateMachine, productId);
    await requestDelivery(sqs, queues.deliver!, late);
    await waitFor('the deliver queue to be empty', async () => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queues.deliver!,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(Attributes.ApproximateNumberOfMessages) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible) ===
        0
        ? true
        : undefined;
    });

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const executions = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stateMachine, nextToken }));
      executions.push(...(page.executions ?? []).filter((e) => e.name === `product-${productId}`));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    expect(executions.map((e) => e.executionArn)).toEqual([deliveryExecutionArn(stateMachine, productId)]);
    await waitFor('product.delivered in the event store', async () =>
      (await eventsOfProduct(command, EventTypes.productDelivered)).length > 0 ? true : undefined,
    );
    expect(await eventsOfProduct(command, EventTypes.productDelivered)).toHaveLength(1);
    const notifications = await inboxes.of(productId);
    expect(notifications.map((n) => n.subscriber).sort()).toEqual(Object.keys(subscriberQueues).sort());
  });

  it("fails fast into compensation while a subscriber's breaker is open, and delivers again once the cool-down is over", async () => {
    // Prepare
    const [subscriber] = Object.keys(subscriberQueues) as [string];
    const blocked = await product();
    const later = await product();
    await setBreaker(documents, deliveries, subscriber, {
      state: 'open',
      failures: 3,
      openUntil: new Date(Date.now() + 600_000).toISOString(),
    });

    try {
      // Act
      const first = await deliver(blocked);
      await setBreaker(documents, deliveries, subscriber, {
        state: 'open',
        failures: 3,
        openUntil: new Date(Date.now() - 1000).toISOString(),
      });
      const second = await deliver(later);

      // Assess: the open breaker failed the delivery before any subscriber was told...
      expect(first.execution.status).toBe('FAILED');
      expect(first.steps.find((s) => s.name === 'Notify')).toMatchObject({
        attempts: 1,
        errors: ['SubscriberUnavailableError'],
      });
      expect(
        (await inboxes.of(blocked.data.productId)).filter((n) => n.event.type === EventTypes.deliveryAvailable),
      ).toEqual([]);
      const [compensated] = await waitFor('delivery.compensated', async () => {
        const events = await eventsOfProduct(blocked, EventTypes.deliveryCompensated);
        return events.length > 0 ? (events as CometEvent<typeof EventTypes.deliveryCompensated>[]) : undefined;
      });
      expect(compensated!.data).toMatchObject({ failedStep: 'notify', error: 'SubscriberUnavailableError' });
      expect(compensated!.data.reason).toContain(`Subscriber ${subscriber} is unavailable`);
      // ...and after the cool-down the trial delivery went through and closed it.
      expect(second.execution.status).toBe('SUCCEEDED');
      const { Item } = await documents.send(
        new GetCommand({ TableName: deliveries, Key: { pk: `BREAKER#${subscriber}` }, ConsistentRead: true }),
      );
      expect(Item).toMatchObject({ state: 'closed', failures: 0 });
    } finally {
      await setBreaker(documents, deliveries, subscriber, undefined);
    }
  });

  it('ends at CompensationFailed, without delivery.compensated, when a compensation keeps failing', async () => {
    // Prepare
    const command = await product([
      ['register', 'terminal'],
      ['unpublish', 'terminal'],
    ]);

    // Act
    const { execution, steps } = await deliver(command);

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CompensationFailed');
    const unpublish = steps.find((s) => s.name === 'Unpublish');
    expect(unpublish).toMatchObject({ outcome: 'failed' });
    expect(unpublish!.attempts).toBeGreaterThan(1);
    expect(steps.map((s) => s.name)).not.toContain('ReportCompensation');
    expect(await eventsOfProduct(command, EventTypes.deliveryCompensated)).toEqual([]);
  });
});
