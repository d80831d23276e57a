import { describe, expect, it } from 'vitest';
import { validateAgainstCatalog } from '#events/catalog.ts';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { OutOfSequenceError } from '../errors.ts';
import { runSagaTask } from './index.ts';
import type { SagaState } from './saga-state.ts';
import type { Subscriber } from './subscribers.ts';
import { PRODUCTS, fakeSaga, sagaOf } from './testing.ts';

const STREAM = 'mti1-li-lfl';
const ORDERED: Subscriber[] = [
  { name: 'Nowcasting', queueUrl: 'https://sqs/nowcasting.fifo', productTypes: ['lightning-window'], ordered: true },
  { name: 'Climate', queueUrl: 'https://sqs/climate', productTypes: ['*'] },
];
const STARTED = '2026-11-22T10:11:01.000Z';

/** A `delivery.requested` of the LI window `index` (30 s each from 10:10:00). */
function windowRequested(index: number): CometEvent<typeof EventTypes.deliveryRequested> {
  const start = new Date(Date.parse('2026-11-22T10:10:00Z') + index * 30_000);
  const productId = index.toString(16).padStart(32, 'a');
  return wrap({
    type: EventTypes.deliveryRequested,
    source: 'cometflow/scheduler',
    id: `request-${index}`,
    correlationId: `li-${STREAM}-${index}`,
    data: {
      productId,
      productType: 'lightning-window',
      product: { bucket: PRODUCTS, key: `lightning-window/${productId}.json`, size: 10, sha256: 'b'.repeat(64) },
      manifest: { bucket: PRODUCTS, key: `lightning-window/${productId}.manifest.json` },
      sequence: {
        stream: STREAM,
        sensingStart: start.toISOString(),
        sensingEnd: new Date(start.getTime() + 30_000).toISOString(),
      },
    },
  });
}

const sagaAt = (index: number): SagaState => ({
  ...sagaOf(windowRequested(index)),
  execution: { name: `product-${index}`, startedAt: STARTED },
});
const notify = (index: number, fake: ReturnType<typeof fakeSaga>) =>
  runSagaTask({ step: 'notify', saga: sagaAt(index) }, fake.deps);
const nowcasting = (fake: ReturnType<typeof fakeSaga>) => fake.sent.filter((s) => s.queueUrl.endsWith('.fifo'));
const notifiedIds = (fake: ReturnType<typeof fakeSaga>) =>
  nowcasting(fake).map((s) => (s.event.data as { productId: string }).productId);
/** Makes window `index` the stream's head, as if it had been notified. */
const headAt = (index: number, fake: ReturnType<typeof fakeSaga>): void => {
  const { sequence, productId } = windowRequested(index).data;
  fake.heads.set(`Nowcasting#${STREAM}`, {
    productId,
    sensingStart: sequence!.sensingStart,
    sensingEnd: sequence!.sensingEnd,
  });
};
const at = (seconds: number): Date => new Date(Date.parse(STARTED) + seconds * 1000);

