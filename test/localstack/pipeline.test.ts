/**
 * The pipeline end to end, as a data provider and a product consumer see it: files go into the
 * inbox through the S3 API; products, quarantined files and events come out.
 */
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '../../events/registry.ts';
import { validateAgainstCatalog } from '../../events/catalog.ts';
import { ecmwfForecast, fciChunk } from '../../shared/samples/provider-files.ts';
import { cycleFiles, deliveredManifests, uploadAll } from './support/cycles.ts';
import { clients, eventsOf, readObject, sha256, stack, uniqueCycle, waitFor } from './support/stack.ts';

const { s3, documents } = clients();
const { buckets, tables } = stack();

const ingestedIn = (correlationId: string, count = 1) =>
  waitFor(`${count} file.ingested in ${correlationId}`, async () => {
    const events = await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.fileIngested);
    return events.length >= count ? (events as CometEvent<typeof EventTypes.fileIngested>[]) : undefined;
  });

describe('pipeline', () => {
  it('turns a repeat cycle uploaded with the SDK into one product whose manifest verifies against the inputs', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const cycle = cycleFiles(day, repeatCycle);

    // Act
    await uploadAll(s3, buckets.inbox!, [cycle.forecast, ...cycle.chunks]);
    const [manifest] = await deliveredManifests(
      s3,
      documents,
      tables.eventStore!,
      buckets.products!,
      cycle.correlationId,
    );

    // Assess: every input listed with the digest of what was uploaded, and found in the archive.
    const uploaded = new Map(
      [cycle.forecast, ...cycle.chunks].map((f) => [f.key.slice(f.key.indexOf('/') + 1), sha256(f.body)]),
    );
    expect(manifest!.inputs).toHaveLength(42);
    for (const input of manifest!.inputs) {
      expect(input.sha256).toBe(uploaded.get(input.name));
      expect(sha256(await readObject(s3, input.bucket, input.key))).toBe(input.sha256);
    }
    expect(sha256(await readObject(s3, buckets.products!, manifest!.product.key))).toBe(manifest!.product.sha256);
    const [delivered] = (await eventsOf(
      documents,
      tables.eventStore!,
      cycle.correlationId,
      EventTypes.productDelivered,
    )) as CometEvent<typeof EventTypes.productDelivered>[];
    for (const target of delivered!.data.distributed) {
      await expect(s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }))).resolves.toBeDefined();
    }
  });

  it('ingests a forecast uploaded in multipart, checking every byte', async () => {
    // Prepare: 12 MiB, over the SDK's multipart threshold, GRIB2-shaped.
    const { date } = uniqueCycle();
    const analysis = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), 12));
    const forecast = ecmwfForecast(analysis, 18, 12, 1024 * 1024);

    // Act
    await new Upload({
      client: s3,
      params: { Bucket: buckets.inbox, Key: forecast.key, Body: forecast.body },
      partSize: 5 * 1024 * 1024,
    }).done();
    const [ingested] = await ingestedIn(`forecast-${analysis.toISOString()}`);

    // Assess
    expect(ingested!.data.ingested.sha256).toBe(sha256(forecast.body));
    expect(ingested!.data.attributes).toMatchObject({ kind: 'forecast', analysisTime: analysis.toISOString() });
    expect(sha256(await readObject(s3, ingested!.data.ingested.bucket, ingested!.data.ingested.key))).toBe(
      sha256(forecast.body),
    );
  });

  it('quarantines a file with a wrong signature, with its reason, and keeps nothing in the inbox', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const chunk = fciChunk(day, repeatCycle, 12);
    chunk.body.write('PK\u0003\u0004', 0, 'latin1');

    // Act
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: chunk.body }));
    const [rejected] = await waitFor('file.rejected', async () => {
      const events = await eventsOf(documents, tables.eventStore!, `upload-${chunk.key}`, EventTypes.fileRejected);
      return events.length > 0 ? events : undefined;
    });

    // Assess
    const { code, quarantine } = (rejected as CometEvent<typeof EventTypes.fileRejected>).data;
    expect(code).toBe('bad-signature');
    // The upload's own quarantined copy, as the event names it (a key per upload of the name).
    expect(quarantine.key.startsWith(`${chunk.key}/`)).toBe(true);
    const reason = JSON.parse(
      (await readObject(s3, buckets.quarantine!, `${quarantine.key}.reason.json`)).toString(),
    ) as {
      code: string;
      reason: string;
    };
    expect(reason.code).toBe('bad-signature');
    expect(reason.reason).toMatch(/HDF5 signature/);
    expect(sha256(await readObject(s3, buckets.quarantine!, quarantine.key))).toBe(sha256(chunk.body));
    await waitFor('the file gone from the inbox', async () =>
      s3.send(new HeadObjectCommand({ Bucket: buckets.inbox, Key: chunk.key })).then(
        () => undefined,
        () => true,
      ),
    );
  });

  it('recognizes a duplicate upload and ingests it once', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const chunk = fciChunk(day, repeatCycle, 20);
    const correlationId = `cycle-${day}-${String(repeatCycle).padStart(3, '0')}`;
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: chunk.body }));
    await ingestedIn(correlationId);

    // Act
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: chunk.body }));
    await new Promise((r) => setTimeout(r, 4000));

    // Assess
    expect(await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.fileAvailable)).toHaveLength(1);
    expect(await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.fileIngested)).toHaveLength(1);
  });

  it('emits only events and commands that match their catalog schema', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const cycle = cycleFiles(day, repeatCycle);

    // Act
    await uploadAll(s3, buckets.inbox!, [cycle.forecast, ...cycle.chunks]);
    await deliveredManifests(s3, documents, tables.eventStore!, buckets.products!, cycle.correlationId);
    const events = await eventsOf(documents, tables.eventStore!, cycle.correlationId);

    // Assess: every type of the chain was seen, and each message is valid.
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        EventTypes.fileAvailable,
        EventTypes.ingestRequested,
        EventTypes.fileIngested,
        EventTypes.processingRequested,
        EventTypes.productGenerated,
        EventTypes.deliveryRequested,
        EventTypes.productDelivered,
      ]),
    );
    for (const event of events) expect(validateAgainstCatalog(event)).toEqual({ ok: true });
  });
});
