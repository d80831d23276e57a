/**
 * Benchmark: is the real-time lane isolated from bulk ingestion? On the local stack, Lightning
 * Imager files are uploaded at a steady rate (one 30 s window per `intervalMs`, 30 s compressed
 * to about 1 s) for a period with no bulk work, then for the same period while 12 forecast
 * files of 1.3 GB arrive at once (12 server-side copies into the inbox, as a provider's upload
 * lands) and are ingested by the container workers. For every LI file: upload (PutObject
 * answered) -> its product's notification received from the Nowcasting FIFO queue. Per period:
 * p50, p95, p99, max, and the ratio bulk / idle of each. The run is made twice, each on a fresh
 * stack: with the local capacity model (bulk lanes and container tasks niced, see
 * local/runtime/capacity.ts) and without it.
 *
 * Elasticity, per lane: from the business event (`file.available`, its envelope time) to the
 * command reaching its lane (the SQS SentTimestamp of the command on the lane's queue, as the
 * lane's event source received it) and to the worker running (the invocation's start); for the
 * container lane, to the end of the scheduler's invocation that sent the command (an upper bound
 * of its arrival) and to the task's process running (RunTask's RUNNING).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CopyObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { parseEcmwfName } from '#shared/conventions/ecmwf.ts';
import { liCorrelationOf, liStreamOf } from '#shared/conventions/mtg-li.ts';
import { grib2Stream } from '#shared/samples/grib2-stream.ts';
import { ecmwfName, liFile } from '#shared/samples/provider-files.ts';
import { StreamedWritePartBytes, StreamedWriteQueueSize } from '#shared/storage/s3.ts';
import { readCorrelation } from '../cli/event-store.ts';
import { BulkNiceness } from '../local/runtime/capacity.ts';
import type { InvocationReport } from '../local/runtime/sqs-event-source.ts';
import { startLocalStack, type LocalStack } from '../local/stack.ts';
import { synthesize } from '../local/synth.ts';

/** 155 messages of 8 MiB: 1 300 234 240 bytes, a forecast file of the reference pipeline. */
const Forecast = { messages: 155, messageBytes: 8 * 1024 * 1024 } as const;

export interface RealtimeBenchOptions {
  /** LI files per period. */
  readonly files: number;
  /** Milliseconds between two LI uploads (a 30 s window compressed). */
  readonly intervalMs: number;
  /** Forecast files arriving at once in the bulk period. */
  readonly forecasts: number;
  readonly outDir: string;
  readonly projectRoot: string;
  /** The variants to run, in order. @default both, with the capacity model first */
  readonly variants?: readonly Variant[];
}

export type Variant = 'with capacity model' | 'without';

interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

interface LaneElasticity {
  readonly lane: string;
  readonly n: number;
  /** Median ms from file.available to the command on the lane. */
  readonly toLaneMs: number;
  /** Median ms from file.available to the worker running it. */
  readonly toWorkerMs: number;
  readonly toWorkerMaxMs: number;
}

export interface VariantReport {
  readonly variant: Variant;
  readonly idle: Percentiles;
  readonly bulk: Percentiles;
  readonly forecastsIngestedInPeriod: number;
  readonly elasticity: readonly LaneElasticity[];
  readonly loadAverage: readonly number[];
}

export interface RealtimeBenchReport {
  readonly options: Omit<RealtimeBenchOptions, 'outDir' | 'projectRoot'>;
  readonly variants: readonly VariantReport[];
  readonly markdown: string;
}