describe('notify to an ordered subscriber', () => {
  it('sends to the FIFO queue with the stream as group and the product id as deduplication id', async () => {
    // Prepare
    const fake = fakeSaga({ subscribers: ORDERED });

    // Act
    await notify(0, fake);

    // Assess
    const [sent] = nowcasting(fake);
    expect(sent!.fifo).toEqual({ groupId: STREAM, deduplicationId: windowRequested(0).data.productId });
    expect(sent!.event.data).toMatchObject({
      late: false,
      sequence: { stream: STREAM, sensingStart: '2026-11-22T10:10:00.000Z' },
    });
    expect(validateAgainstCatalog(sent!.event)).toEqual({ ok: true });
    expect(fake.sent.find((s) => s.queueUrl === 'https://sqs/climate')!.fifo).toBeUndefined();
  });

  it('sends the successor of the stream head at once', async () => {
    // Prepare
    const fake = fakeSaga({ subscribers: ORDERED, now: new Date(STARTED) });
    headAt(0, fake);

    // Act
    await notify(1, fake);

    // Assess
    expect(notifiedIds(fake)).toEqual([windowRequested(1).data.productId]);
  });

  it('holds a product back while its predecessor is missing, sending nothing to anyone', async () => {
    // Prepare
    const fake = fakeSaga({ subscribers: ORDERED, now: at(3), holdbackSeconds: 10 });
    headAt(0, fake);
    const before = fake.sent.length;

    // Act
    const outcome = notify(2, fake);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(OutOfSequenceError);
    await expect(outcome).rejects.toThrow('holding it back for its predecessor (3.0 of 10 s)');
    expect(fake.sent).toHaveLength(before);
  });

  it('sends a product whose predecessor did not come within the holdback', async () => {
    // Prepare
    const fake = fakeSaga({ subscribers: ORDERED, now: new Date(Date.parse(STARTED) + 10_000), holdbackSeconds: 10 });
    await notify(0, fake);

    // Act
    await notify(2, fake);

    // Assess
    expect(nowcasting(fake).at(-1)!.event.data).toMatchObject({
      productId: windowRequested(2).data.productId,
      late: false,
    });
    expect(fake.heads.get(`Nowcasting#${STREAM}`)).toMatchObject({ sensingStart: '2026-11-22T10:11:00.000Z' });
  });

  it('still delivers an older product after a later one, marked late, without moving the head back', async () => {
    // Prepare
    const fake = fakeSaga({ subscribers: ORDERED, now: new Date(Date.parse(STARTED) + 20_000) });
    await notify(0, fake);
    await notify(2, fake);

    // Act
    await notify(1, fake);

    // Assess
    const last = nowcasting(fake).at(-1)!;
    expect(last.event.data).toMatchObject({ productId: windowRequested(1).data.productId, late: true });
    expect(fake.heads.get(`Nowcasting#${STREAM}`)?.productId).toBe(windowRequested(2).data.productId);
  });

  it('is not late when the step is retried after it advanced the head', async () => {
    // Prepare
    let failures = 1;
    const fake = fakeSaga({
      subscribers: ORDERED,
      failSend: (url) =>
        url.endsWith('.fifo') && failures-- > 0
          ? Object.assign(new Error('throttled'), { name: 'DownstreamThrottledError' })
          : undefined,
    });
    await expect(notify(0, fake)).rejects.toThrow('throttled');

    // Act
    await notify(0, fake);

    // Assess
    expect(nowcasting(fake).map((s) => s.event.data)).toMatchObject([{ late: false }]);
  });

  it('sends products that pass each other before their stream has a head in sensing order', async () => {
    // Prepare: window 1 reaches notify first, window 0 a second later; neither finds a head.
    const fake = fakeSaga({ subscribers: ORDERED, now: at(0), holdbackSeconds: 10 });
    await expect(notify(1, fake)).rejects.toBeInstanceOf(OutOfSequenceError);
    fake.setNow(at(1));
    await expect(notify(0, fake)).rejects.toBeInstanceOf(OutOfSequenceError);

    // Act: the state machine retries both every second.
    const attempts: string[] = [];
    for (let second = 2; second <= 12; second += 1) {
      fake.setNow(at(second));
      for (const index of [1, 0]) {
        if (notifiedIds(fake).includes(windowRequested(index).data.productId)) continue;
        await notify(index, fake).then(
          () => attempts.push(`${second}: ${index} sent`),
          (error: Error) => {
            if (!(error instanceof OutOfSequenceError)) throw error;
          },
        );
      }
    }

    // Assess
    expect(notifiedIds(fake)).toEqual([0, 1].map((i) => windowRequested(i).data.productId));
    expect(nowcasting(fake).map((s) => (s.event.data as { late?: boolean }).late)).toEqual([false, false]);
    expect(attempts).toEqual(['10: 0 sent', '11: 1 sent']);
    expect(fake.waiting.get(`Nowcasting#${STREAM}`)).toEqual([]);
  });

  it('holds a product back while an earlier one of its stream waits, after a gap', async () => {
    // Prepare: the head is window 0; windows 3 then 2 arrive (1 is missing).
    const fake = fakeSaga({ subscribers: ORDERED, now: at(0), holdbackSeconds: 10 });
    headAt(0, fake);
    await expect(notify(3, fake)).rejects.toBeInstanceOf(OutOfSequenceError);
    fake.setNow(at(4));
    await expect(notify(2, fake)).rejects.toBeInstanceOf(OutOfSequenceError);

    // Act: the stream has waited the holdback since window 3 came.
    fake.setNow(at(10));
    const later = notify(3, fake);
    await expect(later).rejects.toThrow(`the earlier product ${windowRequested(2).data.productId}`);
    await notify(2, fake);
    await notify(3, fake);

    // Assess
    expect(notifiedIds(fake)).toEqual([2, 3].map((i) => windowRequested(i).data.productId));
  });

  it('sends a product that waited its holdback and grace even while an earlier one still waits', async () => {
    // Prepare: window 2 waits behind window 1, whose saga never comes back.
    const fake = fakeSaga({ subscribers: ORDERED, now: at(0), holdbackSeconds: 10 });
    headAt(0, fake);
    fake.waiting.set(`Nowcasting#${STREAM}`, [
      { productId: windowRequested(1).data.productId, sensingStart: '2026-11-22T10:10:30.000Z', startedAt: STARTED },
    ]);
    fake.setNow(at(5));
    await expect(notify(2, fake)).rejects.toBeInstanceOf(OutOfSequenceError);

    // Act
    fake.setNow(at(13));
    await notify(2, fake);

    // Assess
    expect(notifiedIds(fake)).toEqual([windowRequested(2).data.productId]);
  });
});
