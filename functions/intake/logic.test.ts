import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import type { FileRejectedError, RejectionCode } from '#shared/conventions/rejection.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { ReferenceProviders, type ProviderTable } from '#shared/conventions/providers.ts';
import { buildGrib2, buildHdf5 } from '#shared/samples/format-files.ts';
import { HDF5_SIGNATURE } from '#shared/formats/signatures.ts';
import { fciChunkName, liFileName } from '#shared/samples/provider-files.ts';
import { correlationOf, intakeUpload, parseNotification, type IntakeDeps, type Upload } from './logic.ts';

const INBOX = 'cometflow-inbox';
const QUARANTINE = 'cometflow-quarantine';
const FCI_NAME = fciChunkName('20261122', 61, 1);
const FCI_KEY = `eumetsat/${FCI_NAME}`;
const ECMWF_KEY = 'ecmwf/S1D11221200112218001';
const LI_NAME = liFileName('LFL', new Date('2026-11-22T10:10:00Z'));
const LI_KEY = `eumetsat/${LI_NAME}`;

/** NetCDF-4 content: an HDF5 file of `size` bytes. */
const hdf5Body = (size = 1024): Buffer => buildHdf5(size, 0x2a);

const etagOf = (body: Buffer): string => createHash('md5').update(body).digest('hex');

/** In-memory intake effects: the inbox is a map of key to bytes; every call is recorded. */
function fakeIntake(
  objects: Record<string, Buffer>,
  options: { maxFileBytes?: number; providers?: ProviderTable } = {},
) {
  const inbox = new Map(Object.entries(objects));
  const catalog = new Set<string>();
  const announced = new Set<string>();
  const quarantined: { bucket: string; key: string; code: RejectionCode; message: string }[] = [];
  const published: CometEvent[] = [];
  const registered: string[] = [];
  const deps: IntakeDeps = {
    head: async (bucket, key) => {
      const body = bucket === INBOX ? inbox.get(key) : undefined;
      return body === undefined ? undefined : { size: body.length, etag: etagOf(body) };
    },
    readRange: async (_bucket, key, start, end) => inbox.get(key)!.subarray(start, end + 1),
    quarantine: async ({ bucket, key }, rejection: FileRejectedError) => {
      quarantined.push({ bucket, key, code: rejection.code, message: rejection.message });
      return { bucket: QUARANTINE, key };
    },
    discard: async ({ key }) => {
      inbox.delete(key);
    },
    register: async (_file, object) => {
      const id = `${object.key}#${object.etag}`;
      registered.push(id);
      if (catalog.has(id)) return announced.has(id) ? 'duplicate' : 'unpublished';
      catalog.add(id);
      return 'new';
    },
    markPublished: async (object) => {
      announced.add(`${object.key}#${object.etag}`);
    },
    publish: async (event) => {
      published.push(event);
    },
    // The reference providers, each with the test's largest file.
    providers: (options.providers ?? ReferenceProviders).map((provider) => ({
      ...provider,
      maxFileBytes: options.maxFileBytes ?? provider.maxFileBytes,
    })),
  };
  return { deps, inbox, catalog, quarantined, published, registered };
}

const uploadOf = (key: string, overrides: Partial<Upload> = {}): Upload => ({
  bucket: INBOX,
  key,
  eventTime: new Date('2026-11-22T13:00:00Z'),
  ...overrides,
});