const progress = (line: string): void => {
  process.stderr.write(`realtime: ${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of sorted values. */
const rank = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: rank(sorted, 50), p95: rank(sorted, 95), p99: rank(sorted, 99), max: sorted.at(-1)! };
}
const median = (values: readonly number[]): number =>
  rank(
    [...values].sort((a, b) => a - b),
    50,
  );

/** Runs the benchmark; every variant on a fresh stack, one after the other. */
export async function benchRealtime(options: RealtimeBenchOptions): Promise<RealtimeBenchReport> {
  mkdirSync(options.outDir, { recursive: true });
  const assembly = mkdtempSync(join(options.outDir, 'assembly-realtime-'));
  try {
    progress('synthesizing the CDK app');
    const { stackName, outdir } = await synthesize(assembly);
    const variants: VariantReport[] = [];
    for (const variant of options.variants ?? (['with capacity model', 'without'] as const)) {
      variants.push(await runVariant(variant, { ...options, stackName, cdkOut: outdir }));
    }
    const { outDir: _o, projectRoot: _p, ...rest } = options;
    return { options: rest, variants, markdown: format(variants, options) };
  } finally {
    rmSync(assembly, { recursive: true, force: true });
  }
}

async function runVariant(
  variant: Variant,
  options: RealtimeBenchOptions & { stackName: string; cdkOut: string },
): Promise<VariantReport> {
  const stateDir = mkdtempSync(join(options.outDir, 'state-realtime-'));
  const invocations: InvocationReport[] = [];
  const tasks: { taskArn: string; status: string; at: number }[] = [];
  let stack: LocalStack | undefined;
  try {
    progress(`${variant}: starting a local stack`);
    stack = await startLocalStack({
      cdkOut: options.cdkOut,
      stackName: options.stackName,
      projectRoot: options.projectRoot,
      describe: false,
      stateDir,
      bulkNiceness: variant === 'without' ? 0 : BulkNiceness,
      onInvocation: (r) => invocations.push(r),
      onTaskEvent: (e) => tasks.push(e),
    });
    const d = stack.description;
    const config = { region: d.region, credentials: d.credentials };
    const s3 = new S3Client({ ...config, endpoint: d.endpoints.s3!, forcePathStyle: true });
    const sqs = new SQSClient({ ...config, endpoint: d.endpoints.sqs! });
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, endpoint: d.endpoints.dynamodb! }));
    const inbox = d.buckets.inbox!;
    const nowcasting = d.queues.subscriberNowcasting!;

    // The forecast, staged once outside the inbox; each arrival is a server-side copy of it.
    const staged = { bucket: d.buckets.products!, key: 'bench/realtime/forecast.grib2' };
    progress(`${variant}: staging a 1.3 GB forecast file`);
    await new Upload({
      client: s3,
      params: { Bucket: staged.bucket, Key: staged.key, Body: grib2Stream({ ...Forecast, seed: 21 }).stream },
      partSize: StreamedWritePartBytes,
      queueSize: StreamedWriteQueueSize,
    }).done();

    // What the Nowcasting queue delivers, by window start: received at.
    const delivered = new Map<string, number>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: nowcasting, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const at = Date.now();
        for (const m of Messages) {
          const event = JSON.parse(m.Body ?? '{}') as CometEvent<typeof EventTypes.deliveryAvailable>;
          const start = event.data?.sequence?.sensingStart;
          if (event.type === EventTypes.deliveryAvailable && start !== undefined && !delivered.has(start))
            delivered.set(start, at);
        }
        if (Messages.length > 0)
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: nowcasting,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
      }
    })();

    // One stream, windows back to back from a minute ago; the first one sets the stream's head.
    const first = Math.floor((Date.now() - 60_000) / 30_000) * 30_000 - (2 * options.files + 1) * 30_000;
    const windowAt = (i: number): Date => new Date(first + i * 30_000);
    const uploads = new Map<string, { at: number; period: 'idle' | 'bulk' }>();
    const uploadWindow = async (i: number, period: 'idle' | 'bulk'): Promise<void> => {
      const file = liFile('LFL', windowAt(i), 16 * 1024, 'MTI1');
      await s3.send(new PutObjectCommand({ Bucket: inbox, Key: file.key, Body: file.body }));
      uploads.set(windowAt(i).toISOString(), { at: Date.now(), period });
    };
    const waitDelivered = async (from: number, to: number): Promise<void> => {
      const deadline = Date.now() + 600_000;
      for (let i = from; i < to; i += 1) {
        while (!delivered.has(windowAt(i).toISOString())) {
          if (Date.now() > deadline) throw new Error(`window ${windowAt(i).toISOString()} was not delivered in time`);
          await sleep(200);
        }
      }
    };
    const steady = async (from: number, period: 'idle' | 'bulk'): Promise<void> => {
      const start = Date.now();
      const pending: Promise<void>[] = [];
      for (let i = 0; i < options.files; i += 1) {
        await sleep(Math.max(0, start + i * options.intervalMs - Date.now()));
        pending.push(uploadWindow(from + i, period));
      }
      await Promise.all(pending);
    };

    progress(`${variant}: priming the stream`);
    await uploadWindow(0, 'idle');
    await waitDelivered(0, 1);
    uploads.clear();

    progress(`${variant}: idle period, ${options.files} LI files`);
    await steady(1, 'idle');
    await waitDelivered(1, 1 + options.files);

    progress(`${variant}: bulk period, ${options.files} LI files while ${options.forecasts} forecasts arrive`);
    const analysis = new Date(Date.UTC(2026, 10, 22, 0));
    const forecastKeys = Array.from({ length: options.forecasts }, (_, i) => `ecmwf/${ecmwfName(analysis, 6 * i)}`);
    const periodStart = Date.now();
    const copies = forecastKeys.map((key) =>
      s3.send(new CopyObjectCommand({ Bucket: inbox, Key: key, CopySource: `${staged.bucket}/${staged.key}` })),
    );
    await steady(1 + options.files, 'bulk');
    await waitDelivered(1 + options.files, 1 + 2 * options.files);
    const periodEnd = Date.now();
    const loadAverage = loadavg();
    await Promise.all(copies);
    reading = false;
    await reader;

    const forecastCorrelation = `forecast-${parseEcmwfName(forecastKeys[0]!.slice('ecmwf/'.length), new Date()).analysisTime}`;
    const ingested = (await readCorrelation(documents, d.tables.eventStore!, forecastCorrelation).catch(() => []))
      .map((s) => s.event)
      .filter((e) => e.type === EventTypes.fileIngested && Date.parse(e.time) <= periodEnd);

    const latencies = (period: 'idle' | 'bulk'): number[] =>
      [...uploads.entries()].filter(([, u]) => u.period === period).map(([start, u]) => delivered.get(start)! - u.at);
    const elasticity = await elasticityOf(documents, d.tables.eventStore!, {
      windows: [...uploads.keys()],
      forecastCorrelation,
      invocations,
      tasks,
      since: periodStart,
    });
    return {
      variant,
      idle: percentiles(latencies('idle')),
      bulk: percentiles(latencies('bulk')),
      forecastsIngestedInPeriod: ingested.length,
      elasticity,
      loadAverage,
    };
  } finally {
    progress(`${variant}: stopping the stack and removing its data`);
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Elasticity per lane, from the event store (business events, commands) and the runtime's reports. */
async function elasticityOf(
  documents: DynamoDBDocumentClient,
  table: string,
  input: {
    windows: readonly string[];
    forecastCorrelation: string;
    invocations: readonly InvocationReport[];
    tasks: readonly { taskArn: string; status: string; at: number }[];
    since: number;
  },
): Promise<LaneElasticity[]> {
  // Every record a lane's function received: command id -> (lane queue sent at, worker start).
  const received = new Map<string, { sentAt: number; startedAt: number; endedAt: number; functionName: string }>();
  for (const r of input.invocations) {
    for (const m of r.messages ?? []) {
      if (m.eventId === undefined || received.has(m.eventId)) continue;
      received.set(m.eventId, {
        sentAt: m.sentAt ?? Number.NaN,
        startedAt: r.startedAt ?? Number.NaN,
        endedAt: (r.startedAt ?? Number.NaN) + (r.durationMs ?? 0),
        functionName: r.functionName,
      });
    }
  }
  const correlations = [
    ...input.windows.map((start) => liCorrelationOf({ stream: liStreamOf('MTI1', 'LFL'), sensingStart: start })),
    input.forecastCorrelation,
  ];
  const samples = new Map<string, { toLane: number[]; toWorker: number[] }>();
  const add = (lane: string, toLane: number, toWorker: number): void => {
    const entry = samples.get(lane) ?? { toLane: [], toWorker: [] };
    if (Number.isFinite(toLane)) entry.toLane.push(toLane);
    if (Number.isFinite(toWorker)) entry.toWorker.push(toWorker);
    samples.set(lane, entry);
  };
  const running = input.tasks.filter((t) => t.status === 'RUNNING').map((t) => t.at);
  for (const correlationId of correlations) {
    const events = (await readCorrelation(documents, table, correlationId)).map((s) => s.event);
    const byId = new Map(events.map((e) => [e.id, e]));
    // The root business event of a command: follow causation ids up to a file.available.
    const rootOf = (event: CometEvent): CometEvent | undefined => {
      let current: CometEvent | undefined = event;
      for (let hops = 0; current !== undefined && hops < 10; hops += 1) {
        if (current.type === EventTypes.fileAvailable) return current;
        current = current.causationid === current.id ? undefined : byId.get(current.causationid);
      }
      return undefined;
    };
    const commands = events.filter(
      (e) => e.type === EventTypes.ingestRequested || e.type === EventTypes.processingRequested,
    );
    for (const command of commands) {
      const root = rootOf(command);
      if (root === undefined) continue;
      const t0 = Date.parse(root.time);
      const seen = received.get(command.id);
      if (seen !== undefined) {
        const lane = `${command.type === EventTypes.ingestRequested ? 'ingest' : 'process'} (${command.priority ?? 'realtime'})`;
        add(lane, seen.sentAt - t0, seen.startedAt - t0);
        continue;
      }
      // Not received by a Lambda: the container lane. The scheduler sent it during the
      // invocation that received the business event; the worker ran when its task did.
      const scheduled = received.get(root.id);
      const task = running.filter((at) => at >= t0).sort((a, b) => a - b)[0];
      add('ingest-container (bulk)', (scheduled?.endedAt ?? Number.NaN) - t0, (task ?? Number.NaN) - t0);
    }
  }
  return [...samples.entries()].map(([lane, s]) => ({
    lane,
    n: Math.max(s.toLane.length, s.toWorker.length),
    toLaneMs: s.toLane.length === 0 ? Number.NaN : median(s.toLane),
    toWorkerMs: s.toWorker.length === 0 ? Number.NaN : median(s.toWorker),
    toWorkerMaxMs: s.toWorker.length === 0 ? Number.NaN : Math.max(...s.toWorker),
  }));
}

const ms = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)}` : 'n/a');
const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');

function format(variants: readonly VariantReport[], options: RealtimeBenchOptions): string {
  const lines = [
    '## realtime: LI latency with and without bulk ingestion (`bench/realtime.ts`)',
    '',
    `${options.files} LI files per period, one every ${options.intervalMs} ms; bulk period: ${options.forecasts} forecast files of 1.3 GB arriving at once. Upload -> Nowcasting notification, ms.`,
    '',
    '| variant | period | n | p50 | p95 | p99 | max | forecasts ingested in the period | load average (1/5/15 min) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const v of variants) {
    const load = v.loadAverage.map((l) => l.toFixed(1)).join(' / ');
    lines.push(
      `| ${v.variant} | idle | ${v.idle.n} | ${v.idle.p50} | ${v.idle.p95} | ${v.idle.p99} | ${v.idle.max} | - | |`,
    );
    lines.push(
      `| ${v.variant} | bulk | ${v.bulk.n} | ${v.bulk.p50} | ${v.bulk.p95} | ${v.bulk.p99} | ${v.bulk.max} | ${v.forecastsIngestedInPeriod} of ${options.forecasts} | ${load} |`,
    );
    lines.push(
      `| ${v.variant} | **bulk / idle** | | ${ratio(v.bulk.p50, v.idle.p50)} | ${ratio(v.bulk.p95, v.idle.p95)} | **${ratio(v.bulk.p99, v.idle.p99)}** | ${ratio(v.bulk.max, v.idle.max)} | | |`,
    );
  }
  lines.push(
    '',
    'Elasticity: from `file.available` to the command on its lane and to the worker running (median ms; max).',
    '',
  );
  lines.push('| variant | lane | n | to the lane | to the worker | to the worker, max |', '|---|---|---|---|---|---|');
  for (const v of variants)
    for (const e of v.elasticity)
      lines.push(
        `| ${v.variant} | ${e.lane} | ${e.n} | ${ms(e.toLaneMs)} | ${ms(e.toWorkerMs)} | ${ms(e.toWorkerMaxMs)} |`,
      );
  return lines.join('\n');
}
