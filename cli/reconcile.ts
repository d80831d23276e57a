/**
 * `reconcile [--day D]`: the buckets (inbox, quarantine, archive, products, distribution), the
 * catalog (intake's table, read here as the operator) and the event store checked against each
 * other for one day: objects only in one place, files accepted but never ingested, cycles complete
 * but never processed, products generated but never delivered, multipart uploads left open, and
 * inbox objects the retention policy should have removed, each with its key.
 *
 * Objects are taken by their LastModified day, events by their time, catalog entries by their
 * registration; the other side of each check is looked for on the day before and after too, so a
 * file uploaded at 23:59 and ingested at 00:01 is consistent. Anything still within `grace` of
 * now is in flight, not inconsistent. `reconcileFacts` is pure; `reconcile` reads the stack.
 */
import { ListMultipartUploadsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import type { StackDescription } from '../local/stack-description.ts';
import { UsageError } from './errors.ts';
import { readWindow, table as textTable } from './event-store.ts';
import { resourceOf, type StackClients } from './stack.ts';

/** The checks, each with what a finding of it means. */
export const ReconcileChecks = {
  'inbox-unregistered': 'in the inbox, but intake never registered it (no catalog entry, no file event)',
  'catalog-unannounced': 'registered in the catalog, but no file.available or file.rejected was stored for it',
  'accepted-not-ingested': 'accepted (file.available), but never ingested nor rejected',
  'ingested-not-archived': 'ingested (file.ingested), but its archived copy is not in the archive',
  'only-in-archive': 'in the archive, but no file.ingested names it',
  'only-in-quarantine': 'in quarantine, but no file.rejected names it',
  'rejected-not-quarantined': 'rejected (file.rejected), but its copy is not in quarantine',
  'cycle-complete-not-processed': 'all 41 files of the cycle ingested, but no processing requested nor abandoned',
  'requested-not-processed': 'processing requested, but no product.generated came of it',
  'generated-not-delivered': 'generated (product.generated), but never delivered',
  'product-missing': 'generated, but its object is not in the products bucket',
  'only-in-products': 'in the products bucket, but no product.generated names it',
  'delivered-not-distributed': 'delivered, but its distributed copy is not in the distribution bucket',
  'only-in-distribution': 'in the distribution bucket, but no product.delivered names it',
  'multipart-open': 'a multipart upload left open (neither completed nor aborted)',
  'retained-in-inbox':
    'in the inbox although its archived copy is verified: the retention policy should have removed it',
} as const;
export type ReconcileCheck = keyof typeof ReconcileChecks;

/** The buckets reconciled, by the role of their description entry. */
export const ReconciledBuckets = ['inbox', 'quarantine', 'archive', 'products', 'distribution'] as const;
export type ReconciledBucket = (typeof ReconciledBuckets)[number];

/** One inconsistency, with its key. */
export interface Finding {
  readonly check: ReconcileCheck;
  /** The object key, cycle or product id it is about. */
  readonly key: string;
  /** Where: a bucket role, `catalog` or `event store`. */
  readonly where: string;
  readonly detail: string;
}

/** An object as listed. */
export interface ListedObject {
  readonly key: string;
  readonly lastModified: string;
  readonly size: number;
}

/** An open multipart upload. */
export interface OpenUpload {
  readonly bucket: ReconciledBucket;
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: string;
}

/** A catalog entry, as intake keeps it. */
export interface CatalogFact {
  readonly key: string;
  readonly registeredAt: string;
  readonly published: boolean;
}

/** What `reconcileFacts` checks: everything read for the day and its neighbours. */
export interface ReconcileFacts {
  readonly day: string;
  readonly bucketNames: Readonly<Record<ReconciledBucket, string>>;
  readonly objects: Readonly<Record<ReconciledBucket, readonly ListedObject[]>>;
  readonly uploads: readonly OpenUpload[];
  readonly catalog: readonly CatalogFact[];
  /** Events of the day before, the day and the day after. */
  readonly events: readonly CometEvent[];
}

/** The result of a reconciliation. */
export interface ReconcileReport {
  readonly day: string;
  readonly generatedAt: string;
  readonly graceSeconds: number;
  /** What was looked at on the day itself. */
  readonly counts: Readonly<Record<ReconciledBucket | 'catalog' | 'events' | 'multipart', number>>;
  readonly findings: readonly Finding[];
  readonly consistent: boolean;
}

/** Options of `reconcile`. */
export interface ReconcileOptions {
  /** `YYYY-MM-DD`. @default today (UTC) */
  readonly day?: string;
  /** Seconds within which something is in flight, not inconsistent. @default 900 */
  readonly graceSeconds?: number;
  /**
   * Seconds an archived file may stay in the inbox before the policy should have removed it
   * (besides the grace).
   * @default 0 - ingest removes a file from the inbox once its archived copy is written and announced
   */
  readonly inboxRetentionSeconds?: number;
  readonly now?: Date;
}

/** Default grace: what may still be in flight. */
export const DEFAULT_GRACE_SECONDS = 900;

const dayOf = (iso: string): string => iso.slice(0, 10);
const shiftDay = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000).toISOString().slice(0, 10);

