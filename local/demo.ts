/**
 * The demo: a data provider's day in miniature. It uploads sample files into the inbox through
 * the S3 API, follows them through the stages by reading the event store (the scheduler's
 * record of every event and command), prints progress per stage, and ends with a summary:
 * files accepted, files quarantined with reasons, products delivered, end-to-end latency.
 * It talks to the stack only through AWS APIs, so it runs against any stack description.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { ecmwfForecast, fciChunk, type ProviderFileSample } from '#shared/samples/provider-files.ts';
import { HDF5_SIGNATURE } from '#shared/formats/signatures.ts';
import { describeDeliveries } from './saga-steps.ts';
import type { StackDescription } from './stack-description.ts';

/** A sample and what the pipeline should do with it. */
interface DemoFile extends ProviderFileSample {
  readonly expect: 'joined' | 'quarantined' | 'duplicate';
  readonly note: string;
}

/**
 * The demo's files: the 41 chunks of the current repeat cycle and a forecast valid for it (one
 * product, by the join rule), bad files of each kind, and a duplicate upload.
 */
export function demoFiles(now = new Date()): DemoFile[] {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  const cycle = Math.floor((now.getUTCHours() * 60 + now.getUTCMinutes()) / 10) + 1;
  const analysis = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 0));
  const chunks = Array.from({ length: 41 }, (_, i) => fciChunk(day, cycle, i + 1, 16 * 1024));
  const badSignature = fciChunk(day, cycle, 3);
  badSignature.body.fill(0, 0, HDF5_SIGNATURE.length);
  // A ten-day forecast: a key no good file of the demo uses.
  const badGrib = ecmwfForecast(analysis, 240, 2, 4096);
  badGrib.body.write('0000', badGrib.body.length - 4, 'ascii');
  return [
    {
      ...ecmwfForecast(analysis, Math.round(((cycle - 1) * 10) / 60), 8, 256 * 1024),
      expect: 'joined',
      note: 'forecast valid for the cycle, 2 MiB GRIB2',
    },
    ...chunks.map((chunk, i) => ({
      ...chunk,
      expect: 'joined' as const,
      note: i === 40 ? 'imager trailer' : `imager body chunk ${i + 1}`,
    })),
    {
      ...badSignature,
      key: badSignature.key.replace('_0003.nc', '_0003.nc.part'),
      expect: 'quarantined',
      note: 'partial upload name breaking the FCI convention',
    },
    {
      ...fciChunk(day, cycle === 144 ? 1 : cycle + 1, 3),
      body: badSignature.body,
      expect: 'quarantined',
      note: 'imager chunk without the HDF5 signature',
    },
    { ...badGrib, expect: 'quarantined', note: 'forecast without the GRIB2 end marker' },
    {
      key: 'eumetsat/notes-from-the-operator.txt',
      body: Buffer.from('not a product\n'),
      expect: 'quarantined',
      note: 'file name breaking the FCI convention',
    },
    {
      key: 'nasa/granule.h5',
      body: Buffer.concat([HDF5_SIGNATURE, Buffer.alloc(64)]),
      expect: 'quarantined',
      note: 'unknown provider prefix',
    },
    { ...chunks[0]!, expect: 'duplicate', note: 'chunk 1 uploaded again, same content' },
  ];
}

/** Reads the whole event store (a demo's worth of events). */
async function readEventStore(documents: DynamoDBDocumentClient, table: string): Promise<CometEvent[]> {
  const events: CometEvent[] = [];
  for await (const page of paginateScan({ client: documents }, { TableName: table, ConsistentRead: true })) {
    // Guard items (one per event id) carry no event.
    for (const item of page.Items ?? [])
      if (typeof item.event === 'string') events.push(JSON.parse(item.event) as CometEvent);
  }
  return events;
}

/** Event types printed one by one; the many per-file ones are counted instead. */
const announced = new Set<string>([
  EventTypes.fileRejected,
  EventTypes.processingRequested,
  EventTypes.productGenerated,
  EventTypes.productDelivered,
  EventTypes.cycleAbandoned,
  EventTypes.inputLate,
]);

export interface DemoResult {
  readonly ok: boolean;
  readonly accepted: number;
  readonly quarantined: { key: string; code: string; reason: string }[];
  readonly delivered: { productId: string; inputs: number; correlationId: string }[];
  /** Per accepted file: seconds from its upload to its ingestion and to the delivery of its product. */
  readonly latencies: { key: string; ingestedS: number; deliveredS: number }[];
  readonly missing: string[];
}

