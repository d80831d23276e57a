import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateAgainstCatalog } from '#events/catalog.ts';
import { EventTypes } from '#events/registry.ts';
import { DownstreamThrottledError, InvalidInputError } from '#shared/errors.ts';
import { DeliveryConflictError, InjectedFaultError, SubscriberUnavailableError } from '../errors.ts';
import { runSagaTask } from './index.ts';
import { parseSagaTask, reasonOf, type SagaState, type TaskName } from './saga-state.ts';
import {
  DISTRIBUTION,
  NOW,
  PRODUCT_ID,
  PRODUCT_TYPE,
  PRODUCTS,
  deliveryRequested,
  fakeSaga,
  sagaOf,
} from './testing.ts';

const base = `${DISTRIBUTION}/${PRODUCT_TYPE}/${PRODUCT_ID}/${PRODUCT_ID}`;
const run = (step: TaskName, saga: SagaState, deps: ReturnType<typeof fakeSaga>['deps']) =>
  runSagaTask({ step, saga }, deps);

/** A saga document after the forward steps up to (not including) `failedStep` succeeded, and that step failed. */
async function failedAt(
  failedStep: 'publish' | 'register' | 'notify' | 'confirm',
  fake: ReturnType<typeof fakeSaga>,
): Promise<SagaState> {
  let saga = sagaOf();
  for (const step of ['publish', 'register', 'notify', 'confirm'] as const) {
    if (step === failedStep) break;
    saga = { ...saga, [step]: await run(step, saga, fake.deps) };
  }
  return {
    ...saga,
    failedStep,
    failure: {
      Error: 'InjectedFaultError',
      Cause: JSON.stringify({ errorType: 'InjectedFaultError', errorMessage: 'chaos', trace: [] }),
    },
  };
}

describe('publish and unpublish', () => {
  it('copies the product, then its manifest, to <productType>/<productId>/<file name>', async () => {
    // Prepare
    const fake = fakeSaga();

    // Act
    const result = await run('publish', sagaOf(), fake.deps);

    // Assess
    expect(fake.calls).toEqual([
      `copy ${PRODUCTS}/${PRODUCT_TYPE}/cycle-20261122-061/${PRODUCT_ID}.json -> ${base}.json`,
      `copy ${PRODUCTS}/${PRODUCT_TYPE}/cycle-20261122-061/${PRODUCT_ID}.manifest.json -> ${base}.manifest.json`,
    ]);
    expect(result).toEqual({
      distributed: [
        { bucket: DISTRIBUTION, key: `${PRODUCT_TYPE}/${PRODUCT_ID}/${PRODUCT_ID}.json` },
        { bucket: DISTRIBUTION, key: `${PRODUCT_TYPE}/${PRODUCT_ID}/${PRODUCT_ID}.manifest.json` },
      ],
      publishedAt: NOW.toISOString(),
    });
  });

  it('deletes the manifest, then the product, even when publish left no result', async () => {
    // Prepare: publish copied the product, then failed.
    const fake = fakeSaga();
    fake.objects.set(`${base}.json`, Buffer.from('product'));

    // Act
    const result = await run(
      'unpublish',
      { ...sagaOf(), failedStep: 'publish', failure: { Error: 'States.Timeout' } },
      fake.deps,
    );

    // Assess
    expect(fake.calls).toEqual([`remove ${base}.manifest.json`, `remove ${base}.json`]);
    expect([...fake.objects.keys()].filter((key) => key.startsWith(DISTRIBUTION))).toEqual([]);
    expect(result).toMatchObject({
      removed: [
        { key: `${PRODUCT_TYPE}/${PRODUCT_ID}/${PRODUCT_ID}.json` },
        { key: `${PRODUCT_TYPE}/${PRODUCT_ID}/${PRODUCT_ID}.manifest.json` },
      ],
    });
  });
});