describe('intakeUpload', () => {
  it('registers a valid FCI chunk and publishes file.available in the correlation of its cycle', async () => {
    // Prepare
    const body = hdf5Body();
    const fake = fakeIntake({ [FCI_KEY]: body });

    // Act
    const result = await intakeUpload(uploadOf(FCI_KEY), fake.deps);

    // Assess
    expect(result.outcome).toBe('available');
    expect(fake.published).toHaveLength(1);
    const event = fake.published[0] as CometEvent<typeof EventTypes.fileAvailable>;
    expect(event.type).toBe(EventTypes.fileAvailable);
    expect(event.source).toBe('cometflow/intake');
    expect(event.subject).toBe(FCI_KEY);
    expect(event.correlationid).toBe('cycle-20261122-061');
    expect(event.id).toMatch(/^[0-9a-f]{32}$/);
    expect(event.data).toMatchObject({
      file: { bucket: INBOX, key: FCI_KEY, size: body.length, etag: etagOf(body) },
      provider: 'eumetsat',
      name: FCI_NAME,
      attributes: { kind: 'imager-chunk', repeatCycle: 61, chunk: 1, cycleId: '20261122-061' },
    });
    expect(fake.catalog.has(`${FCI_KEY}#${etagOf(body)}`)).toBe(true);
    expect(fake.quarantined).toEqual([]);
  });

  it('gives the same upload the same event id every time', async () => {
    // Prepare
    const body = hdf5Body();
    const first = fakeIntake({ [FCI_KEY]: body });
    const second = fakeIntake({ [FCI_KEY]: body });

    // Act
    await intakeUpload(uploadOf(FCI_KEY), first.deps);
    await intakeUpload(uploadOf(FCI_KEY, { eventTime: new Date('2026-11-22T13:05:00Z') }), second.deps);

    // Assess
    expect(first.published[0]!.id).toBe(second.published[0]!.id);
  });

  it('gives different content under the same key a different event id', async () => {
    // Prepare
    const first = fakeIntake({ [FCI_KEY]: hdf5Body(1024) });
    const second = fakeIntake({ [FCI_KEY]: hdf5Body(2048) });

    // Act
    await intakeUpload(uploadOf(FCI_KEY), first.deps);
    await intakeUpload(uploadOf(FCI_KEY), second.deps);

    // Assess
    expect(first.published[0]!.id).not.toBe(second.published[0]!.id);
  });

  it('registers a GRIB2 forecast in the correlation of its run', async () => {
    // Prepare
    const fake = fakeIntake({ [ECMWF_KEY]: buildGrib2(2, 200) });

    // Act
    const result = await intakeUpload(uploadOf(ECMWF_KEY), fake.deps);

    // Assess
    expect(result.outcome).toBe('available');
    expect(fake.published[0]!.correlationid).toBe('forecast-2026-11-22T12:00:00.000Z');
  });

  it('registers an LI file in the correlation of its stream and window', async () => {
    // Prepare
    const fake = fakeIntake({ [LI_KEY]: hdf5Body() });

    // Act
    const result = await intakeUpload(uploadOf(LI_KEY), fake.deps);

    // Assess
    expect(result.outcome).toBe('available');
    const event = fake.published[0] as CometEvent<typeof EventTypes.fileAvailable>;
    expect(event.correlationid).toBe('li-mti1-li-lfl-20261122101000');
    expect(event.data.attributes).toMatchObject({
      kind: 'lightning',
      productType: 'LFL',
      stream: 'mti1-li-lfl',
      count: 1,
    });
  });

  it('publishes nothing for a duplicate upload', async () => {
    // Prepare
    const fake = fakeIntake({ [FCI_KEY]: hdf5Body() });
    await intakeUpload(uploadOf(FCI_KEY), fake.deps);

    // Act
    const result = await intakeUpload(uploadOf(FCI_KEY), fake.deps);

    // Assess
    expect(result).toEqual({ outcome: 'duplicate', key: FCI_KEY });
    expect(fake.published).toHaveLength(1);
    expect(fake.registered).toHaveLength(2);
  });

  it('leaves an upload replaced since its notification to the notification of the new one', async () => {
    // Prepare: the notification announced another ETag than the object's now.
    const fake = fakeIntake({ [FCI_KEY]: hdf5Body() });

    // Act
    const result = await intakeUpload(uploadOf(FCI_KEY, { etag: 'ffffffffffffffffffffffffffffffff' }), fake.deps);

    // Assess
    expect(result).toMatchObject({ outcome: 'replaced', key: FCI_KEY });
    expect(result.outcome === 'replaced' && result.reason).toContain('announced ETag ffffffffffffffffffffffffffffffff');
    expect(fake.published).toEqual([]);
    expect(fake.quarantined).toEqual([]);
    expect(fake.inbox.has(FCI_KEY)).toBe(true);
  });

  it('publishes nothing when the object is gone', async () => {
    // Prepare
    const fake = fakeIntake({});

    // Act
    const result = await intakeUpload(uploadOf(FCI_KEY), fake.deps);

    // Assess
    expect(result).toEqual({ outcome: 'gone', key: FCI_KEY });
    expect(fake.published).toEqual([]);
    expect(fake.quarantined).toEqual([]);
    expect(fake.registered).toEqual([]);
  });

  it.each([
    ['a wrong prefix', `noaa/${FCI_NAME}`, hdf5Body(), 'unknown-provider', /expected one of eumetsat\/, ecmwf\//],
    ['a bad name', 'eumetsat/not-an-fci-name.nc', hdf5Body(), 'bad-name', /does not follow the MTG FCI L1c convention/],
    [
      'a file too small to hold a signature',
      FCI_KEY,
      HDF5_SIGNATURE,
      'bad-size',
      /File is 8 bytes; expected at least 16 bytes of hdf5 content/,
    ],
    [
      'a file larger than allowed',
      FCI_KEY,
      hdf5Body(4097),
      'bad-size',
      /File is 4097 bytes; expected at most 4096 bytes/,
    ],
    [
      'content without the HDF5 signature',
      FCI_KEY,
      Buffer.alloc(1024, 0x41),
      'bad-signature',
      /starts with 41 41 41 41 41 41 41 41; a NetCDF-4 file starts with the HDF5 signature/,
    ],
    [
      'a broken LI name',
      `eumetsat/${LI_NAME.replace('-CHK-BODY-', '-CHK-BOD-')}`,
      hdf5Body(),
      'bad-name',
      /does not follow the MTG LI Level-2 convention/,
    ],
    [
      'an LI file without the HDF5 signature',
      LI_KEY,
      Buffer.alloc(1024, 0x43),
      'bad-signature',
      /a NetCDF-4 file starts with the HDF5 signature/,
    ],
    [
      'an LI window longer than 30 s',
      `eumetsat/${LI_NAME.replace('_20261122101030_N_', '_20261122101100_N_')}`,
      hdf5Body(),
      'bad-name',
      /covers 60 s .*exactly 30 s/,
    ],
    [
      'an LI window ending before its start',
      `eumetsat/${LI_NAME.replace('_20261122101030_N_', '_20261122100930_N_')}`,
      hdf5Body(),
      'bad-name',
      /ends sensing \(20261122100930\) at or before it starts/,
    ],
    [
      'GRIB2 without the end marker',
      ECMWF_KEY,
      buildGrib2(1, 200).subarray(0, 96),
      'bad-signature',
      /a GRIB2 file ends with "7777"/,
    ],
  ] as const)('quarantines a file with %s and publishes file.rejected', async (_, key, body, code, reason) => {
    // Prepare
    const fake = fakeIntake({ [key]: body }, { maxFileBytes: 4096 });

    // Act
    const result = await intakeUpload(uploadOf(key), fake.deps);

    // Assess
    expect(result.outcome).toBe('rejected');
    expect(fake.quarantined).toHaveLength(1);
    expect(fake.quarantined[0]).toMatchObject({ bucket: INBOX, key, code });
    expect(fake.quarantined[0]!.message).toMatch(reason);
    expect(fake.registered).toEqual([]);
    expect(fake.published).toHaveLength(1);
    const event = fake.published[0] as CometEvent<typeof EventTypes.fileRejected>;
    expect(event.type).toBe(EventTypes.fileRejected);
    expect(event.correlationid).toBe(`upload-${key}`);
    expect(event.data).toEqual({
      file: { bucket: INBOX, key, size: body.length },
      quarantine: { bucket: QUARANTINE, key },
      code,
      reason: fake.quarantined[0]!.message,
    });
  });

  it("holds each file to its own provider's largest size", async () => {
    // Prepare: eumetsat files up to 4,096 bytes, ecmwf files up to 8,192.
    const providers = ReferenceProviders.map((p) => ({ ...p, maxFileBytes: p.name === 'ecmwf' ? 8192 : 4096 }));
    const fake = fakeIntake({ [FCI_KEY]: hdf5Body(6000), [ECMWF_KEY]: buildGrib2(1, 6000) }, { providers });

    // Act
    const fci = await intakeUpload(uploadOf(FCI_KEY), fake.deps);
    const forecast = await intakeUpload(uploadOf(ECMWF_KEY), fake.deps);

    // Assess
    expect(fci.outcome).toBe('rejected');
    expect(fake.quarantined[0]!.message).toBe(
      'File is 6000 bytes; expected at most 4096 bytes, the largest file provider eumetsat may send',
    );
    expect(forecast.outcome).toBe('available');
  });

  it('accepts the files of a provider added as one entry of the definition', async () => {
    // Prepare: a second forecast centre, with the ECMWF dissemination names, under its own prefix.
    const providers: ProviderTable = [
      ...ReferenceProviders,
      { name: 'dwd', prefix: 'dwd/', conventions: ['ecmwf-dissemination'], maxFileBytes: 1024 ** 3 },
    ];
    const key = 'dwd/S1D11221200112218001';
    const fake = fakeIntake(
      { [key]: buildGrib2(1, 2048), 'dwd/not-a-forecast.grib': buildGrib2(1, 2048) },
      { providers },
    );

    // Act
    const accepted = await intakeUpload(uploadOf(key), fake.deps);
    const refused = await intakeUpload(uploadOf('dwd/not-a-forecast.grib'), fake.deps);
    const unknown = await intakeUpload(uploadOf(key), fakeIntake({ [key]: buildGrib2(1, 2048) }).deps);

    // Assess
    expect(accepted.outcome).toBe('available');
    expect(accepted.outcome === 'available' && accepted.event.data).toMatchObject({
      provider: 'dwd',
      name: 'S1D11221200112218001',
      attributes: { kind: 'forecast', convention: 'ecmwf-dissemination' },
    });
    expect(refused.outcome === 'rejected' && refused.event.data.code).toBe('bad-name');
    expect(unknown.outcome === 'rejected' && unknown.event.data.code).toBe('unknown-provider');
  });

  it('accepts a file of exactly the largest allowed size', async () => {
    // Prepare
    const fake = fakeIntake({ [FCI_KEY]: hdf5Body(4096) }, { maxFileBytes: 4096 });

    // Act
    const result = await intakeUpload(uploadOf(FCI_KEY), fake.deps);

    // Assess
    expect(result.outcome).toBe('available');
  });

  it('lets an error of a dependency through instead of quarantining', async () => {
    // Prepare
    const fake = fakeIntake({ [FCI_KEY]: hdf5Body() });
    const deps: IntakeDeps = {
      ...fake.deps,
      readRange: async () => {
        throw new Error('socket hang up');
      },
    };

    // Act
    const act = intakeUpload(uploadOf(FCI_KEY), deps);

    // Assess
    await expect(act).rejects.toThrow('socket hang up');
    expect(fake.quarantined).toEqual([]);
    expect(fake.published).toEqual([]);
  });
});

describe('correlationOf', () => {
  it('uses the analysis time for a forecast', () => {
    // Act
    const correlation = correlationOf({
      provider: 'ecmwf',
      name: 'n',
      attributes: {
        kind: 'forecast',
        convention: 'ecmwf-dissemination',
        stream: 'S1D',
        analysisTime: '2026-11-22T12:00:00.000Z',
        validTime: '2026-11-22T18:00:00.000Z',
      },
    });

    // Assess
    expect(correlation).toBe('forecast-2026-11-22T12:00:00.000Z');
  });
});

/** An S3 event notification record (S3 event version 2.1). */
const notificationRecord = (key: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'eu-central-1',
  eventTime: '2026-11-22T10:05:13.117Z',
  eventName: 'ObjectCreated:Put',
  s3: { s3SchemaVersion: '1.0', bucket: { name: INBOX }, object: { key, size: 1024, eTag: 'e', sequencer: '01' } },
  ...overrides,
});