/** Uploads with a few in flight at once, as a provider's transfer agent does. */
async function uploadAll(
  files: readonly DemoFile[],
  upload: (file: DemoFile) => Promise<void>,
  concurrency = 6,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < files.length) await upload(files[next++]!);
    }),
  );
}

/** Runs the demo against a stack; prints with `print`. */
export async function runDemo(
  stack: StackDescription,
  print: (line: string) => void,
  options: { timeoutMs?: number } = {},
): Promise<DemoResult> {
  const config = { region: stack.region, credentials: stack.credentials };
  const s3 = new S3Client({
    ...config,
    ...(stack.endpoints.s3 === undefined ? {} : { endpoint: stack.endpoints.s3, forcePathStyle: true }),
  });
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...config,
      ...(stack.endpoints.dynamodb === undefined ? {} : { endpoint: stack.endpoints.dynamodb }),
    }),
  );
  const inbox = stack.buckets.inbox!;
  const files = demoFiles();
  const joined = files.filter((f) => f.expect === 'joined');
  const t0 = Date.now();
  const since = (ms: number): string => `${((ms - t0) / 1000).toFixed(2)}s`;
  const uploadedAt = new Map<string, number>();
  print(
    `uploading ${files.length} files to s3://${inbox}/: ${joined.length - 1} imager chunks of one repeat cycle and a forecast valid for it, ` +
      `${files.filter((f) => f.expect === 'quarantined').length} bad files, 1 duplicate`,
  );
  await uploadAll(
    files.filter((f) => f.expect !== 'duplicate'),
    async (file) => {
      await new Upload({ client: s3, params: { Bucket: inbox, Key: file.key, Body: file.body } }).done();
      uploadedAt.set(file.key, Date.now());
      if (file.expect !== 'joined' || !file.note.startsWith('imager body'))
        print(`  [${since(Date.now())}] uploaded ${file.note}: ${file.key.slice(0, 90)}`);
    },
  );
  print(`  [${since(Date.now())}] all uploaded`);
  // The duplicate goes up after the first copy was taken in, as a provider's retry would.
  await new Promise((r) => setTimeout(r, 1000));
  const duplicate = files.find((f) => f.expect === 'duplicate')!;
  await new Upload({ client: s3, params: { Bucket: inbox, Key: duplicate.key, Body: duplicate.body } }).done();
  print(`  [${since(Date.now())}] uploaded ${duplicate.note}`);

  const seen = new Set<string>();
  let lastCounts = '';
  const timeoutMs = options.timeoutMs ?? 180_000;
  let events: CometEvent[] = [];
  const done = (): boolean => {
    const rejected = new Set(
      events
        .filter((e) => e.type === EventTypes.fileRejected)
        .map((e) => (e.data as { file: { key: string } }).file.key),
    );
    return (
      events.some((e) => e.type === EventTypes.productDelivered) &&
      files.filter((f) => f.expect === 'quarantined').every((f) => rejected.has(f.key))
    );
  };
  while (Date.now() - t0 < timeoutMs) {
    events = (await readEventStore(documents, stack.tables.eventStore!)).sort((a, b) => a.time.localeCompare(b.time));
    const count = (type: string): number => events.filter((e) => e.type === type).length;
    const counts =
      `intake ${count(EventTypes.fileAvailable)} accepted, ${count(EventTypes.fileRejected)} quarantined | ` +
      `ingest ${count(EventTypes.fileIngested)}/${joined.length} | process ${count(EventTypes.productGenerated)} | deliver ${count(EventTypes.productDelivered)}`;
    for (const event of events) {
      if (seen.has(event.id) || !announced.has(event.type)) continue;
      seen.add(event.id);
      const data = event.data as Record<string, unknown>;
      const detail =
        event.type === EventTypes.processingRequested
          ? `${(data.inputs as unknown[]).length} inputs${data.degraded === true ? `, degraded, missing ${(data.missing as string[]).join(' ')}` : ''}`
          : event.type === EventTypes.fileRejected
            ? String(data.code)
            : (event.subject ?? '');
      print(
        `  [${since(Date.parse(event.time))}] ${event.type.replace('cometflow.', '').padEnd(21)} ${event.correlationid.slice(0, 40).padEnd(40)} ${detail.slice(0, 80)}`,
      );
    }
    if (counts !== lastCounts) {
      print(`  [${since(Date.now())}] ${counts}`);
      lastCounts = counts;
    }
    if (done()) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // A short grace period shows that the duplicate upload produced nothing more.
  await new Promise((r) => setTimeout(r, 2000));
  events = await readEventStore(documents, stack.tables.eventStore!);

  const quarantined = events
    .filter((e) => e.type === EventTypes.fileRejected)
    .map((e) => {
      const data = (e as CometEvent<typeof EventTypes.fileRejected>).data;
      return { key: data.file.key, code: data.code, reason: data.reason };
    });
  const deliveries = events.filter((e) => e.type === EventTypes.productDelivered);
  const generated = events.filter((e) => e.type === EventTypes.productGenerated) as CometEvent<
    typeof EventTypes.productGenerated
  >[];
  const delivered = deliveries.map((e) => {
    const productId = (e as CometEvent<typeof EventTypes.productDelivered>).data.productId;
    return {
      productId,
      correlationId: e.correlationid,
      inputs: generated.find((g) => g.data.productId === productId)?.data.inputCount ?? 0,
    };
  });
  const ingestedAt = new Map(
    events
      .filter((e) => e.type === EventTypes.fileIngested)
      .map((e) => [(e.data as { source: { key: string } }).source.key, Date.parse(e.time)]),
  );
  const deliveredAt = deliveries.length === 0 ? undefined : Math.min(...deliveries.map((e) => Date.parse(e.time)));
  const latencies = joined
    .filter((f) => uploadedAt.has(f.key) && ingestedAt.has(f.key))
    .map((f) => ({
      key: f.key,
      ingestedS: (ingestedAt.get(f.key)! - uploadedAt.get(f.key)!) / 1000,
      deliveredS: deliveredAt === undefined ? Number.NaN : (deliveredAt - uploadedAt.get(f.key)!) / 1000,
    }));
  const missing = [
    ...joined.filter((f) => !ingestedAt.has(f.key)).map((f) => `${f.key} (not ingested)`),
    ...files
      .filter((f) => f.expect === 'quarantined' && !quarantined.some((q) => q.key === f.key))
      .map((f) => `${f.key} (not quarantined)`),
    ...(deliveries.length === 1 ? [] : [`${deliveries.length} products delivered; expected exactly 1`]),
  ];
  const accepted = events.filter((e) => e.type === EventTypes.fileAvailable).length;

  const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);
  const pct = (values: number[], p: number): string =>
    (sorted(values)[Math.min(values.length - 1, Math.floor(p * values.length))] ?? Number.NaN).toFixed(2);
  print('');
  print('summary');
  print(`  files uploaded      ${files.length} (one of them a duplicate upload of chunk 1)`);
  print(`  files accepted      ${accepted} (${joined.length} expected; the duplicate was recognized at intake)`);
  print(`  files quarantined   ${quarantined.length}`);
  for (const q of quarantined) print(`    ${q.key.slice(0, 90)}\n      ${q.code}: ${q.reason.slice(0, 170)}`);
  print(`  products delivered  ${deliveries.length}`);
  for (const d of delivered) print(`    ${d.productId} for ${d.correlationId}, from ${d.inputs} inputs`);
  const deliveryMachine = stack.stateMachines?.delivery;
  if (deliveryMachine !== undefined) {
    const sfn = new SFNClient({
      ...config,
      ...(stack.endpoints.stepfunctions === undefined ? {} : { endpoint: stack.endpoints.stepfunctions }),
    });
    print('  delivery saga, each execution and its steps (from GetExecutionHistory)');
    for (const line of await describeDeliveries(sfn, deliveryMachine)) print(`    ${line}`);
  }
  print('  end-to-end latency per file (s): upload -> ingested, upload -> its product delivered');
  for (const l of latencies) {
    const name = l.key.startsWith('ecmwf/') ? l.key : `chunk ${l.key.slice(-7, -3)}`;
    print(`    ${name.padEnd(28)} ${l.ingestedS.toFixed(2).padStart(6)} ${l.deliveredS.toFixed(2).padStart(6)}`);
  }
  const ingested = latencies.map((l) => l.ingestedS);
  const endToEnd = latencies.map((l) => l.deliveredS);
  print(
    `    median / p90 / max: ingested ${pct(ingested, 0.5)} / ${pct(ingested, 0.9)} / ${pct(ingested, 1)}, delivered ${pct(endToEnd, 0.5)} / ${pct(endToEnd, 0.9)} / ${pct(endToEnd, 1)}`,
  );
  if (missing.length > 0) print(`  NOT AS EXPECTED within ${timeoutMs / 1000} s: ${missing.join('; ')}`);
  return { ok: missing.length === 0, accepted, quarantined, delivered, latencies, missing };
}