describe('register and unregister', () => {
  it('records the delivery with its lineage and timings', async () => {
    // Prepare
    const fake = fakeSaga();
    const saga = {
      ...sagaOf(),
      publish: { distributed: [{ bucket: DISTRIBUTION, key: 'k' }], publishedAt: '2026-11-22T10:14:28.000Z' },
    };

    // Act
    await run('register', saga, fake.deps);

    // Assess
    const record = fake.records.get(PRODUCT_ID)!;
    expect(record).toMatchObject({
      status: 'registered',
      productType: PRODUCT_TYPE,
      correlationId: 'cycle-20261122-061',
      execution: `product-${PRODUCT_ID}`,
      requestId: 'request-1',
      distributed: [{ bucket: DISTRIBUTION, key: 'k' }],
      product: { size: 100, sha256: 'a'.repeat(64) },
      timings: {
        requestedAt: '2026-11-22T10:14:26.452Z',
        sagaStartedAt: '2026-11-22T10:14:27.000Z',
        publishedAt: '2026-11-22T10:14:28.000Z',
        registeredAt: NOW.toISOString(),
      },
    });
    expect(record.lineage).toMatchObject({
      algorithm: { name: 'byte-statistics', version: '1' },
      degraded: false,
      inputs: [{ name: 'chunk-1.nc', key: 'eumetsat/2026/11/22/chunk-1.nc' }],
    });
  });

  it('stops with DeliveryConflictError when another execution registered the product', async () => {
    // Prepare
    const fake = fakeSaga();
    await run('register', { ...sagaOf(), execution: { name: 'product-x-manual', startedAt: 't' } }, fake.deps);

    // Act
    const act = run('register', sagaOf(), fake.deps);

    // Assess
    await expect(act).rejects.toBeInstanceOf(DeliveryConflictError);
    await expect(act).rejects.toHaveProperty('name', 'DeliveryConflictError');
  });

  it('throws InvalidInputError for a manifest that lists no inputs', async () => {
    // Prepare
    const fake = fakeSaga();
    fake.objects.set(`${PRODUCTS}/${deliveryRequested().data.manifest.key}`, Buffer.from('{"productId":"x"}'));

    // Act
    const act = run('register', sagaOf(), fake.deps);

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(/does not list its inputs/);
  });

  it('marks only its own record withdrawn, with the failed step and reason', async () => {
    // Prepare
    const fake = fakeSaga();
    const saga = await failedAt('notify', fake);

    // Act
    const result = await run('unregister', saga, fake.deps);

    // Assess
    expect(result).toEqual({ withdrawn: true });
    expect(fake.records.get(PRODUCT_ID)).toMatchObject({
      status: 'withdrawn',
      withdrawnReason: 'step notify failed with InjectedFaultError: chaos',
    });
  });

  it('has nothing to withdraw when register wrote nothing', async () => {
    // Prepare
    const fake = fakeSaga();

    // Act
    const result = await run('unregister', await failedAt('register', fake), fake.deps);

    // Assess
    expect(result).toEqual({ withdrawn: false });
    expect(fake.records.size).toBe(0);
  });
});

describe('notify and unnotify', () => {
  it('sends delivery.available to each subscriber of the product type, in configuration order', async () => {
    // Prepare
    const fake = fakeSaga();

    // Act
    const result = await run('notify', sagaOf(), fake.deps);

    // Assess
    expect(result).toEqual({ notified: ['Nowcasting', 'Climate'], notifiedAt: NOW.toISOString() });
    expect(fake.sent.map((s) => s.queueUrl)).toEqual(['https://sqs/nowcasting', 'https://sqs/climate']);
    const [first] = fake.sent;
    expect(first!.event).toMatchObject({
      type: EventTypes.deliveryAvailable,
      subject: PRODUCT_ID,
      correlationid: 'cycle-20261122-061',
      causationid: 'request-1',
      data: {
        subscriber: 'Nowcasting',
        product: { bucket: DISTRIBUTION, key: `${PRODUCT_TYPE}/${PRODUCT_ID}/${PRODUCT_ID}.json`, size: 100 },
      },
    });
    for (const { event } of fake.sent) expect(validateAgainstCatalog(event)).toEqual({ ok: true });
  });

  it('sends the same event ids when retried, so subscribers recognize a repeat', async () => {
    // Prepare
    const first = fakeSaga();
    const retry = fakeSaga();

    // Act
    await run('notify', sagaOf(), first.deps);
    await run('notify', sagaOf(deliveryRequested('request-2')), retry.deps);

    // Assess
    expect(retry.sent.map((s) => s.event.id)).toEqual(first.sent.map((s) => s.event.id));
  });

  it('fails fast with SubscriberUnavailableError, sending nothing, when a breaker is open', async () => {
    // Prepare
    const fake = fakeSaga({
      breakers: { Climate: { state: 'open', failures: 3, openUntil: new Date(NOW.getTime() + 1000).toISOString() } },
    });

    // Act
    const act = run('notify', sagaOf(), fake.deps);

    // Assess
    await expect(act).rejects.toBeInstanceOf(SubscriberUnavailableError);
    await expect(act).rejects.toThrow(/Subscriber Climate is unavailable/);
    expect(fake.sent).toEqual([]);
  });

  it('withdraws the product from every subscriber of its type, whatever the breakers say', async () => {
    // Prepare
    const fake = fakeSaga({
      breakers: { Climate: { state: 'open', failures: 3, openUntil: '2099-01-01T00:00:00.000Z' } },
    });
    const saga = await failedAt('confirm', fakeSaga());

    // Act
    const result = await run('unnotify', saga, fake.deps);

    // Assess
    expect(result).toEqual({ withdrawnFrom: ['Nowcasting', 'Climate'] });
    expect(fake.sent.map((s) => [s.queueUrl, s.event.type])).toEqual([
      ['https://sqs/nowcasting', EventTypes.deliveryWithdrawn],
      ['https://sqs/climate', EventTypes.deliveryWithdrawn],
    ]);
    expect(fake.sent[0]!.event.data).toMatchObject({
      reason: 'Delivery compensated: step confirm failed with InjectedFaultError: chaos',
    });
    for (const { event } of fake.sent) expect(validateAgainstCatalog(event)).toEqual({ ok: true });
  });
});