const notification = (...records: Record<string, unknown>[]): string => JSON.stringify({ Records: records });

describe('parseNotification', () => {
  it('reads bucket, decoded key, event time and ETag of an ObjectCreated record', () => {
    // Prepare
    const body = notification(notificationRecord('ecmwf/S1D11221200112218001'));

    // Act
    const uploads = parseNotification(body);

    // Assess
    expect(uploads).toEqual([
      {
        bucket: INBOX,
        key: 'ecmwf/S1D11221200112218001',
        eventTime: new Date('2026-11-22T10:05:13.117Z'),
        etag: 'e',
      },
    ]);
  });

  it('returns nothing for the test event S3 sends when notifications are configured', () => {
    // Prepare
    const body = JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2026-11-20T08:12:03.000Z',
      Bucket: INBOX,
    });

    // Act
    const uploads = parseNotification(body);

    // Assess
    expect(uploads).toEqual([]);
  });

  it('decodes %2C, %2B and + in keys the way S3 encodes them', () => {
    // Prepare
    const body = notification(
      notificationRecord('eumetsat/W_XX-EUMETSAT-Darmstadt%2CIMG%2BSAT%2CMTI1%2BFCI-1C.nc'),
      notificationRecord('eumetsat/a+name+with+spaces%25.nc'),
    );

    // Act
    const uploads = parseNotification(body);

    // Assess
    expect(uploads.map((u) => u.key)).toEqual([
      'eumetsat/W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+FCI-1C.nc',
      'eumetsat/a name with spaces%.nc',
    ]);
  });

  it('ignores records that are not ObjectCreated', () => {
    // Prepare
    const body = notification(
      notificationRecord('ecmwf/removed', { eventName: 'ObjectRemoved:Delete' }),
      notificationRecord('ecmwf/restored', { eventName: 'ObjectRestore:Completed' }),
      notificationRecord('ecmwf/created', { eventName: 'ObjectCreated:CompleteMultipartUpload' }),
      notificationRecord('ecmwf/unnamed', { eventName: undefined }),
      notificationRecord('ecmwf/odd', { eventName: 42 }),
    );

    // Act
    const uploads = parseNotification(body);

    // Assess
    expect(uploads.map((u) => u.key)).toEqual(['ecmwf/created']);
  });

  it.each([
    ['a body that is not JSON', 'Records: []', /not JSON; expected an S3 event notification/],
    ['a body without Records', JSON.stringify({ Event: 's3:ObjectCreated:Put' }), /has no Records array/],
    ['a JSON body that is not an object', 'null', /is null; expected an S3 event notification object/],
    [
      'a record without object key',
      notification({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: INBOX } } }),
      /lacks s3.bucket.name or s3.object.key/,
    ],
    [
      'a record without bucket',
      notification({ eventName: 'ObjectCreated:Put', s3: { object: { key: 'k' } } }),
      /lacks s3.bucket.name or s3.object.key/,
    ],
    [
      'a key that is not valid percent-encoding',
      notification(notificationRecord('ecmwf/bad%E0%A4%A')),
      /not a valid URL-encoded key/,
    ],
    [
      'a record that is not an object',
      notification(null as unknown as Record<string, unknown>),
      /not an S3 event record/,
    ],
    [
      'a key that is not a string',
      notification(notificationRecord(42 as unknown as string)),
      /lacks s3.bucket.name or s3.object.key/,
    ],
    [
      'an event time that is not a time',
      notification(notificationRecord('ecmwf/k', { eventTime: 'yesterday' })),
      /eventTime "yesterday"; expected an ISO 8601 time/,
    ],
  ])('rejects %s with InvalidInputError', (_, body, message) => {
    // Act
    const act = (): unknown => parseNotification(body);

    // Assess
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(message);
  });
});