type Data = Record<string, unknown>;
const objectAt = (value: unknown): { bucket: string; key: string } | undefined => {
  const o = value as { bucket?: unknown; key?: unknown } | undefined;
  return typeof o?.bucket === 'string' && typeof o.key === 'string' ? { bucket: o.bucket, key: o.key } : undefined;
};

/**
 * The inconsistencies of `facts`, in check order then by key. Only what is older than
 * `graceSeconds` counts: younger may still be in flight; an archived inbox object counts once
 * older than `inboxRetentionSeconds` too (the time the retention policy lets it stay).
 *
 * @example
 * const findings = reconcileFacts(facts, { now: new Date(), graceSeconds: 900 });
 */
export function reconcileFacts(
  facts: ReconcileFacts,
  options: { readonly now: Date; readonly graceSeconds: number; readonly inboxRetentionSeconds?: number },
): Finding[] {
  const settled = (iso: string, extraSeconds = 0): boolean =>
    Date.parse(iso) <= options.now.getTime() - (options.graceSeconds + extraSeconds) * 1000;
  const inboxRetention = options.inboxRetentionSeconds ?? 0;
  const onDay = (iso: string): boolean => dayOf(iso) === facts.day;
  const findings: Finding[] = [];
  const add = (check: ReconcileCheck, key: string, where: string, detail: string = ReconcileChecks[check]): void => {
    findings.push({ check, key, where, detail });
  };
  const ofType = (type: string): CometEvent[] => facts.events.filter((e) => e.type === type);
  const data = (e: CometEvent): Data => e.data as Data;

  const available = ofType(EventTypes.fileAvailable);
  const ingested = ofType(EventTypes.fileIngested);
  const rejected = ofType(EventTypes.fileRejected);
  const requested = ofType(EventTypes.processingRequested);
  const generated = ofType(EventTypes.productGenerated);
  const delivered = ofType(EventTypes.productDelivered);
  const abandoned = ofType(EventTypes.cycleAbandoned);
  const compensated = ofType(EventTypes.deliveryCompensated);

  const ingestedSource = new Set(ingested.map((e) => objectAt(data(e).source)?.key).filter(Boolean));
  const ingestedCopy = new Set(ingested.map((e) => objectAt(data(e).ingested)?.key).filter(Boolean));
  const rejectedSource = new Set(rejected.map((e) => objectAt(data(e).file)?.key).filter(Boolean));
  const rejectedCopy = new Set(rejected.map((e) => objectAt(data(e).quarantine)?.key).filter(Boolean));
  const announced = new Set(available.map((e) => objectAt(data(e).file)?.key).filter(Boolean));
  const catalogued = new Set(facts.catalog.map((c) => c.key));
  const inBucket = Object.fromEntries(
    ReconciledBuckets.map((role) => [role, new Set(facts.objects[role].map((o) => o.key))]),
  ) as Record<ReconciledBucket, Set<string>>;

  // Inbox: registered by intake, and gone once its archived copy is verified.
  for (const object of facts.objects.inbox) {
    if (!onDay(object.lastModified) || !settled(object.lastModified)) continue;
    const known = catalogued.has(object.key) || announced.has(object.key) || rejectedSource.has(object.key);
    if (!known) add('inbox-unregistered', object.key, 'inbox');
    else if (ingestedSource.has(object.key) && settled(object.lastModified, inboxRetention)) {
      const copy = ingested.find((e) => objectAt(data(e).source)?.key === object.key);
      const archived = objectAt(copy === undefined ? undefined : data(copy).ingested);
      if (archived !== undefined && inBucket.archive.has(archived.key))
        add(
          'retained-in-inbox',
          object.key,
          'inbox',
          `${ReconcileChecks['retained-in-inbox']} (archive ${archived.key})`,
        );
    }
  }
  for (const entry of facts.catalog) {
    if (!onDay(entry.registeredAt) || !settled(entry.registeredAt)) continue;
    if (!announced.has(entry.key) && !rejectedSource.has(entry.key))
      add(
        'catalog-unannounced',
        entry.key,
        'catalog',
        entry.published ? ReconcileChecks['catalog-unannounced'] : 'registered in the catalog, never announced',
      );
  }
  for (const event of available) {
    const key = objectAt(data(event).file)?.key;
    if (key === undefined || !onDay(event.time) || !settled(event.time)) continue;
    if (!ingestedSource.has(key) && !rejectedSource.has(key)) add('accepted-not-ingested', key, 'event store');
  }
  for (const event of ingested) {
    const copy = objectAt(data(event).ingested);
    if (copy === undefined || !onDay(event.time)) continue;
    if (!inBucket.archive.has(copy.key)) add('ingested-not-archived', copy.key, 'archive');
  }
  for (const object of facts.objects.archive) {
    if (onDay(object.lastModified) && settled(object.lastModified) && !ingestedCopy.has(object.key))
      add('only-in-archive', object.key, 'archive');
  }
  for (const object of facts.objects.quarantine) {
    if (onDay(object.lastModified) && settled(object.lastModified) && !rejectedCopy.has(object.key))
      add('only-in-quarantine', object.key, 'quarantine');
  }
  for (const event of rejected) {
    const copy = objectAt(data(event).quarantine);
    if (copy !== undefined && onDay(event.time) && !inBucket.quarantine.has(copy.key))
      add('rejected-not-quarantined', copy.key, 'quarantine');
  }

  // Cycles: 41 files ingested, then a processing request (or an abandonment at the deadline).
  const chunksOf = new Map<string, { slots: Set<number>; last: string }>();
  for (const event of ingested) {
    const attributes = data(event).attributes as { kind?: string; chunk?: number } | undefined;
    if (attributes?.kind !== 'imager-chunk' && attributes?.kind !== 'imager-trailer') continue;
    const entry = chunksOf.get(event.correlationid) ?? { slots: new Set(), last: event.time };
    entry.slots.add(attributes.kind === 'imager-trailer' ? 41 : Number(attributes.chunk));
    if (event.time > entry.last) entry.last = event.time;
    chunksOf.set(event.correlationid, entry);
  }
  const requestedFor = new Set(requested.map((e) => e.correlationid));
  const abandonedFor = new Set(abandoned.map((e) => e.correlationid));
  for (const [correlationId, { slots, last }] of chunksOf) {
    if (slots.size < 41 || !onDay(last) || !settled(last)) continue;
    if (!requestedFor.has(correlationId) && !abandonedFor.has(correlationId))
      add('cycle-complete-not-processed', correlationId, 'event store');
  }

  // Products: requested -> generated -> delivered, each with its object.
  const generatedBy = new Set(generated.map((e) => e.causationid));
  const generatedIn = new Set(generated.map((e) => e.correlationid));
  for (const event of requested) {
    if (!onDay(event.time) || !settled(event.time)) continue;
    if (!generatedBy.has(event.id) && !generatedIn.has(event.correlationid))
      add(
        'requested-not-processed',
        event.correlationid,
        'event store',
        `${ReconcileChecks['requested-not-processed']} (request ${event.id})`,
      );
  }
  const deliveredIds = new Set(delivered.map((e) => data(e).productId as string));
  const productObjects = new Set<string>();
  for (const event of generated) {
    const product = objectAt(data(event).product);
    const manifest = objectAt(data(event).manifest);
    for (const o of [product, manifest]) if (o !== undefined) productObjects.add(o.key);
    if (!onDay(event.time)) continue;
    const productId = data(event).productId as string;
    if (product !== undefined && !inBucket.products.has(product.key)) add('product-missing', product.key, 'products');
    if (settled(event.time) && !deliveredIds.has(productId)) {
      const compensation = compensated.find((e) => (data(e).productId as string) === productId);
      add(
        'generated-not-delivered',
        productId,
        'event store',
        compensation === undefined
          ? ReconcileChecks['generated-not-delivered']
          : `generated, delivery compensated at ${String(data(compensation).failedStep)}: ${String(data(compensation).reason)}`,
      );
    }
  }
  for (const object of facts.objects.products) {
    if (onDay(object.lastModified) && settled(object.lastModified) && !productObjects.has(object.key))
      add('only-in-products', object.key, 'products');
  }
  const distributed = new Set<string>();
  for (const event of delivered) {
    for (const o of (data(event).distributed as unknown[] | undefined) ?? []) {
      const at = objectAt(o);
      if (at === undefined) continue;
      distributed.add(at.key);
      if (onDay(event.time) && !inBucket.distribution.has(at.key))
        add('delivered-not-distributed', at.key, 'distribution');
    }
  }
  for (const object of facts.objects.distribution) {
    if (onDay(object.lastModified) && settled(object.lastModified) && !distributed.has(object.key))
      add('only-in-distribution', object.key, 'distribution');
  }

  // Multipart uploads: whatever their day, an old open one is a leak (storage billed, no object).
  for (const upload of facts.uploads) {
    if (dayOf(upload.initiated) <= facts.day && settled(upload.initiated))
      add(
        'multipart-open',
        upload.key,
        upload.bucket,
        `${ReconcileChecks['multipart-open']} since ${upload.initiated} (upload ${upload.uploadId})`,
      );
  }

  const order = Object.keys(ReconcileChecks);
  return findings.sort((a, b) => order.indexOf(a.check) - order.indexOf(b.check) || a.key.localeCompare(b.key));
}

