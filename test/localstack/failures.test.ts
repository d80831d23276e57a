/**
 * Dead letters keep their reason, and a rerun delivers once: a processing request whose input
 * is missing fails on every receive and lands in the process DLQ; `dlq` and `failures` show it
 * with the stage's last error; a rerun is refused while the input is still missing, is a dry run
 * without `--yes`, and once the input is there moves the message back, which delivers one product;
 * a second rerun finds nothing failed. Through the CLI's entry point, on the stack's description.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/cometflow.ts';
import type { DeadLetter, FailureReport, RerunReport } from '../../cli/failures.ts';
import { EventTypes } from '../../events/registry.ts';
import { poisonedRequest } from './support/poison.ts';
import { clients, eventsOf, stack, waitFor } from './support/stack.ts';

const { s3, sqs, documents } = clients();
const description = stack();
const stackFile = join(mkdtempSync(join(tmpdir(), 'cometflow-failures-')), 'stack.json');
writeFileSync(stackFile, JSON.stringify(description));

/** Runs the CLI against the stack under test; resolves to its exit code and output. */
async function cometflow(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    [...argv, '--stack', stackFile],
    { print: (l) => void out.push(l), error: (l) => void err.push(l) },
    process.env,
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const json = async <T>(...argv: string[]): Promise<T> => {
  const result = await cometflow(...argv, '--json');
  expect(result.code, result.err).toBe(0);
  return JSON.parse(result.out) as T;
};

describe('failures', () => {
  it('shows a poisoned message in its DLQ with its reason, refuses its rerun while the cause stays, and reruns it once fixed, delivering once', async () => {
    // Prepare: a processing request whose input is not in the archive: it fails on every receive.
    const { correlationId, body, input, command } = poisonedRequest(description.buckets.archive!, 'failures-test');

    // Act: poison.
    await sqs.send(
      new SendMessageCommand({ QueueUrl: description.queues.process, MessageBody: JSON.stringify(command) }),
    );
    const letter = await waitFor(
      'the request in the process DLQ with its failure record',
      async () => {
        const { messages } = await json<{ messages: DeadLetter[] }>('dlq', '--queue', 'processDlq');
        return messages.find((m) => m.failure?.eventId === command.id);
      },
      120_000,
    );
    const listed = await json<FailureReport>('failures', correlationId, '--stage', 'process');
    const refused = await json<RerunReport>('failures', correlationId, '--rerun', '--yes');

    // Assess: the reason is the stage's last error, after maxReceiveCount receives.
    expect(letter.role).toBe('processDlq');
    expect(letter.failure).toMatchObject({
      stage: 'process',
      correlationId,
      receiveCount: letter.failure!.maxReceiveCount,
      objects: [{ bucket: input.bucket, key: input.key }],
    });
    expect(letter.failure!.reason).not.toBe('');
    expect(listed.failures.map((f) => [f.messageId, f.deadLetterQueue])).toEqual([[letter.messageId, 'processDlq']]);
    expect(refused.moved).toBe(0);
    expect(refused.items).toEqual([
      expect.objectContaining({
        messageId: letter.messageId,
        action: 'refused',
        why: expect.stringContaining(input.key),
      }),
    ]);

    // Act: remove the fault; a dry run first, then the rerun.
    await s3.send(new PutObjectCommand({ Bucket: input.bucket, Key: input.key, Body: body }));
    const dryRun = await json<RerunReport>('failures', correlationId, '--rerun');
    const stillThere = await json<FailureReport>('failures', correlationId);
    const rerun = await json<RerunReport>('failures', correlationId, '--rerun', '--yes');
    await waitFor(
      'product.delivered of the rerun request',
      async () => {
        const events = await eventsOf(
          documents,
          description.tables.eventStore!,
          correlationId,
          EventTypes.productDelivered,
        );
        return events.length > 0 ? events : undefined;
      },
      120_000,
    );
    const again = await cometflow('failures', correlationId, '--rerun', '--yes');

    // Assess
    expect(dryRun).toMatchObject({ dryRun: true, moved: 0, items: [expect.objectContaining({ action: 'rerun' })] });
    expect(stillThere.failures[0]?.deadLetterQueue).toBe('processDlq');
    expect(rerun).toMatchObject({ dryRun: false, moved: 1 });
    expect(again.code).toBe(0);
    expect(again.out).toContain(`"${correlationId}" is not failed now`);
    expect(again.out).toContain('nothing to rerun');
    const generated = await eventsOf(
      documents,
      description.tables.eventStore!,
      correlationId,
      EventTypes.productGenerated,
    );
    const delivered = await eventsOf(
      documents,
      description.tables.eventStore!,
      correlationId,
      EventTypes.productDelivered,
    );
    expect(generated).toHaveLength(1);
    expect(delivered).toHaveLength(1);
  });
});
