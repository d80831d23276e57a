import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { FailureRecord } from '#shared/stage/failure-records.ts';
import { causeOf, formatRerun, parseSince } from './failures.ts';
import { UsageError } from './errors.ts';
import { failuresOf, whyOf } from './trace.ts';
import type { CycleView } from '#functions/projector/logic.ts';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({});

const failure = (overrides: Partial<FailureRecord> = {}): FailureRecord => ({
  messageId: 'm1',
  stage: 'process',
  queue: 'ProcessQueue',
  receiveCount: 3,
  maxReceiveCount: 3,
  code: 'NoSuchKey',
  reason: 'The specified key does not exist.',
  retryable: true,
  failedAt: '2026-12-01T18:00:00.000Z',
  day: '2026-12-01',
  correlationId: 'cycle-20261201-100',
  objects: [{ bucket: 'archive', key: 'eumetsat/a.nc' }],
  expiresAt: 0,
  ...overrides,
});

describe('parseSince', () => {
  const now = new Date('2026-12-01T18:00:00.000Z');

  it('reads a duration back from now or an ISO time', () => {
    expect(parseSince('6h', now)).toBe('2026-12-01T12:00:00.000Z');
    expect(parseSince('30m', now)).toBe('2026-12-01T17:30:00.000Z');
    expect(parseSince('2d', now)).toBe('2026-11-29T18:00:00.000Z');
    expect(parseSince('2026-12-01T10:00:00Z', now)).toBe('2026-12-01T10:00:00.000Z');
  });

  it('refuses what is neither, naming what it expected, and more than 31 days', () => {
    expect(() => parseSince('yesterday', now)).toThrow(UsageError);
    expect(() => parseSince('yesterday', now)).toThrow(/expected for example 30m, 6h, 2d/);
    expect(() => parseSince('40d', now)).toThrow(/more than 31 days/);
  });
});

describe('causeOf', () => {
  beforeEach(() => s3Mock.reset());
  afterAll(() => s3Mock.restore());

  it('holds a missing-object cause unchanged while the object is still missing', async () => {
    // Prepare
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'not found', $metadata: { httpStatusCode: 404 } }));

    // Act
    const verdict = await causeOf(s3, failure());

    // Assess
    expect(verdict).toEqual({ unchanged: true, why: 's3://archive/eumetsat/a.nc is still missing (NoSuchKey)' });
  });

  it('finds the cause changed once the missing object is there', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 3 });
    await expect(causeOf(s3, failure())).resolves.toMatchObject({ unchanged: false });
  });

  it('holds a terminal error unchanged and lets a transient one or an unknown cause through', async () => {
    await expect(
      causeOf(s3, failure({ code: 'InvalidInputError', reason: 'bad', retryable: false })),
    ).resolves.toMatchObject({
      unchanged: true,
      why: expect.stringContaining('--force after deploying a fix'),
    });
    await expect(causeOf(s3, failure({ code: 'DownstreamThrottledError', reason: 'slow' }))).resolves.toMatchObject({
      unchanged: false,
    });
    await expect(causeOf(s3, undefined)).resolves.toMatchObject({ unchanged: false });
  });
});

describe('formatRerun', () => {
  it('says a dry run moved nothing and how to move', () => {
    // Act
    const lines = formatRerun({
      dryRun: true,
      moved: 0,
      items: [
        { messageId: 'm1', stage: 'process', deadLetterQueue: 'processDlq', action: 'rerun', why: 'may pass now' },
        { messageId: 'm2', stage: 'process', deadLetterQueue: 'processDlq', action: 'refused', why: 'still missing' },
      ],
    });

    // Assess
    expect(lines.at(-1)).toBe(
      'dry run: 1 would be moved back to their queues, 1 refused; add --rerun --yes to move them',
    );
    expect(lines[1]).toContain('refused');
  });

  it('says so when nothing is failed', () => {
    expect(
      formatRerun({ dryRun: false, moved: 0, items: [], nothing: 'x is not failed now; nothing to rerun' }),
    ).toEqual(['x is not failed now; nothing to rerun']);
  });
});

describe('trace of failures', () => {
  const cycle = {
    kind: 'cycle',
    id: '20261201-100',
    stage: 'processing',
    stages: { collecting: '2026-12-01T17:50:00.000Z', processing: '2026-12-01T17:55:00.000Z' },
    waitingFor: [],
  } as unknown as CycleView;

  it('explains a cycle by the failures after its last stage change, in the DLQ after its receives', () => {
    // Prepare
    const records = [failure({ failedAt: '2026-12-01T17:52:00.000Z', messageId: 'old' }), failure()];

    // Act
    const found = failuresOf(cycle, records);
    const why = whyOf(cycle, undefined, found);

    // Assess
    expect(found.map((f) => f.messageId)).toEqual(['m1']);
    expect(why).toEqual([
      'in the process DLQ (ProcessQueue) after 3 receives since 2026-12-01T18:00:00.000Z: NoSuchKey: The specified key does not exist.',
    ]);
  });
});
