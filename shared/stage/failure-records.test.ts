import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { FailureRecordSeconds, failureRecordOf, isLastReceive, objectsNamedIn } from './failure-records.ts';

const now = new Date('2026-12-01T18:00:00.000Z');

describe('failureRecordOf', () => {
  it('keeps the error, the receive counts and what the event names', () => {
    // Prepare
    const body = JSON.stringify({
      id: 'event-1',
      type: 'cometflow.processing.requested',
      correlationid: 'cycle-20261201-100',
      subject: 'fci-cycle-statistics',
      data: { inputs: [{ bucket: 'archive', key: 'eumetsat/a.nc', size: 3 }] },
    });

    // Act
    const record = failureRecordOf({
      stage: 'process',
      message: { messageId: 'm1', body, queue: 'ProcessQueue', receiveCount: 3 },
      error: new InvalidInputError('input a.nc is 3 bytes; expected at least 10'),
      maxReceiveCount: 3,
      now,
    });

    // Assess
    expect(record).toEqual({
      messageId: 'm1',
      stage: 'process',
      queue: 'ProcessQueue',
      receiveCount: 3,
      maxReceiveCount: 3,
      code: 'InvalidInputError',
      reason: 'input a.nc is 3 bytes; expected at least 10',
      retryable: false,
      failedAt: '2026-12-01T18:00:00.000Z',
      day: '2026-12-01',
      eventId: 'event-1',
      eventType: 'cometflow.processing.requested',
      correlationId: 'cycle-20261201-100',
      subject: 'fci-cycle-statistics',
      objects: [{ bucket: 'archive', key: 'eumetsat/a.nc' }],
      expiresAt: Math.floor(now.getTime() / 1000) + FailureRecordSeconds,
    });
  });

  it('takes the object key of an S3 notification as its subject, decoded', () => {
    // Prepare
    const body = JSON.stringify({
      Records: [{ s3: { bucket: { name: 'inbox' }, object: { key: 'eumetsat/a+b%21.nc' } } }],
    });

    // Act
    const record = failureRecordOf({
      stage: 'intake',
      message: { messageId: 'm2', body, queue: 'IntakeQueue', receiveCount: 3 },
      error: new Error('socket hang up'),
      maxReceiveCount: 3,
      now,
    });

    // Assess
    expect(record.subject).toBe('eumetsat/a b!.nc');
    expect(record.objects).toEqual([{ bucket: 'inbox', key: 'eumetsat/a b!.nc' }]);
    expect(record.retryable).toBe(true);
    expect(record.eventId).toBeUndefined();
  });

  it('records a body that is not JSON with the error alone', () => {
    // Act
    const record = failureRecordOf({
      stage: 'scheduler',
      message: { messageId: 'm3', body: 'not json', queue: 'EventBus', receiveCount: 5 },
      error: 'a string thrown',
      maxReceiveCount: 5,
      now,
    });

    // Assess
    expect(record).toMatchObject({ code: 'Unknown', reason: 'a string thrown', receiveCount: 5 });
    expect(record.objects).toBeUndefined();
  });
});

describe('objectsNamedIn', () => {
  it('finds each bucket and key pair once, however deep, at most 20', () => {
    // Prepare
    const many = Array.from({ length: 30 }, (_, i) => ({ bucket: 'b', key: `k${i}` }));

    // Act
    const found = objectsNamedIn({ a: { file: { bucket: 'b', key: 'k0' } }, many });

    // Assess
    expect(found).toHaveLength(20);
    expect(found[0]).toEqual({ bucket: 'b', key: 'k0' });
  });
});

describe('isLastReceive', () => {
  it('is the receive that reaches the bound, or any after it', () => {
    expect([1, 2, 3, 4].map((count) => isLastReceive(count, 3))).toEqual([false, false, true, true]);
  });
});
