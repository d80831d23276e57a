/**
 * The real-time lane on a running stack: a Lightning Imager stream yields one product per file,
 * delivered to the ordered subscriber's FIFO queue in sensing order even when the files are
 * uploaded shuffled; a duplicate upload is delivered once; a replay of the stream goes to the
 * bulk lane of the event bus and delivers nothing twice. AWS APIs only.
 *
 * Streams are per satellite and LI product type, and the stack keeps each stream's head (the
 * last window notified) across test runs: the windows here are the last minutes before now,
 * so a later run on the same stack extends its stream instead of going back in time.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '../../events/registry.ts';
import { runReplay, type CliContext } from '../../cli/replay.ts';
import { clientsFor, destroyClients } from '../../cli/stack.ts';
import { liCorrelationOf, liStreamOf } from '../../shared/conventions/mtg-li.ts';
import { liFile, type ProviderFileSample } from '../../shared/samples/provider-files.ts';
import { clients, eventsOf, stack, waitFor } from './support/stack.ts';

const { s3, sqs, documents } = clients();
const description = stack();
const { buckets, queues, tables } = description;
const nowcastingQueue = queues.subscriberNowcasting!;

type Available = CometEvent<typeof EventTypes.deliveryAvailable>;

/**
 * What the Nowcasting FIFO queue delivered, in the order received, for the streams asked for.
 * Only this file reads these streams; other streams' messages are deleted as they come, so no
 * message group is left blocked behind an unread message.
 */
class StreamInbox {
  private readonly received: Available[] = [];

  private readonly streams: ReadonlySet<string>;

  public constructor(streams: ReadonlySet<string>) {
    this.streams = streams;
  }

  /** Receives until the queue answers empty. */
  public async drain(): Promise<void> {
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: nowcastingQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) return;
      for (const message of Messages) {
        const event = JSON.parse(message.Body ?? '{}') as Available;
        const stream = event.data?.sequence?.stream;
        if (event.type === EventTypes.deliveryAvailable && stream !== undefined && this.streams.has(stream))
          this.received.push(event);
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: nowcastingQueue,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }

  /** The notifications of `stream` received so far, in the order received. */
  public of(stream: string): Available[] {
    return this.received.filter((e) => e.data.sequence?.stream === stream);
  }

  /** Drains until `count` notifications of `stream` came, or fails naming what is missing. */
  public async until(stream: string, count: number, timeoutMs = 150_000): Promise<Available[]> {
    return waitFor(
      `${count} notifications of stream ${stream} on the Nowcasting queue`,
      async () => {
        await this.drain();
        const got = this.of(stream);
        return got.length >= count ? got : undefined;
      },
      timeoutMs,
    );
  }
}

/** `count` consecutive 30 s windows of one stream, ending at least a minute before now. */
function windows(productType: string, satellite: string, count: number): { start: Date; file: ProviderFileSample }[] {
  const last = Math.floor((Date.now() - 60_000) / 30_000) * 30_000;
  return Array.from({ length: count }, (_, i) => {
    const start = new Date(last - (count - 1 - i) * 30_000);
    return { start, file: liFile(productType, start, 4096, satellite) };
  });
}

/** A fixed permutation that moves every window (none stays in place, the first is not first). */
const shuffled = <T>(items: readonly T[]): T[] => {
  const order = [5, 2, 7, 0, 3, 6, 1, 4].filter((i) => i < items.length);
  return order.map((i) => items[i]!);
};

const put = (file: ProviderFileSample): Promise<unknown> =>
  s3.send(new PutObjectCommand({ Bucket: buckets.inbox!, Key: file.key, Body: file.body }));

const correlationOf = (stream: string, start: Date): string =>
  liCorrelationOf({ stream, sensingStart: start.toISOString() });

/** Waits until the scheduler recorded `product.delivered` for every correlation. */
async function allDelivered(correlations: readonly string[]): Promise<void> {
  for (const correlationId of correlations) {
    await waitFor(
      `product.delivered in ${correlationId}`,
      async () => {
        const delivered = await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.productDelivered);
        return delivered.length > 0 ? delivered : undefined;
      },
      150_000,
    );
  }
}

// Two streams of their own: the shuffled one and the one replayed.
const satellite = 'MTI2';
const shuffledStream = liStreamOf(satellite, 'LFL');
const replayedStream = liStreamOf(satellite, 'AF');
const inbox = new StreamInbox(new Set([shuffledStream, replayedStream]));

