import { describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CometEvent } from '#events/registry.ts';
import type { ClaimStore } from '#shared/envelope/claim-check.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { projectEvents } from './project.ts';

/** A status table in memory: the projector's two updates (facts, then the view) and nothing else. */
function fakeStatusTable() {
  const items = new Map<string, Record<string, unknown>>();
  const db = {
    send: async (command: { input: Record<string, unknown> }) => {
      const input = command.input as {
        Key: { pk: string };
        ExpressionAttributeNames: Record<string, string>;
        ExpressionAttributeValues: Record<string, unknown>;
        ReturnValues?: string;
      };
      const item = items.get(input.Key.pk) ?? { pk: input.Key.pk, version: 0 };
      for (const [placeholder, name] of Object.entries(input.ExpressionAttributeNames)) {
        const value = input.ExpressionAttributeValues[`:${placeholder.slice(1)}`];
        if (value !== undefined) item[name] = value;
      }
      const view = input.ExpressionAttributeValues[':view'];
      if (view !== undefined) item.view = view;
      if (input.ReturnValues === 'ALL_NEW') item.version = (item.version as number) + 1;
      items.set(input.Key.pk, item);
      return { Attributes: item };
    },
  } as unknown as DynamoDBDocumentClient;
  return { db, items };
}

/** A cycle's processing request of `count` inputs, stored as the event store keeps a large one: a reference. */
function claimChecked(count: number): { event: CometEvent; claims: ClaimStore } {
  const data = {
    algorithm: 'byte-statistics',
    productType: 'fci-cycle-statistics',
    inputs: Array.from({ length: count }, (_, i) => ({
      bucket: 'archive',
      key: `eumetsat/2026/11/22/slot-${i + 1}`,
      size: 1024,
      sha256: 'a'.repeat(64),
      name: `slot-${i + 1}`,
    })),
    degraded: false,
    missing: [],
  };
  const event = {
    specversion: '1.0',
    id: 'request-5000',
    source: 'cometflow/scheduler',
    type: 'cometflow.processing.requested',
    time: '2026-11-22T10:15:00.000Z',
    subject: 'cycle-20261122-061',
    dataschema: 'urn:cometflow:schema:cometflow.processing.requested:1',
    correlationid: 'cycle-20261122-061',
    causationid: 'event-1',
    dataref: 's3://claims/cometflow/scheduler/cometflow.processing.requested/request-5000.json',
  } as unknown as CometEvent;
  const claims: ClaimStore = {
    put: async (key) => `s3://claims/${key}`,
    get: async (reference) => {
      if (reference !== (event as unknown as { dataref: string }).dataref) throw new Error(`no ${reference}`);
      return JSON.stringify(data);
    },
  };
  return { event, claims };
}

describe('projectEvents', () => {
  it('folds a claim-checked event with the data read back from the claim store', async () => {
    // Prepare
    const { db, items } = fakeStatusTable();
    const { event, claims } = claimChecked(5000);

    // Act
    const result = await projectEvents([event], { db, table: 'status', claims });

    // Assess: the cycle's view counts the 5,000 inputs the reference held.
    expect(result).toEqual({ events: 1, entities: 1 });
    const view = [...items.values()][0]?.view as { fired?: { inputs?: number } };
    expect(view.fired?.inputs).toBe(5000);
  });

  it('refuses a claim-checked event without a claim store, saying where its data is', async () => {
    // Prepare
    const { db } = fakeStatusTable();
    const { event } = claimChecked(3);

    // Act
    const act = projectEvents([event], { db, table: 'status' });

    // Assess
    await expect(act).rejects.toThrow(InvalidInputError);
    await expect(act).rejects.toThrow('this reader has no claim store configured');
  });
});
