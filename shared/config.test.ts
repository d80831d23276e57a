import { describe, expect, it } from 'vitest';
import { samplesOf } from '#events/catalog.ts';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { busLaneOf, laneForWork, Lanes } from './config.ts';
import { wrap } from './envelope/envelope.ts';

const BUS = {
  'event-bus': { priority: 'realtime', queueUrl: 'https://sqs/bus' },
  'event-bus-bulk': { priority: 'bulk', queueUrl: 'https://sqs/bus-bulk' },
} as const;

describe('priority as data', () => {
  it('publishes an event to the event bus lane of its priority, real time when it has none', () => {
    // Act
    const urls = [busLaneOf(BUS, 'bulk'), busLaneOf(BUS, 'realtime'), busLaneOf(BUS, undefined)];

    // Assess
    expect(urls).toEqual(['https://sqs/bus-bulk', 'https://sqs/bus', 'https://sqs/bus']);
  });

  it('publishes bulk events to the real-time bus of a topology without a bulk lane', () => {
    // Act
    const url = busLaneOf({ 'event-bus': BUS['event-bus'] }, 'bulk');

    // Assess
    expect(url).toBe('https://sqs/bus');
  });

  it("sends work caused by bulk work to its stage's bulk lane, and keeps a lane its stage has no bulk twin of", () => {
    // Act
    const lanes = [
      laneForWork(Lanes, 'process-realtime', 'bulk'),
      laneForWork(Lanes, 'ingest', 'bulk'),
      laneForWork(Lanes, 'process-realtime', 'realtime'),
      laneForWork(Lanes, 'process-realtime', undefined),
      laneForWork(Lanes, 'process-bulk', 'realtime'),
      laneForWork(Lanes, 'deliver', 'bulk'),
    ];

    // Assess
    expect(lanes).toEqual([
      'process-bulk',
      'ingest-bulk',
      'process-realtime',
      'process-realtime',
      'process-bulk',
      'deliver',
    ]);
  });

  it("gives an event its cause's priority", () => {
    // Prepare
    const cause = { id: 'command-1', correlationid: 'li-mti1-li-lfl-20261122101000', priority: 'bulk' as const };

    const { data } = samplesOf(EventTypes.fileIngested)[0]!.event as CometEvent<typeof EventTypes.fileIngested>;

    // Act
    const event = wrap({ type: EventTypes.fileIngested, source: 'test', cause, data });

    // Assess
    expect(event.priority).toBe('bulk');
    expect(wrap({ type: EventTypes.fileIngested, source: 'test', correlationId: 'c', data }).priority).toBe(undefined);
  });
});
