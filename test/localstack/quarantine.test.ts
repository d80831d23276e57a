/**
 * Nothing is lost in quarantine: a provider that uploads bad files under the same name twice
 * finds both of them there, each with its own reason, rather than the second in place of the first.
 */
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '../../events/registry.ts';
import { fciChunk } from '../../shared/samples/provider-files.ts';
import { clients, eventsOf, readObject, sha256, stack, uniqueCycle, waitFor } from './support/stack.ts';

const { s3, documents } = clients();
const { buckets, tables } = stack();

describe('quarantine', () => {
  it('keeps every rejected upload of the same key, each with its own reason', async () => {
    // Prepare: two different bad files under one name (a wrong signature, then a truncated file).
    const { day, repeatCycle } = uniqueCycle();
    const chunk = fciChunk(day, repeatCycle, 7);
    const first = Buffer.from(chunk.body);
    first.write('PK\u0003\u0004', 0, 'latin1');
    const second = Buffer.from(chunk.body.subarray(0, 12));
    const rejectedTimes = async (count: number) =>
      waitFor(`${count} file.rejected for ${chunk.key}`, async () => {
        const events = (await eventsOf(
          documents,
          tables.eventStore!,
          `upload-${chunk.key}`,
          EventTypes.fileRejected,
        )) as CometEvent<typeof EventTypes.fileRejected>[];
        return events.length >= count ? events : undefined;
      });

    // Act: the second upload only once the first is quarantined and gone from the inbox.
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: first }));
    await rejectedTimes(1);
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: second }));
    const rejected = await rejectedTimes(2);

    // Assess: two quarantined copies, the bytes of each upload, and a reason beside each.
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: buckets.quarantine, Prefix: chunk.key }));
    const copies = (listed.Contents ?? []).map((o) => o.Key!).filter((key) => !key.endsWith('.reason.json'));
    expect(copies).toHaveLength(2);
    const digests = await Promise.all(
      copies.map(async (key) => sha256(await readObject(s3, buckets.quarantine!, key))),
    );
    expect(digests.sort()).toEqual([sha256(first), sha256(second)].sort());
    const codes = await Promise.all(
      rejected.map(async (event) => {
        expect(copies).toContain(event.data.quarantine.key);
        const reason = JSON.parse(
          (await readObject(s3, buckets.quarantine!, `${event.data.quarantine.key}.reason.json`)).toString(),
        ) as { code: string };
        return reason.code;
      }),
    );
    expect(codes.sort()).toEqual(['bad-signature', 'bad-size'].sort());
  });
});
