/**
 * The demo: a data provider's day in miniature. It uploads sample files into the inbox through
 * the S3 API, follows them through the stages by reading the event store (the scheduler's
 * record of every event and command), prints progress per stage, and ends with a summary:
 * files accepted, files quarantined with reasons, products delivered, end-to-end latency.
 * It talks to the stack only through AWS APIs, so it runs against any stack description.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { ecmwfForecast, fciChunk, type ProviderFileSample } from '#shared/samples/provider-files.ts';
import { HDF5_SIGNATURE } from '#shared/formats/signatures.ts';
import type { StackDescription } from './stack-description.ts';

/** A sample and what the pipeline should do with it. */
interface DemoFile extends ProviderFileSample {
  readonly expect: 'delivered' | 'quarantined' | 'duplicate';
  readonly note: string;
}

/** The demo's files: good imager chunks and a forecast, bad files of each kind, a duplicate. */
export function demoFiles(now = new Date()): DemoFile[] {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  const cycle = Math.floor((now.getUTCHours() * 60 + now.getUTCMinutes()) / 10) + 1;
  const analysis = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 0));
  const chunk1 = fciChunk(day, cycle, 1);
  const badSignature = fciChunk(day, cycle, 3);
  badSignature.body.fill(0, 0, HDF5_SIGNATURE.length);
  const badGrib = ecmwfForecast(analysis, 12, 2, 4096);
  badGrib.body.write('0000', badGrib.body.length - 4, 'ascii');
  return [
    { ...chunk1, expect: 'delivered', note: 'imager body chunk 1' },
    { ...fciChunk(day, cycle, 2), expect: 'delivered', note: 'imager body chunk 2' },
    { ...fciChunk(day, cycle, 41), expect: 'delivered', note: 'imager trailer' },
    { ...ecmwfForecast(analysis, 6, 8, 256 * 1024), expect: 'delivered', note: 'forecast, 2 MiB GRIB2' },
    { ...badSignature, expect: 'quarantined', note: 'imager chunk without the HDF5 signature' },
    { ...badGrib, expect: 'quarantined', note: 'forecast without the GRIB2 end marker' },
    { key: 'eumetsat/notes-from-the-operator.txt', body: Buffer.from('not a product\n'), expect: 'quarantined', note: 'file name breaking the FCI convention' },
    { key: 'nasa/granule.h5', body: Buffer.concat([HDF5_SIGNATURE, Buffer.alloc(64)]), expect: 'quarantined', note: 'unknown provider prefix' },
    { ...chunk1, expect: 'duplicate', note: 'chunk 1 uploaded again, same content' },
  ];
}

interface StoredEvent { readonly event: CometEvent; readonly storedAt: number }

