import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent, type EventData } from '#events/registry.ts';
import { parseEcmwfName } from '#shared/conventions/ecmwf.ts';
import { parseFciName } from '#shared/conventions/mtg-fci.ts';
import type { RejectionCode } from '#shared/conventions/rejection.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { buildGrib2, buildHdf5 } from '#shared/samples/format-files.ts';
import { fciChunkName } from '#shared/samples/provider-files.ts';
import { ObjectReplacedError } from '#shared/errors.ts';
import { archiveKeyOf, ingestFile, type ArchiveWrite, type IngestDeps } from './logic.ts';

const INBOX = 'cometflow-inbox';
const ARCHIVE = 'cometflow-archive';
const QUARANTINE = 'cometflow-quarantine';
const ECMWF_NAME = 'S1D11221200112218001';
const FCI_NAME = fciChunkName('20261122', 61, 1);

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** An `ingest.requested` command for a file of `size` bytes in the inbox. */
function ingestRequested(provider: 'ecmwf' | 'eumetsat', size: number): CometEvent<typeof EventTypes.ingestRequested> {
  const name = provider === 'ecmwf' ? ECMWF_NAME : FCI_NAME;
  const attributes = provider === 'ecmwf' ? parseEcmwfName(name, new Date('2026-11-22T13:00:00Z')) : parseFciName(name);
  const data: EventData<typeof EventTypes.ingestRequested> = {
    file: { bucket: INBOX, key: `${provider}/${name}`, size, etag: 'etag-1' },
    provider,
    name,
    attributes,
  };
  return wrap({
    type: EventTypes.ingestRequested,
    source: 'cometflow/scheduler',
    data,
    id: 'command-1',
    correlationId: `run-${provider}`,
  });
}

/**
 * In-memory ingest effects: the inbox and the archive are maps of key to bytes. A write collects
 * its body and lands in the archive only when `done()` sees the body finish; `abort` is recorded.
 */
function fakeIngest(
  inbox: Record<string, Buffer>,
  options: { chunkSize?: number; checksum?: (body: Buffer) => string; etag?: string } = {},
) {
  const objects = new Map(Object.entries(inbox));
  const archive = new Map<string, { body: Buffer; metadata: Record<string, string> }>();
  const aborted: string[] = [];
  const quarantined: { bucket: string; key: string; code: RejectionCode; message: string }[] = [];
  const published: CometEvent[] = [];
  const released: [string, string][] = [];
  const deps: IngestDeps = {
    archiveBucket: ARCHIVE,
    open: async (_bucket, key, etag) => {
      const body = objects.get(key);
      if (body === undefined) return undefined;
      // Every object has ETag etag-1 unless the test says the key holds another upload.
      if (etag !== (options.etag ?? 'etag-1')) throw new ObjectReplacedError(`${key} holds another upload`);
      const size = options.chunkSize ?? 100;
      return {
        body: Readable.from(
          Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size)),
        ),
        ...(options.checksum === undefined ? {} : { checksumSha256: options.checksum(body) }),
      };
    },
    write: (_bucket, key, metadata): ArchiveWrite => {
      const parts: Buffer[] = [];
      const body = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          parts.push(chunk);
          callback();
        },
      });
      return {
        body,
        done: async () => {
          await finished(body);
          archive.set(key, { body: Buffer.concat(parts), metadata });
        },
        abort: async () => {
          aborted.push(key);
        },
      };
    },
    quarantine: async ({ bucket, key }, rejection) => {
      quarantined.push({ bucket, key, code: rejection.code, message: rejection.message });
      return { bucket: QUARANTINE, key };
    },
    discard: async ({ key }) => {
      objects.delete(key);
    },
    release: async ({ key, etag }) => {
      released.push([key, etag]);
      objects.delete(key);
    },
    publish: async (event) => {
      published.push(event);
    },
  };
  // What a reader of the events learns of each ingested file (ingest writes no catalog: the
  // record of an ingest is its file.ingested event).
  const learned = (): unknown[][] =>
    published
      .filter((event): event is CometEvent<typeof EventTypes.fileIngested> => event.type === EventTypes.fileIngested)
      .map(({ data }) => [
        data.source.key,
        data.source.etag,
        data.ingested.sha256,
        { bucket: data.ingested.bucket, key: data.ingested.key },
      ]);
  return {
    deps,
    objects,
    archive,
    aborted,
    quarantined,
    released,
    get marked() {
      return learned();
    },
    published,
  };
}