describe('confirm', () => {
  it('marks the record delivered, then publishes product.delivered with an id derived from the product', async () => {
    // Prepare
    const fake = fakeSaga();
    const saga = await failedAt('confirm', fake);
    fake.calls.length = 0;

    // Act
    const result = await run('confirm', saga, fake.deps);

    // Assess
    expect(fake.calls).toEqual([`confirm ${PRODUCT_ID}`, 'publish product.delivered']);
    expect(fake.records.get(PRODUCT_ID)?.status).toBe('delivered');
    const [event] = fake.published;
    expect(event).toMatchObject({
      type: EventTypes.productDelivered,
      subject: PRODUCT_ID,
      causationid: 'request-1',
      id: createHash('sha256').update(`delivered\n${PRODUCT_ID}`).digest('hex').slice(0, 32),
    });
    expect(result).toEqual({ eventId: event!.id, deliveredAt: NOW.toISOString() });
    expect(validateAgainstCatalog(event)).toEqual({ ok: true });
  });
});

describe('report', () => {
  it('publishes delivery.compensated naming the failed step, the error, the reason and the compensations in order', async () => {
    // Prepare
    const fake = fakeSaga();
    const saga: SagaState = { ...(await failedAt('notify', fake)), unnotify: {}, unregister: {}, unpublish: {} };

    // Act
    await run('report', saga, fake.deps);

    // Assess
    const [event] = fake.published;
    expect(event).toMatchObject({
      type: EventTypes.deliveryCompensated,
      subject: PRODUCT_ID,
      causationid: 'request-1',
      data: {
        productId: PRODUCT_ID,
        productType: PRODUCT_TYPE,
        failedStep: 'notify',
        error: 'InjectedFaultError',
        reason: 'chaos',
        compensations: ['unnotify', 'unregister', 'unpublish'],
        execution: `product-${PRODUCT_ID}`,
      },
    });
    expect(validateAgainstCatalog(event)).toEqual({ ok: true });
  });

  it('refuses a document without the failed step', async () => {
    // Act
    const act = run('report', sagaOf(), fakeSaga().deps);

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('fault injection', () => {
  it.each(['publish', 'register', 'notify', 'confirm', 'unpublish', 'unregister', 'unnotify'] as const)(
    'fails %s with InjectedFaultError before it acts, for a terminal fault on this product',
    async (step) => {
      // Prepare
      const fake = fakeSaga({
        faults: [{ pk: `FAULT#${step}#${PRODUCT_ID}`, mode: 'terminal', reason: 'chaos test' }],
      });
      const saga = step.startsWith('un')
        ? await failedAt('confirm', fakeSaga())
        : await failedAt(step as 'publish', fakeSaga());

      // Act
      const act = run(step, saga, fake.deps);

      // Assess
      await expect(act).rejects.toBeInstanceOf(InjectedFaultError);
      await expect(act).rejects.toThrow(
        `Fault injected at step ${step} by FAULT#${step}#${PRODUCT_ID} (mode terminal): chaos test`,
      );
      expect(fake.calls).toEqual([]);
    },
  );

  it('fails once with DownstreamThrottledError for a transient-once fault, then lets the retry pass', async () => {
    // Prepare
    const fake = fakeSaga({ faults: [{ pk: 'FAULT#publish', mode: 'transient-once' }] });

    // Act
    const first = run('publish', sagaOf(), fake.deps);
    await expect(first).rejects.toBeInstanceOf(DownstreamThrottledError);
    const retry = await run('publish', sagaOf(), fake.deps);

    // Assess
    expect(retry).toMatchObject({ publishedAt: NOW.toISOString() });
  });

  it('applies a step-wide fault only to its product type', async () => {
    // Prepare
    const fake = fakeSaga({ faults: [{ pk: 'FAULT#publish', mode: 'terminal', productType: 'li-flashes' }] });

    // Act
    const result = await run('publish', sagaOf(), fake.deps);

    // Assess
    expect(result).toMatchObject({ publishedAt: NOW.toISOString() });
  });
});

describe('parseSagaTask', () => {
  it('accepts the state machine input and rejects an unknown step with InvalidInputError', () => {
    // Prepare
    const saga = sagaOf();

    // Act
    const task = parseSagaTask({ step: 'notify', saga });
    const act = (): unknown => parseSagaTask({ step: 'launch', saga });

    // Assess
    expect(task.step).toBe('notify');
    expect(task.saga.command.data.productId).toBe(PRODUCT_ID);
    expect(act).toThrow(InvalidInputError);
  });

  it('reads the message out of a Lambda error cause, and keeps a plain cause as it is', () => {
    // Assess
    expect(reasonOf({ Error: 'E', Cause: '{"errorType":"E","errorMessage":"went wrong","trace":[]}' })).toBe(
      'went wrong',
    );
    expect(reasonOf({ Error: 'E', Cause: 'went wrong' })).toBe('went wrong');
    expect(reasonOf(undefined)).toBe('');
  });
});