describe('parseNotification under fuzzing', () => {
  it('throws nothing but InvalidInputError for random and mutated notifications', () => {
    // Prepare
    const text = fc.string({ unit: fc.constantFrom(...'ab%+/2CE0F9 \u00e9{}[]":,'), maxLength: 20 });
    const value = fc.oneof(
      fc.constantFrom(null, 0, true, [], {}, [null]),
      text,
      text.map((name) => ({ name })),
      text.map((key) => ({ key })),
    );
    type S3Part = { bucket: Record<string, unknown>; object: Record<string, unknown> };
    /** A valid record of an upload under eumetsat/, with one field (or none) replaced. */
    const mutated = fc
      .tuple(text, fc.constantFrom('top', 's3', 'key', 'bucket', 'none'), fc.nat(), value)
      .map(([name, where, pick, replacement]) => {
        const record = notificationRecord(`eumetsat/${name}`) as Record<string, unknown>;
        const s3 = record.s3 as S3Part;
        switch (where) {
          case 'top':
            return { ...record, [['eventName', 'eventTime', 's3'][pick % 3]!]: replacement };
          case 's3':
            return { ...record, s3: { ...s3, [['bucket', 'object'][pick % 2]!]: replacement } };
          case 'key':
            return { ...record, s3: { ...s3, object: { ...s3.object, key: replacement } } };
          case 'bucket':
            return { ...record, s3: { ...s3, bucket: { name: replacement } } };
          default:
            return record;
        }
      });
    const bodies = fc.oneof(
      text,
      value.map((v) => JSON.stringify(v)),
      value.map((records) => JSON.stringify({ Records: records })),
      fc
        .array(fc.oneof({ weight: 1, arbitrary: value }, { weight: 9, arbitrary: mutated }), {
          minLength: 1,
          maxLength: 3,
        })
        .map((records) => JSON.stringify({ Records: records })),
    );

    // Act and assess: a fixed seed, so that a run can be replayed; a failure prints the shrunk body.
    fc.assert(
      fc.property(bodies, (body) => {
        try {
          for (const upload of parseNotification(body)) {
            if (typeof upload.key !== 'string' || typeof upload.bucket !== 'string')
              throw new TypeError(`parsed a non-string key or bucket from ${body}`);
          }
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
        }
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});

describe('intakeUpload after a crash', () => {
  it('publishes again when the file was registered but its announcement failed', async () => {
    // Prepare: the first attempt registers, then the publish throws.
    const fake = fakeIntake({ [FCI_KEY]: hdf5Body() });
    const failingOnce = {
      ...fake.deps,
      publish: async () => {
        throw new Error('SQS unavailable');
      },
    };
    await expect(intakeUpload(uploadOf(FCI_KEY), failingOnce)).rejects.toThrow('SQS unavailable');

    // Act: the redelivered notification.
    const result = await intakeUpload(uploadOf(FCI_KEY), fake.deps);

    // Assess: announced once, under the same deterministic id a first success would have had.
    expect(result.outcome).toBe('available');
    expect(fake.published).toHaveLength(1);
    expect(fake.published[0]!.type).toBe(EventTypes.fileAvailable);
  });

  it('keeps a rejected file in the inbox until its rejection is announced', async () => {
    // Prepare
    const key = 'nasa/granule.h5';
    const fake = fakeIntake({ [key]: Buffer.alloc(64) });
    const failingOnce = {
      ...fake.deps,
      publish: async () => {
        throw new Error('SQS unavailable');
      },
    };

    // Act
    await expect(intakeUpload(uploadOf(key), failingOnce)).rejects.toThrow('SQS unavailable');
    const stillThere = fake.inbox.has(key);
    const retried = await intakeUpload(uploadOf(key), fake.deps);

    // Assess
    expect(stillThere).toBe(true);
    expect(retried.outcome).toBe('rejected');
    expect(fake.inbox.has(key)).toBe(false);
  });
});
