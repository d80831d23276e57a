import { describe, expect, it } from 'vitest';
import { Env } from '#shared/config.ts';
import { bulkLanesOf } from './capacity.ts';

describe('bulkLanesOf', () => {
  it("finds the bulk lanes' queues and whether the container lane is bulk, from the scheduler's lane table", () => {
    // Prepare
    const lanes = {
      'event-bus': { stage: 'scheduler', priority: 'realtime', queueUrl: 'http://127.0.0.1:1/000/bus' },
      'event-bus-bulk': { stage: 'scheduler', priority: 'bulk', queueUrl: 'http://127.0.0.1:1/000/bus-bulk' },
      'process-realtime': { stage: 'process', priority: 'realtime', queueUrl: 'http://127.0.0.1:1/000/process' },
      'process-bulk': { stage: 'process', priority: 'bulk', queueUrl: 'http://127.0.0.1:1/000/process-bulk' },
      'ingest-container': { stage: 'ingest-container', priority: 'bulk', queueUrl: 'http://127.0.0.1:1/000/worker' },
    };

    // Act
    const bulk = bulkLanesOf([{ OTHER: 'x' }, { [Env.lanes]: JSON.stringify(lanes) }]);

    // Assess
    expect([...bulk.queueNames].sort()).toEqual(['bus-bulk', 'process-bulk']);
    expect(bulk.containers).toBe(true);
  });

  it('finds nothing bulk without a lane table', () => {
    // Act
    const bulk = bulkLanesOf([{ [Env.eventBusQueueUrl]: 'http://q' }]);

    // Assess
    expect(bulk).toEqual({ queueNames: new Set(), containers: false });
  });
});