describe('a Lightning Imager stream uploaded shuffled', () => {
  // One window first: it sets the stream's head; the other seven then arrive in any order.
  const stream = windows('LFL', satellite, 9);
  const [prime, ...rest] = stream;
  const correlations = stream.map((w) => correlationOf(shuffledStream, w.start));

  beforeAll(async () => {
    await put(prime!.file);
    await inbox.until(shuffledStream, 1);
    await Promise.all(shuffled(rest.slice(0, 8)).map((w) => put(w.file)));
    await allDelivered(correlations);
    await inbox.until(shuffledStream, stream.length);
  });

  it('yields one product per file, each of its own window and input', async () => {
    // Act
    const generated = await Promise.all(
      correlations.map(
        async (c) =>
          (await eventsOf(documents, tables.eventStore!, c, EventTypes.productGenerated)) as CometEvent<
            typeof EventTypes.productGenerated
          >[],
      ),
    );

    // Assess
    expect(generated.map((g) => g.length)).toEqual(stream.map(() => 1));
    expect(generated.map((g) => g[0]!.data.productType)).toEqual(stream.map(() => 'lightning-window'));
    expect(generated.map((g) => g[0]!.data.sequence?.sensingStart)).toEqual(stream.map((w) => w.start.toISOString()));
  });

  it('notifies Nowcasting of every product once, in sensing order, none marked late', async () => {
    // Act
    await inbox.drain();
    const notified = inbox.of(shuffledStream);

    // Assess
    expect(notified.map((e) => e.data.sequence?.sensingStart)).toEqual(stream.map((w) => w.start.toISOString()));
    expect(new Set(notified.map((e) => e.data.productId)).size).toBe(stream.length);
    expect(notified.map((e) => e.data.late ?? false)).toEqual(stream.map(() => false));
  });

  it('delivers a duplicate upload once', async () => {
    // Prepare
    const again = rest[3]!;
    const correlationId = correlationOf(shuffledStream, again.start);

    // Act: the same object again; then wait until every stage's queue is empty.
    await put(again.file);
    await pipelineSettled();
    await inbox.drain();

    // Assess
    expect(await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.productGenerated)).toHaveLength(1);
    expect(await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.productDelivered)).toHaveLength(1);
    expect(
      inbox.of(shuffledStream).filter((e) => e.data.sequence?.sensingStart === again.start.toISOString()),
    ).toHaveLength(1);
  });
});

describe('a replay of a Lightning Imager stream', () => {
  const stream = windows('AF', satellite, 4);
  const correlations = stream.map((w) => correlationOf(replayedStream, w.start));
  const cli = clientsFor({ description, sdkCredentials: false });
  /** Queue URL -> SendMessage calls the CLI made to it. */
  const sentTo = new Map<string, number>();
  cli.sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'SendMessageCommand') {
        const url = String((args.input as { QueueUrl?: unknown }).QueueUrl);
        sentTo.set(url, (sentTo.get(url) ?? 0) + 1);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countSendMessageByQueue' },
  );
  const context: CliContext = { description, clients: cli, print: () => undefined };

  beforeAll(async () => {
    for (const w of stream) await put(w.file);
    await allDelivered(correlations);
    await inbox.until(replayedStream, stream.length);
  });

  afterAll(() => destroyClients(cli));

  it('goes to the bulk lane of the event bus and delivers nothing twice', async () => {
    // Prepare
    const before = await Promise.all(correlations.map((c) => eventsOf(documents, tables.eventStore!, c)));

    // Act
    let replayed = 0;
    for (const correlationId of correlations) {
      const summary = await runReplay(
        { selection: { kind: 'correlation', correlationId }, dryRun: false, rate: 100 },
        context,
      );
      replayed += summary.sent;
    }
    await pipelineSettled();
    await inbox.drain();
    const after = await Promise.all(correlations.map((c) => eventsOf(documents, tables.eventStore!, c)));

    // Assess
    expect(replayed).toBeGreaterThanOrEqual(stream.length * 3);
    expect(Object.fromEntries(sentTo)).toEqual({ [queues.eventBusBulk!]: replayed });
    expect(inbox.of(replayedStream).map((e) => e.data.sequence?.sensingStart)).toEqual(
      stream.map((w) => w.start.toISOString()),
    );
    expect(after.map((events) => events.map((e) => e.id))).toEqual(before.map((events) => events.map((e) => e.id)));
  });
});

/** The stages' queues: every queue of the stack but the dead-letter and subscriber queues. */
const stageQueues = Object.entries(queues)
  .filter(([role]) => !role.endsWith('Dlq') && !role.startsWith('subscriber'))
  .map(([, url]) => url);

async function queueLength(queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/**
 * Waits until no stage has work queued or in flight, twice in a row a second apart (a message
 * handed from one stage to the next is in one of the two queues at every moment).
 */
async function pipelineSettled(): Promise<void> {
  let quietPolls = 0;
  await waitFor(
    "every stage's queue to be empty",
    async () => {
      const lengths = await Promise.all(stageQueues.map(queueLength));
      quietPolls = lengths.every((n) => n === 0) ? quietPolls + 1 : 0;
      if (quietPolls >= 2) return lengths;
      await new Promise((r) => setTimeout(r, 1000));
      return undefined;
    },
    150_000,
  );
}
