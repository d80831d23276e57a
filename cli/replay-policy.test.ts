import { describe, expect, it } from 'vitest';
import { EventTypes } from '#events/registry.ts';
import { isReplayable, parseTypes, ReplayableTypes, replayableTypesOf } from './replay-policy.ts';

describe('ReplayableTypes', () => {
  it('are the state events stages publish on the event bus, derived from the catalog', () => {
    expect(ReplayableTypes).toEqual(
      expect.arrayContaining([
        EventTypes.fileAvailable,
        EventTypes.fileRejected,
        EventTypes.fileIngested,
        EventTypes.productGenerated,
        EventTypes.productDelivered,
      ]),
    );
  });

  it('leave out what the scheduler makes: commands, timers and its records', () => {
    for (const type of [
      EventTypes.ingestRequested,
      EventTypes.processingRequested,
      EventTypes.deliveryRequested,
      EventTypes.cycleAbandoned,
      EventTypes.inputLate,
      EventTypes.deadlineReached,
    ]) {
      expect(ReplayableTypes).not.toContain(type);
    }
  });

  it("follow the AsyncAPI send operations on the event bus, minus the scheduler's and unknown types", () => {
    // Prepare
    const document = {
      channels: {
        eventBus: {
          messages: {
            a: { $ref: '#/components/messages/a' },
            t: { $ref: '#/components/messages/t' },
            x: { $ref: '#/components/messages/x' },
          },
        },
      },
      components: {
        messages: {
          a: { name: EventTypes.fileAvailable },
          t: { name: EventTypes.deadlineReached },
          x: { name: 'cometflow.unknown' },
        },
      },
      operations: {
        intakePublishes: {
          action: 'send',
          channel: { $ref: '#/channels/eventBus' },
          tags: [{ name: 'intake' }],
          messages: [{ $ref: '#/channels/eventBus/messages/a' }, { $ref: '#/channels/eventBus/messages/x' }],
        },
        schedulerArms: {
          action: 'send',
          channel: { $ref: '#/channels/eventBus' },
          tags: [{ name: 'scheduler' }],
          messages: [{ $ref: '#/channels/eventBus/messages/t' }],
        },
        schedulerReceives: {
          action: 'receive',
          channel: { $ref: '#/channels/eventBus' },
          tags: [{ name: 'scheduler' }],
          messages: [{ $ref: '#/channels/eventBus/messages/t' }],
        },
      },
    };

    // Act / Assess
    expect(replayableTypesOf(document)).toEqual([EventTypes.fileAvailable]);
  });
});

describe('isReplayable', () => {
  it('takes a replayable type from a stage, not from the scheduler', () => {
    expect(isReplayable({ type: EventTypes.fileIngested, source: 'cometflow/ingest' })).toBe(true);
    expect(isReplayable({ type: EventTypes.fileIngested, source: 'cometflow/scheduler' })).toBe(false);
    expect(isReplayable({ type: EventTypes.processingRequested, source: 'cometflow/scheduler' })).toBe(false);
    expect(
      isReplayable({ type: EventTypes.fileIngested, source: 'cometflow/ingest' }, [EventTypes.fileAvailable]),
    ).toBe(false);
  });
});

describe('parseTypes', () => {
  it('takes short and full names', () => {
    expect(parseTypes('file.ingested, cometflow.product.generated')).toEqual([
      EventTypes.fileIngested,
      EventTypes.productGenerated,
    ]);
    expect(parseTypes(undefined)).toBe(ReplayableTypes);
  });

  it('explains why a scheduler type is not replayed, and names an unknown one', () => {
    expect(() => parseTypes('processing.requested')).toThrow(/"processing.requested" is made by the scheduler/);
    expect(() => parseTypes('file.arrived')).toThrow(
      /"file.arrived" is not a type of the catalog; replayable types: file.available/,
    );
    expect(() => parseTypes(',')).toThrow(/--types is empty/);
  });
});