describe('ingestFile', () => {
  it('copies a good GRIB2 file to its dated archive key and publishes file.ingested with its SHA-256', async () => {
    // Prepare
    const content = buildGrib2(3, 1000);
    const command = ingestRequested('ecmwf', content.length);
    const fake = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content });
    const archiveKey = `ecmwf/2026/11/22/${ECMWF_NAME}`;

    // Act
    const result = await ingestFile(command, fake.deps);

    // Assess
    expect(result.outcome).toBe('ingested');
    expect(fake.archive.get(archiveKey)?.body.equals(content)).toBe(true);
    expect(fake.archive.get(archiveKey)?.metadata).toEqual({
      'source-key': `ecmwf/${ECMWF_NAME}`,
      'source-etag': 'etag-1',
    });
    expect(fake.aborted).toEqual([]);
    expect(fake.marked).toEqual([
      [`ecmwf/${ECMWF_NAME}`, 'etag-1', sha256(content), { bucket: ARCHIVE, key: archiveKey }],
    ]);
    expect(fake.published).toHaveLength(1);
    // Retention: the inbox copy goes once the archived one is written and announced, by its ETag.
    expect(fake.released).toEqual([[`ecmwf/${ECMWF_NAME}`, 'etag-1']]);
    expect(fake.objects.has(`ecmwf/${ECMWF_NAME}`)).toBe(false);
    const event = fake.published[0] as CometEvent<typeof EventTypes.fileIngested>;
    expect(event).toMatchObject({
      type: EventTypes.fileIngested,
      source: 'cometflow/ingest',
      correlationid: 'run-ecmwf',
      causationid: 'command-1',
    });
    expect(event.data).toEqual({
      source: command.data.file,
      ingested: { bucket: ARCHIVE, key: archiveKey, size: content.length, sha256: sha256(content) },
      provider: 'ecmwf',
      name: ECMWF_NAME,
      attributes: command.data.attributes,
    });
  });

  it('gives the same request the same event id', async () => {
    // Prepare
    const content = buildGrib2(1, 200);
    const first = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content });
    const second = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content });

    // Act
    await ingestFile(ingestRequested('ecmwf', content.length), first.deps);
    await ingestFile({ ...ingestRequested('ecmwf', content.length), id: 'command-2' }, second.deps);

    // Assess
    expect(first.published[0]!.id).toBe(second.published[0]!.id);
  });

  it('dates an FCI chunk by the start of its sensing', async () => {
    // Prepare
    const content = buildHdf5(508, 1);
    const fake = fakeIngest({ [`eumetsat/${FCI_NAME}`]: content });

    // Act
    const result = await ingestFile(ingestRequested('eumetsat', content.length), fake.deps);

    // Assess
    expect(result.outcome).toBe('ingested');
    expect([...fake.archive.keys()]).toEqual([`eumetsat/2026/11/22/${FCI_NAME}`]);
  });

  it('quarantines an FCI chunk cut short of its HDF5 end-of-file address, archiving nothing', async () => {
    // Prepare
    const content = buildHdf5(4000, 1).subarray(0, 3000);
    const fake = fakeIngest({ [`eumetsat/${FCI_NAME}`]: content });

    // Act
    const result = await ingestFile(ingestRequested('eumetsat', content.length), fake.deps);

    // Assess
    expect(result.outcome).toBe('rejected');
    expect(fake.archive.size).toBe(0);
    expect(fake.released).toEqual([]);
    expect(fake.quarantined[0]).toMatchObject({ code: 'bad-structure' });
    expect(fake.quarantined[0]!.message).toBe(
      'File is 3000 bytes; its HDF5 superblock says the data ends at byte 4000: the file is truncated',
    );
  });

  it('aborts the write, quarantines and publishes file.rejected when message 2 has a bad end marker', async () => {
    // Prepare
    const content = buildGrib2(3, 1000);
    content.write('7776', 1996, 'ascii');
    const command = ingestRequested('ecmwf', content.length);
    const fake = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content });

    // Act
    const result = await ingestFile(command, fake.deps);

    // Assess
    expect(result.outcome).toBe('rejected');
    expect(fake.aborted).toEqual([`ecmwf/2026/11/22/${ECMWF_NAME}`]);
    expect(fake.archive.size).toBe(0);
    expect(fake.marked).toEqual([]);
    expect(fake.quarantined).toHaveLength(1);
    expect(fake.quarantined[0]).toMatchObject({ bucket: INBOX, key: `ecmwf/${ECMWF_NAME}`, code: 'bad-structure' });
    expect(fake.quarantined[0]!.message).toContain('GRIB2 message 2');
    expect(fake.published).toHaveLength(1);
    const event = fake.published[0] as CometEvent<typeof EventTypes.fileRejected>;
    expect(event).toMatchObject({
      type: EventTypes.fileRejected,
      correlationid: 'run-ecmwf',
      causationid: 'command-1',
    });
    expect(event.data).toEqual({
      file: { bucket: INBOX, key: `ecmwf/${ECMWF_NAME}`, size: content.length },
      quarantine: { bucket: QUARANTINE, key: `ecmwf/${ECMWF_NAME}` },
      code: 'bad-structure',
      reason: fake.quarantined[0]!.message,
    });
  });

  it('quarantines a file whose size differs from the size intake saw', async () => {
    // Prepare
    const content = buildGrib2(1, 200);
    const fake = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content });

    // Act
    const result = await ingestFile(ingestRequested('ecmwf', content.length + 1), fake.deps);

    // Assess
    expect(result.outcome).toBe('rejected');
    expect(fake.quarantined[0]?.code).toBe('bad-size');
    expect(fake.archive.size).toBe(0);
  });

  it('aborts and lets a read failure through without quarantining', async () => {
    // Prepare
    const fake = fakeIngest({});
    const deps: IngestDeps = {
      ...fake.deps,
      open: async () => ({
        body: new Readable({
          read() {
            this.destroy(new Error('connection reset'));
          },
        }),
      }),
    };

    // Act
    const act = ingestFile(ingestRequested('ecmwf', 100), deps);

    // Assess
    await expect(act).rejects.toThrow('connection reset');
    expect(fake.aborted).toHaveLength(1);
    expect(fake.quarantined).toEqual([]);
    expect(fake.published).toEqual([]);
  });

  it('verifies a full-object S3 SHA-256 checksum against the streamed digest', async () => {
    // Prepare
    const content = buildGrib2(2, 500);
    const fake = fakeIngest(
      { [`ecmwf/${ECMWF_NAME}`]: content },
      { checksum: (body) => createHash('sha256').update(body).digest('base64') },
    );

    // Act
    const result = await ingestFile(ingestRequested('ecmwf', content.length), fake.deps);

    // Assess
    expect(result).toMatchObject({ outcome: 'ingested', checksum: 'verified' });
  });

  it('quarantines with checksum-mismatch when the S3 checksum differs, leaving no archive object', async () => {
    // Prepare
    const content = buildGrib2(2, 500);
    const fake = fakeIngest(
      { [`ecmwf/${ECMWF_NAME}`]: content },
      { checksum: () => createHash('sha256').update('something else').digest('base64') },
    );

    // Act
    const result = await ingestFile(ingestRequested('ecmwf', content.length), fake.deps);

    // Assess
    expect(result.outcome).toBe('rejected');
    expect(fake.quarantined[0]?.code).toBe('checksum-mismatch');
    expect(fake.archive.size).toBe(0);
    expect(fake.aborted).toHaveLength(1);
    expect(fake.marked).toEqual([]);
  });

  it('does not compare a composite multipart checksum with the whole-file digest, and says so', async () => {
    // Prepare
    const content = buildGrib2(2, 500);
    const fake = fakeIngest(
      { [`ecmwf/${ECMWF_NAME}`]: content },
      { checksum: () => 'kQ3kcRTgSm2JeZ5Dmd0xxPOGeGhRyFsyLlSJBAphWVc=-3' },
    );

    // Act
    const result = await ingestFile(ingestRequested('ecmwf', content.length), fake.deps);

    // Assess
    expect(result).toMatchObject({ outcome: 'ingested', checksum: 'composite-not-comparable' });
  });

  it('hands a file over before reading it when earlier throughput says it cannot finish in time', async () => {
    // Prepare
    const content = buildGrib2(1, 10_000);
    const fake = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content });
    const handedOver: CometEvent[] = [];
    const command = ingestRequested('ecmwf', content.length);

    // Act
    const result = await ingestFile(command, fake.deps, {
      budget: {
        remainingMs: () => 5_000,
        reserveMs: 1_000,
        expectedBytesPerSecond: 1_000,
        handOver: async (c) => {
          handedOver.push(c);
        },
      },
    });

    // Assess: 10 000 bytes at 1 000 B/s need 10 s; 4 s are left.
    expect(result).toMatchObject({ outcome: 'handed-over', key: command.data.file.key });
    expect(handedOver).toEqual([command]);
    expect(fake.archive.size).toBe(0);
    expect(fake.published).toEqual([]);
    expect(fake.marked).toEqual([]);
  });

  it('hands a file over mid-stream when the throughput seen so far would not finish before the deadline', async () => {
    // Prepare: every clock reading advances 50 ms; 100 bytes per chunk, so about 2 000 B/s.
    const content = buildGrib2(1, 10_000);
    const fake = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content });
    let clock = 0;
    const handedOver: CometEvent[] = [];

    // Act
    const result = await ingestFile(ingestRequested('ecmwf', content.length), fake.deps, {
      now: () => (clock += 50),
      budget: {
        remainingMs: () => 3_000,
        reserveMs: 1_000,
        handOver: async (c) => {
          handedOver.push(c);
        },
      },
    });

    // Assess
    expect(result.outcome).toBe('handed-over');
    expect((result as { reason: string }).reason).toMatch(
      /^after \d+ of 10000 bytes at \d+ B\/s the rest needs \d+ ms; \d+ ms are left before the reserve$/,
    );
    expect(handedOver).toHaveLength(1);
    expect(fake.aborted).toEqual([`ecmwf/2026/11/22/${ECMWF_NAME}`]);
    expect(fake.archive.size).toBe(0);
    expect(fake.published).toEqual([]);
    expect(fake.quarantined).toEqual([]);
  });

  it('ingests normally when the budget covers the file', async () => {
    // Prepare
    const content = buildGrib2(1, 10_000);
    const fake = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content });
    const handedOver: CometEvent[] = [];

    // Act
    const result = await ingestFile(ingestRequested('ecmwf', content.length), fake.deps, {
      budget: {
        remainingMs: () => 600_000,
        reserveMs: 1_000,
        expectedBytesPerSecond: 1e6,
        handOver: async (c) => {
          handedOver.push(c);
        },
      },
    });

    // Assess
    expect(result.outcome).toBe('ingested');
    expect(handedOver).toEqual([]);
  });

  it('abandons the file when its signal is aborted: upload aborted, nothing published, IngestInterruptedError', async () => {
    // Prepare
    const content = buildGrib2(1, 10_000);
    const fake = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content });
    const stop = new AbortController();

    // Act
    const act = ingestFile(ingestRequested('ecmwf', content.length), fake.deps, {
      signal: stop.signal,
      progressEveryMs: 0,
      onProgress: (p) => {
        if (p.doneBytes >= 1_000) stop.abort(new Error('SIGTERM'));
      },
    });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'IngestInterruptedError', retryable: true });
    expect(fake.aborted).toEqual([`ecmwf/2026/11/22/${ECMWF_NAME}`]);
    expect(fake.archive.size).toBe(0);
    expect(fake.published).toEqual([]);
    expect(fake.quarantined).toEqual([]);
  });

  it('does nothing when the file is gone from the inbox', async () => {
    // Prepare
    const fake = fakeIngest({});

    // Act
    const result = await ingestFile(ingestRequested('ecmwf', 100), fake.deps);

    // Assess
    expect(result).toEqual({ outcome: 'gone', key: `ecmwf/${ECMWF_NAME}` });
    expect(fake.archive.size).toBe(0);
    expect(fake.aborted).toEqual([]);
    expect(fake.published).toEqual([]);
  });

  it('leaves a file replaced since intake to its own command: nothing archived, quarantined or published', async () => {
    // Prepare: the key now holds another upload (ETag etag-2) than the command's (etag-1).
    const content = buildGrib2(1, 512);
    const fake = fakeIngest({ [`ecmwf/${ECMWF_NAME}`]: content }, { etag: 'etag-2' });

    // Act
    const result = await ingestFile(ingestRequested('ecmwf', content.length), fake.deps);

    // Assess
    expect(result).toMatchObject({ outcome: 'replaced', key: `ecmwf/${ECMWF_NAME}` });
    expect(fake.archive.size).toBe(0);
    expect(fake.quarantined).toEqual([]);
    expect(fake.published).toEqual([]);
    expect(fake.objects.has(`ecmwf/${ECMWF_NAME}`)).toBe(true);
  });
});

describe('archiveKeyOf', () => {
  it('dates a forecast by its analysis time', () => {
    // Prepare
    const attributes = parseEcmwfName('S1D12311800010106001', new Date('2027-01-01T01:00:00Z'));

    // Act
    const key = archiveKeyOf('ecmwf', 'S1D12311800010106001', attributes);

    // Assess
    expect(key).toBe('ecmwf/2026/12/31/S1D12311800010106001');
  });
});