async function listObjects(s3: S3Client, bucket: string): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket }))
    for (const o of page.Contents ?? [])
      objects.push({
        key: o.Key ?? '',
        lastModified: (o.LastModified ?? new Date(0)).toISOString(),
        size: o.Size ?? 0,
      });
  return objects;
}

async function listOpenUploads(s3: S3Client, role: ReconciledBucket, bucket: string): Promise<OpenUpload[]> {
  const uploads: OpenUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const result = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
    );
    for (const u of result.Uploads ?? [])
      uploads.push({
        bucket: role,
        key: u.Key ?? '',
        uploadId: u.UploadId ?? '',
        initiated: (u.Initiated ?? new Date(0)).toISOString(),
      });
    if (result.IsTruncated !== true) break;
    keyMarker = result.NextKeyMarker;
    uploadIdMarker = result.NextUploadIdMarker;
  }
  return uploads;
}

/** Intake's catalog entries registered from `fromDay` to `toDay` (a Scan: the catalog has no day index). */
async function readCatalog(
  documents: DynamoDBDocumentClient,
  tableName: string,
  fromDay: string,
  toDay: string,
): Promise<CatalogFact[]> {
  const entries: CatalogFact[] = [];
  const pages = paginateScan(
    { client: documents },
    {
      TableName: tableName,
      FilterExpression: 'registeredAt BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':from': fromDay, ':to': `${toDay}T99` },
      ProjectionExpression: 'pk, registeredAt, published',
    },
  );
  for await (const page of pages)
    for (const item of page.Items ?? [])
      entries.push({
        key: String(item.pk).replace(/^FILE#/, ''),
        registeredAt: String(item.registeredAt),
        published: item.published === true,
      });
  return entries;
}

/** Reads what `reconcileFacts` checks for `day` from the stack. */
export async function readReconcileFacts(
  context: { readonly description: StackDescription; readonly clients: Pick<StackClients, 's3' | 'documents'> },
  day: string,
): Promise<ReconcileFacts> {
  const { description, clients } = context;
  const bucketNames = Object.fromEntries(
    ReconciledBuckets.map((role) => [role, resourceOf('buckets', description, role)]),
  ) as Record<ReconciledBucket, string>;
  const [objects, uploads, catalog, stored] = await Promise.all([
    Promise.all(
      ReconciledBuckets.map(async (role) => [role, await listObjects(clients.s3, bucketNames[role])] as const),
    ),
    Promise.all(ReconciledBuckets.map((role) => listOpenUploads(clients.s3, role, bucketNames[role]))),
    readCatalog(clients.documents, resourceOf('tables', description, 'catalog'), shiftDay(day, -1), shiftDay(day, 1)),
    readWindow(clients.documents, resourceOf('tables', description, 'eventStore'), {
      from: `${shiftDay(day, -1)}T00:00:00.000Z`,
      to: `${shiftDay(day, 2)}T00:00:00.000Z`,
    }),
  ]);
  return {
    day,
    bucketNames,
    objects: Object.fromEntries(objects) as Record<ReconciledBucket, ListedObject[]>,
    uploads: uploads.flat(),
    catalog,
    events: stored.map((s) => s.event),
  };
}

/**
 * Reconciles one day of the stack: what is where, checked against each other.
 *
 * @example
 * const report = await reconcile({ description, clients }, { day: '2026-12-01' });
 * if (!report.consistent) for (const f of report.findings) console.log(f.check, f.key);
 */
export async function reconcile(
  context: { readonly description: StackDescription; readonly clients: Pick<StackClients, 's3' | 'documents'> },
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const now = options.now ?? new Date();
  const day = options.day ?? now.toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day)))
    throw new UsageError(`--day "${day}" is not a day; expected YYYY-MM-DD, for example 2026-11-22`);
  const graceSeconds = options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  const facts = await readReconcileFacts(context, day);
  const inboxRetentionSeconds = options.inboxRetentionSeconds ?? 0;
  const findings = reconcileFacts(facts, { now, graceSeconds, inboxRetentionSeconds });
  const ofDay = (items: readonly { lastModified: string }[]): number =>
    items.filter((i) => dayOf(i.lastModified) === day).length;
  return {
    day,
    generatedAt: now.toISOString(),
    graceSeconds,
    counts: {
      inbox: ofDay(facts.objects.inbox),
      quarantine: ofDay(facts.objects.quarantine),
      archive: ofDay(facts.objects.archive),
      products: ofDay(facts.objects.products),
      distribution: ofDay(facts.objects.distribution),
      catalog: facts.catalog.filter((c) => dayOf(c.registeredAt) === day).length,
      events: facts.events.filter((e) => dayOf(e.time) === day).length,
      multipart: facts.uploads.length,
    },
    findings,
    consistent: findings.length === 0,
  };
}

/** A reconciliation as text. */
export function formatReconcile(report: ReconcileReport): string[] {
  const counts = Object.entries(report.counts)
    .map(([what, n]) => `${what} ${n}`)
    .join(', ');
  const lines = [`reconcile ${report.day} (grace ${report.graceSeconds} s): ${counts}`];
  if (report.consistent) {
    lines.push('consistent: every object, catalog entry and event of the day accounted for');
    return lines;
  }
  lines.push(`${report.findings.length} inconsistent:`);
  lines.push(
    ...textTable([['check', 'where', 'key'], ...report.findings.map((f) => [f.check, f.where, f.key])]).map(
      (l) => `  ${l}`,
    ),
  );
  const checks = [...new Set(report.findings.map((f) => f.check))];
  for (const check of checks) lines.push(`  ${check}: ${ReconcileChecks[check]}`);
  return lines;
}
