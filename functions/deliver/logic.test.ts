import { describe, expect, it } from 'vitest';
import { deliveryRequested, PRODUCT_ID } from './steps/testing.ts';
import { executionNameOf, SfnMaxInputBytes, startDelivery, type StartDeliveryDeps } from './logic.ts';
import { MessageTooLargeError } from '#shared/envelope/claim-check.ts';

/** Records every start; answers `already-started` for a name seen before, as Step Functions does. */
function fakeStepFunctions() {
  const started: { name: string; input: string }[] = [];
  const deps: StartDeliveryDeps = {
    start: async (name, input) => {
      if (started.some((s) => s.name === name)) return { outcome: 'already-started' };
      started.push({ name, input });
      return { outcome: 'started', executionArn: `arn:aws:states:us-east-1:000000000000:execution:Delivery:${name}` };
    },
  };
  return { deps, started };
}

describe('startDelivery', () => {
  it('starts one execution named after the product, with the command as its input', async () => {
    // Prepare
    const fake = fakeStepFunctions();
    const command = deliveryRequested();

    // Act
    const result = await startDelivery(command, fake.deps);

    // Assess
    expect(result).toEqual({
      execution: `product-${PRODUCT_ID}`,
      started: true,
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:Delivery:product-${PRODUCT_ID}`,
    });
    expect(fake.started).toEqual([{ name: `product-${PRODUCT_ID}`, input: JSON.stringify(command) }]);
  });

  it('refuses, terminally, a command too large for a saga input, and starts nothing', async () => {
    // Prepare: a command whose data (read back from the claims bucket) is over 256 KiB.
    const fake = fakeStepFunctions();
    const base = deliveryRequested();
    const command = { ...base, data: { ...base.data, productType: 'x'.repeat(SfnMaxInputBytes) } };
    const fits = { ...base, data: { ...base.data, productType: 'x'.repeat(200 * 1024) } };

    // Act
    const act = startDelivery(command, fake.deps);

    // Assess
    await expect(act).rejects.toThrow(MessageTooLargeError);
    await expect(act).rejects.toThrow(
      /would start its saga with \d+ bytes of input; Step Functions takes at most 262144/,
    );
    expect(fake.started).toEqual([]);
    await expect(startDelivery(fits, fake.deps)).resolves.toMatchObject({ started: true });
  });

  it('reports a second request for the same product as already started, and starts nothing', async () => {
    // Prepare
    const fake = fakeStepFunctions();
    await startDelivery(deliveryRequested('request-1'), fake.deps);

    // Act
    const again = await startDelivery(deliveryRequested('request-2'), fake.deps);

    // Assess
    expect(again).toEqual({ execution: `product-${PRODUCT_ID}`, started: false });
    expect(fake.started).toHaveLength(1);
  });

  it('keeps execution names within the 80 characters Step Functions allows', () => {
    // Assess
    expect(executionNameOf('f'.repeat(32)).length).toBeLessThanOrEqual(80);
    expect(executionNameOf(PRODUCT_ID)).toMatch(/^[0-9A-Za-z_-]+$/);
  });
});
