/**
 * `reconcile` through the CLI's entry point: after a healthy cycle it has nothing to say about
 * any of that cycle's objects, events or product; an object planted only in the archive and a
 * multipart upload left open in the inbox are found, each with its key, and the exit code is 1.
 * The stack is shared with the other tests, which leave their own inconsistencies on purpose
 * (objects put straight into the archive, poisoned requests): a finding counts here only when it
 * names what this test made.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/cometflow.ts';
import type { ReconcileReport } from '../../cli/reconcile.ts';
import { EventTypes } from '../../events/registry.ts';
import { cycleFiles, uploadAll } from './support/cycles.ts';
import { clients, eventsOf, stack, uniqueCycle, waitFor } from './support/stack.ts';

const { s3, documents } = clients();
const description = stack();
const stackFile = join(mkdtempSync(join(tmpdir(), 'cometflow-reconcile-')), 'stack.json');
writeFileSync(stackFile, JSON.stringify(description));

/** Runs `reconcile --json --grace 0` on today; resolves to its exit code and report. */
async function reconcile(): Promise<{ code: number; report: ReconcileReport }> {
  const out: string[] = [];
  const code = await main(
    ['reconcile', '--json', '--grace', '0', '--stack', stackFile],
    { print: (l) => void out.push(l), error: () => undefined },
    process.env,
  );
  return { code, report: JSON.parse(out.join('\n')) as ReconcileReport };
}

describe('reconcile', () => {
  it('is clean on a healthy cycle and finds an object only in the archive and an open multipart upload', async () => {
    // Prepare: a whole cycle with its forecast, delivered.
    const { day, repeatCycle } = uniqueCycle();
    const cycle = cycleFiles(day, repeatCycle);
    await uploadAll(s3, description.buckets.inbox!, [cycle.forecast, ...cycle.chunks]);
    const [delivered] = await waitFor(
      'the cycle delivered',
      async () => {
        const events = await eventsOf(
          documents,
          description.tables.eventStore!,
          cycle.correlationId,
          EventTypes.productDelivered,
        );
        return events.length > 0 ? events : undefined;
      },
      240_000,
    );
    const productId = (delivered!.data as { productId: string }).productId;
    const ours = [cycle.correlationId, productId, cycle.forecast.key, ...cycle.chunks.map((c) => c.key)];
    const archived = (
      await eventsOf(documents, description.tables.eventStore!, cycle.correlationId, EventTypes.fileIngested)
    ).map((e) => (e.data as { ingested: { key: string } }).ingested.key);
    const concernsOurs = (key: string): boolean =>
      ours.includes(key) || archived.includes(key) || key.includes(productId);

    // Act: healthy.
    const healthy = await reconcile();

    // Assess
    expect(healthy.report.day).toBe(new Date().toISOString().slice(0, 10));
    expect(healthy.report.counts.archive).toBeGreaterThanOrEqual(42);
    expect(healthy.report.findings.filter((f) => concernsOurs(f.key))).toEqual([]);

    // Prepare: plant an object only in the archive, leave a multipart upload open in the inbox.
    const tag = randomBytes(6).toString('hex');
    const planted = `reconcile-test/${tag}/planted.nc`;
    await s3.send(new PutObjectCommand({ Bucket: description.buckets.archive!, Key: planted, Body: 'planted' }));
    const openKey = `eumetsat/reconcile-test-${tag}.nc`;
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: description.buckets.inbox!, Key: openKey }),
    );
    await s3.send(
      new UploadPartCommand({
        Bucket: description.buckets.inbox!,
        Key: openKey,
        UploadId,
        PartNumber: 1,
        Body: Buffer.alloc(1024, 1),
      }),
    );

    try {
      // Act
      const broken = await reconcile();

      // Assess
      expect(broken.code).toBe(1);
      expect(broken.report.consistent).toBe(false);
      expect(broken.report.findings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ check: 'only-in-archive', where: 'archive', key: planted }),
          expect.objectContaining({ check: 'multipart-open', where: 'inbox', key: openKey }),
        ]),
      );
      expect(broken.report.findings.filter((f) => concernsOurs(f.key))).toEqual([]);
    } finally {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: description.buckets.inbox!, Key: openKey, UploadId }));
      await s3.send(new DeleteObjectCommand({ Bucket: description.buckets.archive!, Key: planted }));
    }
  });
});
