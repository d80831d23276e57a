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
import { clients, eventsOf, readObject, sha256, stack, uniqueCycle, waitFor } from './support/stack.ts';

interface Manifest {
  productId: string;
  product: { bucket: string; key: string; size: number; sha256: string };
  inputs: { bucket: string; key: string; name: string; size: number; sha256: string }[];
}

const { s3, documents } = clients();
const { buckets, tables } = stack();

const deliveredFor = (correlationId: string, count = 1) => waitFor(`${count} product.delivered for ${correlationId}`, async () => {
  const delivered = await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.productDelivered);
  return delivered.length >= count ? delivered as CometEvent<typeof EventTypes.productDelivered>[] : undefined;
}, 90_000);

describe('pipeline', () => {
  it('turns an imager chunk uploaded with the SDK into a product whose manifest verifies against the input', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const chunk = fciChunk(day, repeatCycle, 7, 200_000);
    const correlationId = `cycle-${day}-${String(repeatCycle).padStart(3, '0')}`;

    // Act
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: chunk.body }));
    const [delivered] = await deliveredFor(correlationId);

    // Assess
    const generated = (await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.productGenerated))[0] as CometEvent<typeof EventTypes.productGenerated>;
    const manifest = JSON.parse((await readObject(s3, buckets.products!, generated.data.manifest.key)).toString()) as Manifest;
    expect(manifest.inputs).toHaveLength(1);
    expect(manifest.inputs[0]!.sha256).toBe(sha256(chunk.body));
    expect(manifest.inputs[0]!.size).toBe(chunk.body.length);
    const archived = await readObject(s3, manifest.inputs[0]!.bucket, manifest.inputs[0]!.key);
    expect(sha256(archived)).toBe(sha256(chunk.body));
    const product = await readObject(s3, buckets.products!, manifest.product.key);
    expect(sha256(product)).toBe(manifest.product.sha256);
    for (const target of delivered!.data.distributed) {
      await expect(s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }))).resolves.toBeDefined();
    }
  });

  it('ingests a forecast uploaded in multipart and delivers its product', async () => {
    // Prepare: 12 MiB, over the SDK's multipart threshold, GRIB2-shaped.
    const { date } = uniqueCycle();
    const analysis = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), 12));
    const forecast = ecmwfForecast(analysis, 18, 12, 1024 * 1024);
    const correlationId = `forecast-${analysis.toISOString()}`;

    // Act
    await new Upload({ client: s3, params: { Bucket: buckets.inbox, Key: forecast.key, Body: forecast.body }, partSize: 5 * 1024 * 1024 }).done();
    await deliveredFor(correlationId);

    // Assess
    const [ingested] = await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.fileIngested) as CometEvent<typeof EventTypes.fileIngested>[];
    expect(ingested!.data.ingested.sha256).toBe(sha256(forecast.body));
    expect(ingested!.data.attributes).toMatchObject({ kind: 'forecast', analysisTime: analysis.toISOString() });
  });

  it('quarantines a file with a wrong signature, with its reason, and keeps nothing in the inbox', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const chunk = fciChunk(day, repeatCycle, 12);
    chunk.body.write('PK\u0003\u0004', 0, 'latin1');

    // Act
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: chunk.body }));
    const reason = await waitFor('the quarantine reason', async () =>
      JSON.parse((await readObject(s3, buckets.quarantine!, `${chunk.key}.reason.json`)).toString()) as { code: string; reason: string });

    // Assess
    expect(reason.code).toBe('bad-signature');
    expect(reason.reason).toMatch(/HDF5 signature/);
    expect(sha256(await readObject(s3, buckets.quarantine!, chunk.key))).toBe(sha256(chunk.body));
    await expect(s3.send(new HeadObjectCommand({ Bucket: buckets.inbox, Key: chunk.key }))).rejects.toThrow();
    const [rejected] = await waitFor('file.rejected', async () => {
      const events = await eventsOf(documents, tables.eventStore!, `upload-${chunk.key}`, EventTypes.fileRejected);
      return events.length > 0 ? events : undefined;
    });
    expect((rejected as CometEvent<typeof EventTypes.fileRejected>).data.code).toBe('bad-signature');
  });

  it('recognizes a duplicate upload and delivers one product only', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const chunk = fciChunk(day, repeatCycle, 20);
    const correlationId = `cycle-${day}-${String(repeatCycle).padStart(3, '0')}`;
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: chunk.body }));
    await deliveredFor(correlationId);

    // Act
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: chunk.body }));
    await new Promise((r) => setTimeout(r, 4000));

    // Assess
    expect(await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.fileAvailable)).toHaveLength(1);
    expect(await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.productDelivered)).toHaveLength(1);
  });

  it('emits only events and commands that match their catalog schema', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const chunk = fciChunk(day, repeatCycle, 41);
    const correlationId = `cycle-${day}-${String(repeatCycle).padStart(3, '0')}`;

    // Act
    await s3.send(new PutObjectCommand({ Bucket: buckets.inbox, Key: chunk.key, Body: chunk.body }));
    await deliveredFor(correlationId);
    const events = await eventsOf(documents, tables.eventStore!, correlationId);

    // Assess: every type of the chain was seen, and each message is valid.
    expect(new Set(events.map((e) => e.type))).toEqual(new Set([
      EventTypes.fileAvailable, EventTypes.ingestRequested, EventTypes.fileIngested, EventTypes.processingRequested,
      EventTypes.productGenerated, EventTypes.deliveryRequested, EventTypes.productDelivered,
    ]));
    for (const event of events) expect(validateAgainstCatalog(event)).toEqual({ ok: true });
  });
});