/** Reads the whole event store (a demo's worth of events). */
async function readEventStore(documents: DynamoDBDocumentClient, table: string): Promise<CometEvent[]> {
  const events: CometEvent[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    // Guard items (one per event id) carry no event.
    for (const item of page.Items ?? []) if (typeof item.event === 'string') events.push(JSON.parse(item.event) as CometEvent);
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return events;
}

const stageOf: Record<string, string> = {
  [EventTypes.fileAvailable]: 'intake', [EventTypes.fileRejected]: 'quarantine', [EventTypes.ingestRequested]: 'scheduler',
  [EventTypes.fileIngested]: 'ingest', [EventTypes.processingRequested]: 'scheduler', [EventTypes.productGenerated]: 'process',
  [EventTypes.deliveryRequested]: 'scheduler', [EventTypes.productDelivered]: 'deliver',
};

export interface DemoResult {
  readonly ok: boolean;
  readonly accepted: number;
  readonly quarantined: { key: string; code: string; reason: string }[];
  readonly delivered: { key: string; productId: string; latencyMs: number }[];
  readonly missing: string[];
}

/** Runs the demo against a stack; prints with `print`. */
export async function runDemo(stack: StackDescription, print: (line: string) => void, options: { timeoutMs?: number } = {}): Promise<DemoResult> {
  const config = { region: stack.region, credentials: stack.credentials };
  const s3 = new S3Client({ ...config, ...(stack.endpoints.s3 === undefined ? {} : { endpoint: stack.endpoints.s3, forcePathStyle: true }) });
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, ...(stack.endpoints.dynamodb === undefined ? {} : { endpoint: stack.endpoints.dynamodb }) }));
  const inbox = stack.buckets.inbox!;
  const files = demoFiles();
  const t0 = Date.now();
  const uploadedAt = new Map<string, number>();
  print(`uploading ${files.length} files to s3://${inbox}/`);
  for (const file of files) {
    // The duplicate goes up after the first copy was taken in, as a provider's retry would.
    if (file.expect === 'duplicate') await new Promise((r) => setTimeout(r, 1500));
    await new Upload({ client: s3, params: { Bucket: inbox, Key: file.key, Body: file.body } }).done();
    if (!uploadedAt.has(file.key)) uploadedAt.set(file.key, Date.now());
    print(`  [${((Date.now() - t0) / 1000).toFixed(2)}s] uploaded  ${file.key.slice(0, 100)}  (${file.note}, ${file.body.length} bytes)`);
  }

  const seen = new Set<string>();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const expected = files.filter((f) => f.expect !== 'duplicate');
  let result: DemoResult | undefined;
  while (Date.now() - t0 < timeoutMs) {
    const events = await readEventStore(documents, stack.tables.eventStore!);
    const byId = new Map(events.map((e) => [e.id, e]));
    for (const event of [...events].sort((a, b) => a.time.localeCompare(b.time))) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      const at = ((Date.parse(event.time) - t0) / 1000).toFixed(2);
      print(`  [${at}s] ${stageOf[event.type]!.padEnd(10)} ${event.type.replace('cometflow.', '').padEnd(21)} ${(event.subject ?? '').slice(0, 90)}`);
    }
    // Follow each delivery back to the uploaded file through causation ids.
    const rootKeyOf = (event: CometEvent): string | undefined => {
      let current: CometEvent | undefined = event;
      for (let hops = 0; current !== undefined && hops < 10; hops += 1) {
        if (current.type === EventTypes.fileAvailable) return current.subject;
        current = current.causationid === current.id ? undefined : byId.get(current.causationid);
      }
      return undefined;
    };
    const delivered = events.filter((e) => e.type === EventTypes.productDelivered).map((e) => ({
      key: rootKeyOf(e) ?? '?', productId: (e as CometEvent<typeof EventTypes.productDelivered>).data.productId,
      latencyMs: Date.parse(e.time) - (uploadedAt.get(rootKeyOf(e) ?? '') ?? t0),
    }));
    const quarantined = events.filter((e) => e.type === EventTypes.fileRejected).map((e) => {
      const data = (e as CometEvent<typeof EventTypes.fileRejected>).data;
      return { key: data.file.key, code: data.code, reason: data.reason };
    });
    const missing = expected.filter((f) => f.expect === 'delivered' ? !delivered.some((d) => d.key === f.key) : !quarantined.some((q) => q.key === f.key)).map((f) => f.key);
    const accepted = events.filter((e) => e.type === EventTypes.fileAvailable).length;
    result = { ok: missing.length === 0, accepted, quarantined, delivered, missing };
    if (result.ok) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // A short grace period shows that the duplicate upload produced nothing more.
  await new Promise((r) => setTimeout(r, 2000));
  const final = await readEventStore(documents, stack.tables.eventStore!);
  const deliveries = final.filter((e) => e.type === EventTypes.productDelivered).length;
  const expectedDeliveries = files.filter((f) => f.expect === 'delivered').length;
  const duplicatesOk = deliveries === expectedDeliveries;
  const r = result!;
  print('');
  print('summary');
  print(`  files uploaded      ${files.length} (1 of them a duplicate upload)`);
  print(`  files accepted      ${r.accepted}`);
  print(`  files quarantined   ${r.quarantined.length}`);
  for (const q of r.quarantined) print(`    ${q.key.slice(0, 70)}\n      ${q.code}: ${q.reason.slice(0, 160)}`);
  print(`  products delivered  ${deliveries} (expected ${expectedDeliveries}; the duplicate upload ${duplicatesOk ? 'produced no second product' : 'PRODUCED A SECOND PRODUCT'})`);
  for (const d of r.delivered) print(`    ${(d.latencyMs / 1000).toFixed(2)} s  ${d.key.slice(0, 100)}`);
  if (r.missing.length > 0) print(`  NOT FINISHED within ${timeoutMs / 1000} s: ${r.missing.join(', ')}`);
  return { ...r, ok: r.ok && duplicatesOk };
}
