/**
 * The account at the end of a run, through AWS APIs only: the event store (what the scheduler
 * recorded), the buckets, the queues, the subscriber queues, open multipart uploads. It compares
 * what came out with what the plan says must come out, and lists every difference.
 */
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { queueDepth } from '../cli/dlq.ts';
import type { StackDescription } from '../local/stack-description.ts';
import type { PlannedCycle, PlannedUpload } from './traffic.ts';

/** A row of the product table. */
export interface ProductRow {
  readonly type: string;
  readonly expected: number;
  readonly delivered: number;
  readonly inTime: number;
  readonly duplicated: number;
  /** Not delivered because faults delayed the inputs past the deadline, all data accounted for. */
  readonly closedLate: number;
  readonly lost: number;
}

/** The account of a run. */
export interface Account {
  readonly rows: readonly ProductRow[];
  /** Every difference from the plan: a loss, a duplicate, something left behind. Empty when all is well. */
  readonly problems: readonly string[];
  /**
   * What the harness failed to do: uploads that failed or were never sent (the account covers only
   * what was sent, so a run with any of these proves less than it should and fails). Empty when all is well.
   */
  readonly harnessFailures: readonly string[];
  /** Late chunks held back to the end because their cycle never closed (that cycle is a problem already). */
  readonly heldBack: readonly string[];
  /** Seconds from a cycle's last input (or its deadline) to its delivery, per delivered product. */
  readonly deliveryLatencies: readonly number[];
  /** Seconds from upload to `file.ingested`, per accepted file. */
  readonly ingestLatencies: readonly number[];
  readonly acceptedFiles: number;
  readonly deliveredProducts: number;
  /** Cycles planned complete that faults delayed past their deadline: delivered degraded, not in time. */
  readonly degradedByDelay: number;
  /**
   * Cycles planned with a product that faults delayed so much that the rule abandoned them at
   * their deadline (every late chunk ingested and reported late): products not delivered, no data lost.
   */
  readonly abandonedByDelay: number;
  /** Ingested files still in the inbox (ingest leaves them in place). */
  readonly retainedInInbox: number;
  /** Raw notifications per subscriber (repeats of one event id included). */
  readonly notifications: Record<string, number>;
  /** Notifications of an ordered subscriber marked late (a later product of the stream went first), per subscriber. */
  readonly outOfOrder: Record<string, number>;
  /** Seconds from upload to delivery, per delivered lightning product. */
  readonly lightningLatencies: readonly number[];
}

/** What the account needs from the run besides the stack. */
export interface AccountInput {
  readonly uploads: readonly PlannedUpload[];
  readonly cycles: readonly PlannedCycle[];
  /** When each key's first upload completed (epoch ms): a key not in it was never sent. */
  readonly uploadedAt: ReadonlyMap<string, number>;
  /** Uploads that failed, with the error (each one a harness failure). */
  readonly uploadErrors: readonly { readonly key: string; readonly error: string }[];
  /** Late chunks not sent because their cycle never closed. */
  readonly heldBack: readonly string[];
  /** A product counts as in time when delivered within this many seconds of when it was due. */
  readonly inTimeSeconds: number;
  /** The scheduler's minimum wait before a deadline, in seconds: when a degraded cycle is due. */
  readonly deadlineWaitSeconds: number;
  /** Product types each subscriber receives (`*` for all), by subscriber queue role. */
  readonly subscribers: Readonly<Record<string, readonly string[]>>;
  /** The subscriber queue roles that receive each stream in sensing order (FIFO). */
  readonly orderedSubscribers: readonly string[];
}

/** AWS clients on the stack's own endpoints. */
export interface AccountClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly documents: DynamoDBDocumentClient;
}

const PRODUCT_TYPE = 'fci-cycle-statistics';
const LIGHTNING_TYPE = 'lightning-window';

/** Every event the scheduler recorded. */
export async function readEventStore(documents: DynamoDBDocumentClient, table: string): Promise<CometEvent[]> {
  const events: CometEvent[] = [];
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 10_000; page += 1) {
    const result = await documents.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    // Guard items (one per event id) carry no event.
    for (const item of result.Items ?? [])
      if (typeof item.event === 'string') events.push(JSON.parse(item.event) as CometEvent);
    start = result.LastEvaluatedKey;
    if (start === undefined) break;
  }
  return events;
}

