/**
 * The hostile-input corpus (`support/hostile-inputs.ts`): every case is sent at once, as a
 * provider, S3 or a broken producer would, and each must reach its outcome: quarantined with
 * its reason code, dead-lettered, or ignored; none holds back the valid cycle sent with them.
 */
import { createHash } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { EventTypes } from '../../events/registry.ts';
import { cycleFiles, uploadAll } from './support/cycles.ts';
import { hostileCases, type HostileCase } from './support/hostile-inputs.ts';
import { quarantineKeyOf } from '../../shared/storage/s3.ts';
import { clients, eventsOf, stack, uniqueCycle, waitFor } from './support/stack.ts';

const { s3, sqs, documents } = clients();
const { buckets, queues, tables } = stack();

async function send(queueUrl: string, cases: readonly HostileCase[]): Promise<void> {
  // Batches of ten mix cases of every kind: a bad message must not re-run its neighbours.
  for (let i = 0; i < cases.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: cases.slice(i, i + 10).map((c, j) => ({ Id: `case${i + j}`, MessageBody: String(c.body) })),
      }),
    );
  }
}

async function deadLetters(queueUrl: string, wanted: ReadonlySet<string>, seen: Set<string>): Promise<boolean> {
  const response = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  // Every dead letter is seen, not only the wanted ones: an ignored case found here fails.
  for (const message of response.Messages ?? []) {
    seen.add(message.Body!);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
  }
  return [...wanted].every((body) => seen.has(body));
}

describe('hostile-input corpus', () => {
  it('quarantines, dead-letters or ignores every case as its line says, while a valid cycle sent alongside is processed', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const valid = cycleFiles(day, repeatCycle === 144 ? 1 : repeatCycle + 1);
    const cases = hostileCases(day, repeatCycle, buckets.inbox!, valid.chunks[0]!);
    const refused = cases.filter((c) => c.channel === 'upload' && 'refused' in c.outcome);
    const uploads = cases.filter((c) => c.channel === 'upload' && !('refused' in c.outcome));
    const intake = cases.filter((c) => c.channel === 'intake');
    const bus = cases.filter((c) => c.channel === 'bus');

    // Act
    const put = (c: HostileCase) =>
      s3.send(
        new PutObjectCommand({
          Bucket: buckets.inbox,
          Key: c.key,
          Body: c.body,
          ...(c.checksumSha256 === undefined ? {} : { ChecksumSHA256: c.checksumSha256 }),
        }),
      );
    const refusals = await Promise.all(
      refused.map((c) =>
        put(c).then(
          () => `${c.name}: accepted`,
          (error: Error) => `${c.name}: ${error.name}`,
        ),
      ),
    );
    await Promise.all([
      ...uploads.map(put),
      uploadAll(s3, buckets.inbox!, [valid.forecast, ...valid.chunks]),
      send(queues.intake!, intake),
      send(queues.eventBus!, bus),
    ]);

    // Assess: what S3 refuses never reaches the inbox.
    expect(refusals).toEqual(refused.map((c) => `${c.name}: ${'refused' in c.outcome ? c.outcome.refused : ''}`));
    for (const c of refused) {
      await expect(s3.send(new HeadObjectCommand({ Bucket: buckets.inbox, Key: c.key })), c.name).rejects.toThrow();
    }

    // Each upload quarantined with its code, on the quarantined object itself.
    const codes = new Map<string, string>();
    await waitFor(
      'every hostile upload in quarantine',
      async () => {
        for (const c of uploads.filter((u) => !codes.has(u.key!))) {
          try {
            // Each upload's own copy: `quarantineKeyOf` its key and ETag (the MD5 of a single put).
            const etag = createHash('md5').update(c.body).digest('hex');
            const head = await s3.send(
              new HeadObjectCommand({ Bucket: buckets.quarantine, Key: quarantineKeyOf(c.key!, etag) }),
            );
            codes.set(c.key!, head.Metadata?.['rejection-code'] ?? '');
          } catch {
            // Not there yet.
          }
        }
        return codes.size === uploads.length ? true : undefined;
      },
      150_000,
    ).catch(() => undefined);
    const quarantined = uploads.map((c) => `${c.name}: ${codes.get(c.key!) ?? 'not quarantined'}`);
    expect(quarantined).toEqual(
      uploads.map((c) => `${c.name}: ${'quarantined' in c.outcome ? c.outcome.quarantined : ''}`),
    );

    // Each poisoned message in its queue's dead-letter queue.
    const seen = new Set<string>();
    for (const [channel, dlqUrl] of [
      [intake, queues.intakeDlq!],
      [bus, queues.eventBusDlq!],
    ] as const) {
      const wanted = new Set(channel.filter((c) => 'deadLettered' in c.outcome).map((c) => String(c.body)));
      await waitFor(
        `dead letters in ${dlqUrl}`,
        async () => ((await deadLetters(dlqUrl, wanted, seen)) ? true : undefined),
        150_000,
      ).catch(() => undefined);
    }
    const lettered = [...intake, ...bus]
      .filter((c) => 'deadLettered' in c.outcome)
      .map((c) => `${c.name}: ${seen.has(String(c.body)) ? 'dead-lettered' : 'not dead-lettered'}`);
    expect(lettered).toEqual(lettered.map((line) => `${line.split(': ')[0]}: dead-lettered`));

    // Ignored notifications and events: consumed, never dead-lettered, the intake queue drained,
    // nothing ingested for an event of the corpus (an upload replaced since is left to its own).
    expect([...intake, ...bus].filter((c) => 'ignored' in c.outcome && seen.has(String(c.body)))).toEqual([]);
    expect(await eventsOf(documents, tables.eventStore!, 'hostile-corpus', EventTypes.fileIngested)).toEqual([]);
    const depth = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queues.intake,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(
      Number(depth.Attributes?.ApproximateNumberOfMessages) +
        Number(depth.Attributes?.ApproximateNumberOfMessagesNotVisible),
    ).toBe(0);

    // The valid cycle sent alongside became its product.
    const generated = await waitFor(
      'the product of the valid cycle',
      async () => {
        const events = await eventsOf(documents, tables.eventStore!, valid.correlationId, EventTypes.productGenerated);
        return events.length > 0 ? events : undefined;
      },
      150_000,
    );
    expect(generated).toHaveLength(1);
    const counts = {
      quarantined: uploads.length,
      deadLettered: lettered.length,
      ignored: [...intake, ...bus].filter((c) => 'ignored' in c.outcome).length,
      refused: refused.length,
    };
    console.log(`hostile-input corpus: ${cases.length} cases, ${JSON.stringify(counts)}`);
    expect(cases.length).toBeGreaterThanOrEqual(60);
  }, 600_000);
});