async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10_000; page += 1) {
    const result = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(result.Contents ?? []).map((o) => o.Key!));
    token = result.NextContinuationToken;
    if (token === undefined) break;
  }
  return keys;
}

/** Receives every message of a queue and deletes it; bounded in count. */
async function drain(sqs: SQSClient, url: string): Promise<CometEvent[]> {
  const events: CometEvent[] = [];
  for (let round = 0; round < 10_000; round += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) events.push(JSON.parse(message.Body ?? '{}') as CometEvent);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return events;
}

const groupBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
};
const dataOf = (event: CometEvent): Record<string, unknown> => event.data as Record<string, unknown>;
const fileKeyOf = (event: CometEvent): string => String((dataOf(event).file as { key?: unknown } | undefined)?.key);

/** Takes the account of a settled stack. */
export async function takeAccount(
  stack: StackDescription,
  clients: AccountClients,
  input: AccountInput,
): Promise<Account> {
  const { s3, sqs, documents } = clients;
  const problems: string[] = [];
  const harnessFailures: string[] = input.uploadErrors.map((u) => `upload failed: ${u.key}: ${u.error}`);
  // Only what was sent is accounted for: a planned file that never went up is the harness's failure, not a loss.
  const sent = (upload: PlannedUpload): boolean => input.uploadedAt.has(upload.key);
  const heldBack = new Set(input.heldBack);
  const unsent = [...new Set(input.uploads.filter((u) => !sent(u) && !heldBack.has(u.key)).map((u) => u.key))];
  if (unsent.length > 0)
    harnessFailures.push(`never sent: ${unsent.length} planned file(s), e.g. ${unsent.slice(0, 3).join(', ')}`);
  const events = await readEventStore(documents, stack.tables.eventStore!);
  const byType = groupBy(events, (e) => e.type);
  const ofType = (type: string): CometEvent[] => byType.get(type) ?? [];

  // Files: every accepted key ingested exactly once; every bad one quarantined with its reason.
  const acceptedKeys = [
    ...new Set(input.uploads.filter((u) => u.expect !== 'quarantined' && sent(u)).map((u) => u.key)),
  ];
  const ingestedByKey = groupBy(ofType(EventTypes.fileIngested), (e) =>
    String((dataOf(e).source as { key: string }).key),
  );
  const availableByKey = groupBy(ofType(EventTypes.fileAvailable), fileKeyOf);
  const rejectedByKey = groupBy(ofType(EventTypes.fileRejected), fileKeyOf);
  let ingestedOnce = 0;
  let ingestDuplicates = 0;
  const ingestLatencies: number[] = [];
  for (const key of acceptedKeys) {
    const ingested = ingestedByKey.get(key) ?? [];
    const available = availableByKey.get(key) ?? [];
    if (ingested.length === 0)
      problems.push(`lost: ${key} was uploaded and never ingested (${available.length} file.available)`);
    if (ingested.length > 1) {
      ingestDuplicates += 1;
      problems.push(`duplicate: ${key} ingested ${ingested.length} times`);
    }
    if (available.length > 1) problems.push(`duplicate: ${key} accepted ${available.length} times at intake`);
    if (rejectedByKey.has(key))
      problems.push(`wrongly rejected: ${key} (${String(dataOf(rejectedByKey.get(key)![0]!).code)})`);
    if (ingested.length >= 1) {
      ingestedOnce += 1;
      const uploaded = input.uploadedAt.get(key);
      if (uploaded !== undefined) ingestLatencies.push((Date.parse(ingested[0]!.time) - uploaded) / 1000);
    }
  }
  const bad = input.uploads.filter((u) => u.expect === 'quarantined' && sent(u));
  const quarantineKeys = new Set(await listKeys(s3, stack.buckets.quarantine!));
  let quarantined = 0;
  for (const upload of bad) {
    const rejected = rejectedByKey.get(upload.key) ?? [];
    // Where intake put it, as its file.rejected says (the layout is the pipeline's: `<key>/<etag>`).
    const copy =
      rejected.length === 0 ? undefined : String((dataOf(rejected[0]!).quarantine as { key?: unknown })?.key);
    const hasObject = copy !== undefined && quarantineKeys.has(copy) && quarantineKeys.has(`${copy}.reason.json`);
    let reason: { code?: string; reason?: string } = {};
    if (hasObject) {
      const body = await s3.send(
        new GetObjectCommand({ Bucket: stack.buckets.quarantine, Key: `${copy}.reason.json` }),
      );
      reason = JSON.parse(await body.Body!.transformToString()) as typeof reason;
    }
    if (rejected.length === 0 || !hasObject || reason.reason === undefined || reason.reason === '') {
      problems.push(
        `not quarantined with a reason: ${upload.key} ` +
          `(${rejected.length} file.rejected, object ${hasObject ? 'present' : 'absent'})`,
      );
    } else if (upload.badCode !== undefined && reason.code !== upload.badCode) {
      problems.push(`quarantined with code ${String(reason.code)}, expected ${upload.badCode}: ${upload.key}`);
    } else {
      quarantined += 1;
    }
    if (rejected.length > 1) problems.push(`duplicate: ${upload.key} rejected ${rejected.length} times`);
  }

  // Cycles: one product each (degraded where planned), abandoned ones reported, late inputs reported.
  const byCorrelation = groupBy(events, (e) => e.correlationid);
  const lastUpload = new Map<string, { first: number; last: number }>();
  for (const upload of input.uploads) {
    if (upload.cycleId === undefined || upload.lateAfterDeadline === true || upload.expect !== 'accepted') continue;
    const at = input.uploadedAt.get(upload.key);
    if (at === undefined) continue;
    const seen = lastUpload.get(upload.cycleId) ?? { first: at, last: at };
    lastUpload.set(upload.cycleId, { first: Math.min(seen.first, at), last: Math.max(seen.last, at) });
  }
  // Every product delivered once, with its type: the subscribers and the distribution check them.
  const deliveredProducts = new Map<string, { readonly event: CometEvent; readonly type: string }>();
  const deliveryLatencies: number[] = [];
  let expectedProducts = 0;
  let delivered = 0;
  let inTime = 0;
  let duplicated = 0;
  let abandonedReported = 0;
  let degradedByDelay = 0;
  let abandonedByDelay = 0;
  const abandonedExpected = input.cycles.filter((c) => c.fate === 'abandoned').length;
  for (const cycle of input.cycles) {
    const chunksOf = input.uploads.filter((u) => u.cycleId === cycle.id && u.expect === 'accepted');
    if (chunksOf.some((u) => u.lateAfterDeadline !== true && !sent(u))) {
      // Its inputs are not what the plan says: what it should have become is unknown.
      harnessFailures.push(`${cycle.id} not accounted for: some of its chunks were never sent`);
      continue;
    }
    const lateSent = chunksOf.some((u) => u.lateAfterDeadline === true && sent(u));
    const mine = byCorrelation.get(cycle.id) ?? [];
    const of = (type: string): CometEvent[] => mine.filter((e) => e.type === type);
    const generated = [...new Set(of(EventTypes.productGenerated).map((e) => String(dataOf(e).productId)))];
    const deliveries = of(EventTypes.productDelivered);
    const requested = of(EventTypes.processingRequested);
    if (cycle.fate === 'abandoned') {
      if (of(EventTypes.cycleAbandoned).length === 1) abandonedReported += 1;
      else problems.push(`abandoned cycle ${cycle.id} reported ${of(EventTypes.cycleAbandoned).length} times`);
      if (generated.length > 0)
        problems.push(`abandoned cycle ${cycle.id} still produced ${generated.length} product(s)`);
      continue;
    }
    expectedProducts += 1;
    if (requested.length > 1)
      problems.push(`duplicate: ${cycle.id} requested for processing ${requested.length} times`);
    const processedDegraded = requested.length >= 1 && dataOf(requested[0]!).degraded === true;
    const lateSlots = new Set(of(EventTypes.inputLate).map((e) => String(dataOf(e).slot)));
    let delayed = false;
    if (processedDegraded && cycle.fate === 'complete') {
      // Faults held some chunks past the deadline: the cycle was processed without them, as the
      // rule says; each must then be ingested (checked above) and reported late.
      const missing = (dataOf(requested[0]!).missing as string[] | undefined) ?? [];
      delayed = true;
      degradedByDelay += 1;
      for (const slot of missing)
        if (!lateSlots.has(slot))
          problems.push(`${cycle.id}: chunk ${slot} missed the deadline and was not reported as input.late`);
    } else if (requested.length >= 1 && !processedDegraded && cycle.fate === 'degraded') {
      problems.push(`${cycle.id} processed complete, planned degraded`);
    }
    const deliveredIds = [...new Set(deliveries.map((e) => String(dataOf(e).productId)))];
    if (generated.length > 1 || deliveredIds.length > 1 || deliveries.length > deliveredIds.length) {
      duplicated += 1;
      problems.push(
        `duplicate: ${cycle.id} generated ${generated.length} product(s), delivered ${deliveries.length} time(s)`,
      );
    }
    const closedAbandoned = of(EventTypes.cycleAbandoned);
    if (deliveries.length === 0 && requested.length === 0 && closedAbandoned.length === 1) {
      // Faults held so many chunks past the deadline that the rule abandoned the cycle: no data
      // was lost if every chunk it missed was ingested after all (checked above) and reported late.
      abandonedByDelay += 1;
      const missing = ((dataOf(closedAbandoned[0]!).missing as string[] | undefined) ?? []).filter((slot) =>
        cycle.chunks.includes(Number(slot)),
      );
      for (const slot of missing) {
        if (!lateSlots.has(slot)) problems.push(`${cycle.id}: chunk ${slot} missed the deadline, not reported late`);
      }
      continue;
    }
    if (deliveries.length === 0) {
      problems.push(
        `lost: ${cycle.id} (${cycle.fate}) never delivered ` +
          `(${requested.length} requested, ${generated.length} generated)`,
      );
      continue;
    }
    delivered += 1;
    const first = deliveries.sort((a, b) => a.time.localeCompare(b.time))[0]!;
    deliveredProducts.set(String(dataOf(first).productId), { event: first, type: PRODUCT_TYPE });
    const times = lastUpload.get(cycle.id);
    if (times !== undefined) {
      const due =
        cycle.fate === 'degraded' ? Math.max(times.last, times.first + input.deadlineWaitSeconds * 1000) : times.last;
      const latency = (Date.parse(first.time) - due) / 1000;
      deliveryLatencies.push(latency);
      if (latency <= input.inTimeSeconds && !delayed) inTime += 1;
    }
    if (cycle.fate === 'degraded' && lateSent && of(EventTypes.inputLate).length === 0)
      problems.push(`degraded cycle ${cycle.id}: its late chunk was not reported as input.late`);
  }

  // Lightning: every sent LI file one real-time product, delivered once, in time when delivered
  // within the in-time limit of its upload (the real-time lane's promise).
  const lightning = [
    ...new Map(
      input.uploads
        .filter((u) => u.lightning !== undefined && u.expect === 'accepted' && sent(u))
        .map((u) => [u.key, u]),
    ).values(),
  ];
  let lightningDelivered = 0;
  let lightningInTime = 0;
  let lightningDuplicated = 0;
  const lightningLatencies: number[] = [];
  for (const upload of lightning) {
    const mine = byCorrelation.get(upload.lightning!.correlationId) ?? [];
    const generated = new Set(
      mine.filter((e) => e.type === EventTypes.productGenerated).map((e) => String(dataOf(e).productId)),
    );
    const deliveries = mine.filter((e) => e.type === EventTypes.productDelivered);
    const deliveredIds = new Set(deliveries.map((e) => String(dataOf(e).productId)));
    if (generated.size > 1 || deliveredIds.size > 1 || deliveries.length > deliveredIds.size) {
      lightningDuplicated += 1;
      problems.push(
        `duplicate: lightning ${upload.lightning!.correlationId} generated ${generated.size} product(s), ` +
          `delivered ${deliveries.length} time(s)`,
      );
    }
    if (deliveries.length === 0) {
      problems.push(`lost: lightning ${upload.lightning!.correlationId} never delivered (${generated.size} generated)`);
      continue;
    }
    lightningDelivered += 1;
    const first = deliveries.sort((a, b) => a.time.localeCompare(b.time))[0]!;
    deliveredProducts.set(String(dataOf(first).productId), { event: first, type: LIGHTNING_TYPE });
    const latency = (Date.parse(first.time) - input.uploadedAt.get(upload.key)!) / 1000;
    lightningLatencies.push(latency);
    if (latency <= input.inTimeSeconds) lightningInTime += 1;
  }

  // Subscribers: each delivered product announced once per subscriber (repeats of one event id
  // are SQS's at-least-once and recognizable; two ids are a duplicate), nothing withdrawn.
  const notifications: Record<string, number> = {};
  const outOfOrder: Record<string, number> = {};
  let notifiedOnce = 0;
  let notifyDuplicates = 0;
  let notifyExpected = 0;
  for (const [role, types] of Object.entries(input.subscribers)) {
    const received = await drain(sqs, stack.queues[role]!);
    notifications[role] = received.length;
    const available = groupBy(
      received.filter((e) => e.type === EventTypes.deliveryAvailable),
      (e) => String(dataOf(e).productId),
    );
    for (const e of received.filter((r) => r.type === EventTypes.deliveryWithdrawn))
      problems.push(`${role}: product ${String(dataOf(e).productId)} withdrawn`);
    for (const [productId, { type }] of deliveredProducts) {
      if (!types.includes('*') && !types.includes(type)) continue;
      notifyExpected += 1;
      const ids = new Set((available.get(productId) ?? []).map((e) => e.id));
      if (ids.size === 0) problems.push(`lost: ${role} was never notified of product ${productId}`);
      else if (ids.size > 1) {
        notifyDuplicates += 1;
        problems.push(`duplicate: ${role} notified ${ids.size} times of product ${productId}`);
      } else notifiedOnce += 1;
    }
    for (const productId of available.keys()) {
      if (!deliveredProducts.has(productId))
        problems.push(`${role} notified of product ${productId}, which was never delivered`);
    }
    // An ordered subscriber receives each stream in sensing order; a product that came after a
    // later one went is still delivered, marked late (counted, not in time).
    const lastStart = new Map<string, string>();
    const ordered = input.orderedSubscribers.includes(role) ? received : [];
    for (const event of ordered.filter((e) => e.type === EventTypes.deliveryAvailable)) {
      const data = dataOf(event) as { sequence?: { stream: string; sensingStart: string }; late?: boolean };
      if (data.sequence === undefined) continue;
      if (data.late === true) {
        outOfOrder[role] = (outOfOrder[role] ?? 0) + 1;
        continue;
      }
      const last = lastStart.get(data.sequence.stream);
      if (last !== undefined && data.sequence.sensingStart < last)
        problems.push(
          `${role}: ${data.sequence.stream} at ${data.sequence.sensingStart} received after ${last}, not marked late`,
        );
      lastStart.set(data.sequence.stream, data.sequence.sensingStart);
    }
  }

  // Distribution: the delivered products and nothing else; products bucket: no orphans.
  const distributed = groupBy(await listKeys(s3, stack.buckets.distribution!), (k) => k.split('/')[1] ?? '');
  let distributedOnce = 0;
  for (const productId of deliveredProducts.keys()) {
    if ((distributed.get(productId) ?? []).length >= 2) distributedOnce += 1;
    else
      problems.push(
        `lost: product ${productId} not (wholly) in the distribution bucket: ` +
          (distributed.get(productId) ?? []).join(', '),
      );
  }
  for (const productId of distributed.keys()) {
    if (!deliveredProducts.has(productId))
      problems.push(`orphan: distribution holds ${distributed.get(productId)!.join(', ')}`);
  }
  const generatedIds = new Set(ofType(EventTypes.productGenerated).map((e) => String(dataOf(e).productId)));
  for (const key of await listKeys(s3, stack.buckets.products!)) {
    const productId = key.slice(key.lastIndexOf('/') + 1).replace(/\.manifest\.json$|\.json$/, '');
    if (!generatedIds.has(productId)) problems.push(`orphan: products bucket holds ${key}, of no generated product`);
  }
  const archived = await listKeys(s3, stack.buckets.archive!);
  if (archived.length !== ingestedOnce)
    problems.push(`archive holds ${archived.length} objects for ${ingestedOnce} ingested files`);

  // Nothing left behind: nothing unprocessed in the inbox (ingest removes a file once archived;
  // one whose removal failed is counted apart, as `reconcile` reports it), no open multipart
  // uploads, every queue empty.
  const inbox = await listKeys(s3, stack.buckets.inbox!);
  const unprocessed = inbox.filter((key) => !ingestedByKey.has(key));
  if (unprocessed.length > 0)
    problems.push(
      `left unprocessed in the inbox: ${unprocessed.length} object(s), e.g. ${unprocessed.slice(0, 3).join(', ')}`,
    );
  for (const [role, bucket] of Object.entries(stack.buckets)) {
    if (role === 'accessLogs') continue;
    const { Uploads = [] } = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    if (Uploads.length > 0) problems.push(`open multipart uploads in ${role}: ${Uploads.map((u) => u.Key).join(', ')}`);
  }
  for (const [role, url] of Object.entries(stack.queues)) {
    if (role in input.subscribers) continue;
    const depth = await queueDepth(sqs, url);
    const total = depth.visible + depth.inFlight + depth.delayed;
    if (total > 0)
      problems.push(
        `left in queue ${role}: ${depth.visible} visible, ${depth.inFlight} in flight, ${depth.delayed} delayed`,
      );
  }

  const rows: ProductRow[] = [
    {
      type: 'file ingested (accepted uploads)',
      expected: acceptedKeys.length,
      delivered: ingestedOnce,
      inTime: ingestedOnce,
      duplicated: ingestDuplicates,
      closedLate: 0,
      lost: acceptedKeys.length - ingestedOnce,
    },
    {
      type: 'file quarantined (bad uploads)',
      expected: bad.length,
      delivered: quarantined,
      inTime: quarantined,
      duplicated: 0,
      closedLate: 0,
      lost: bad.length - quarantined,
    },
    {
      type: PRODUCT_TYPE,
      expected: expectedProducts,
      delivered,
      inTime,
      duplicated,
      closedLate: abandonedByDelay,
      lost: expectedProducts - delivered - abandonedByDelay,
    },
    {
      type: LIGHTNING_TYPE,
      expected: lightning.length,
      delivered: lightningDelivered,
      inTime: lightningInTime,
      duplicated: lightningDuplicated,
      closedLate: 0,
      lost: lightning.length - lightningDelivered,
    },
    {
      type: 'subscriber notifications',
      expected: notifyExpected,
      delivered: notifiedOnce,
      inTime: notifiedOnce,
      duplicated: notifyDuplicates,
      closedLate: 0,
      lost: notifyExpected - notifiedOnce - notifyDuplicates,
    },
    {
      type: 'distributed products',
      expected: deliveredProducts.size,
      delivered: distributedOnce,
      inTime: distributedOnce,
      duplicated: 0,
      closedLate: 0,
      lost: deliveredProducts.size - distributedOnce,
    },
    {
      type: 'cycle.abandoned reported',
      expected: abandonedExpected,
      delivered: abandonedReported,
      inTime: abandonedReported,
      duplicated: 0,
      closedLate: 0,
      lost: abandonedExpected - abandonedReported,
    },
  ];
  return {
    rows,
    problems,
    harnessFailures,
    heldBack: [...heldBack],
    deliveryLatencies,
    ingestLatencies,
    acceptedFiles: acceptedKeys.length,
    deliveredProducts: deliveredProducts.size,
    degradedByDelay,
    abandonedByDelay,
    retainedInInbox: inbox.length - unprocessed.length,
    notifications,
    outOfOrder,
    lightningLatencies,
  };
}
