/**
 * Benchmark: the container worker ingesting a 1.3 GB GRIB2-shaped file on the local stack.
 *
 * - **Memory**: resident memory of the worker process (a child process started through the
 *   local ECS RunTask, on the bundle the image holds) before the file and at its peak
 *   (`VmHWM` in /proc/<pid>/status), so the growth the file causes; also sampled every 50 ms.
 * - **Throughput**: the worker's own processing time of the file (receive to delete: checksum,
 *   GRIB2 check, multipart upload, catalog, publish) against a plain lib-storage multipart copy
 *   of the same object to the same emulator (bench/multipart-copy.ts, its own process), in
 *   pairs, in the same run; the ratio is the median of the per-pair ratios.
 * - **Wake-up**: the file copied into the inbox as a provider's upload; from its
 *   `file.available` event to the scheduler's RunTask, to the worker process running, to the
 *   worker ready (its "worker started" log line).
 *
 * The measured files sit outside the inbox and their commands go straight to the worker's
 * queue, so that intake and the scheduler do not start a second worker beside the measured one.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CopyObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ECSClient, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { Upload } from '@aws-sdk/lib-storage';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { Env } from '#shared/config.ts';
import { parseEcmwfName } from '#shared/conventions/ecmwf.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { grib2Stream } from '#shared/samples/grib2-stream.ts';
import { ecmwfName } from '#shared/samples/provider-files.ts';
import { StreamedWritePartBytes, StreamedWriteQueueSize } from '#shared/storage/s3.ts';
import { runTaskInputOf } from '../local/stack-description.ts';
import { startLocalStack, type LocalStack } from '../local/stack.ts';
import { synthesize } from '../local/synth.ts';
import { procStatusKiB } from './proc.ts';
import { median, summarize, type Summary } from './stats.ts';

/** 155 messages of 8 MiB: 1 300 234 240 bytes, a forecast file of the reference pipeline. */
const File = { messages: 155, messageBytes: 8 * 1024 * 1024 } as const;
/** A quarter of it, to show that memory does not follow the file's size. */
const SmallFile = { messages: 39, messageBytes: 8 * 1024 * 1024 } as const;

export interface ContainerIngestOptions {
  /** Measured pairs (ingest, copy). */
  readonly pairs: number;
  readonly outDir: string;
  readonly projectRoot: string;
}

interface IngestSample {
  readonly ms: number;
  readonly baselineKiB: number;
  readonly peakKiB: number;
  readonly sampledPeakKiB: number;
}
interface CopySample {
  readonly ms: number;
  readonly baselineKiB: number;
  readonly peakKiB: number;
}

export interface ContainerIngestReport {
  readonly bytes: number;
  readonly ingest: readonly IngestSample[];
  /** One ingest of the quarter-size file. */
  readonly small: IngestSample & { readonly bytes: number };
  readonly copy: readonly CopySample[];
  readonly ratios: readonly number[];
  readonly wake: {
    availableToRunTaskMs: number;
    runTaskToRunningMs: number;
    runningToReadyMs: number;
    availableToReadyMs: number;
    ingestMs: number;
  };
  readonly markdown: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (line: string): void => {
  process.stderr.write(`container-ingest: ${line}\n`);
};

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  throw new Error(`container-ingest: timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** JSON log lines of a task (the worker logs with Powertools, one JSON object per line). */
function taskLog(logDir: string, family: string, taskArn: string): Record<string, unknown>[] {
  try {
    return readFileSync(join(logDir, `${family}-${taskArn.slice(taskArn.lastIndexOf('/') + 1)}.log`), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  } catch {
    return [];
  }
}

/** Runs the benchmark and returns its report. */
export async function benchContainerIngest(options: ContainerIngestOptions): Promise<ContainerIngestReport> {
  mkdirSync(options.outDir, { recursive: true });
  const assembly = mkdtempSync(join(options.outDir, 'assembly-container-'));
  const stateDir = mkdtempSync(join(options.outDir, 'state-container-'));
  const taskEvents: { taskArn: string; status: string; at: number; detail?: string }[] = [];
  let stack: LocalStack | undefined;
  try {
    progress('synthesizing and starting the local stack');
    const { stackName, outdir } = await synthesize(assembly);
    stack = await startLocalStack({
      cdkOut: outdir,
      stackName,
      projectRoot: options.projectRoot,
      describe: false,
      stateDir,
      onTaskEvent: (e) => taskEvents.push(e),
    });
    const d = stack.description;
    const worker = d.workers?.ingest;
    if (worker === undefined) throw new Error('The stack describes no ingest worker (WorkerIngest output)');
    const config = { region: d.region, credentials: d.credentials };
    const s3 = new S3Client({ ...config, endpoint: d.endpoints.s3!, forcePathStyle: true });
    const sqs = new SQSClient({ ...config, endpoint: d.endpoints.sqs! });
    const ecs = new ECSClient({ ...config, endpoint: d.endpoints.ecs! });
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, endpoint: d.endpoints.dynamodb! }));
    const logDir = stack.logDir;

    const stopTask = async (taskArn: string): Promise<void> => {
      await ecs.send(new StopTaskCommand({ cluster: worker.cluster, task: taskArn, reason: 'bench: done' }));
      await until(
        `task ${taskArn} stopped`,
        () => (taskEvents.some((e) => e.taskArn === taskArn && e.status === 'STOPPED') ? true : undefined),
        120_000,
      );
    };

    // The measured file, outside the inbox.
    const sourceBucket = d.buckets.products!;
    const sourceKey = 'bench/container-ingest/forecast.grib2';
    const file = grib2Stream({ ...File, seed: 13 });
    progress(`uploading a ${(file.size / 1e9).toFixed(2)} GB GRIB2-shaped file`);
    await new Upload({
      client: s3,
      params: { Bucket: sourceBucket, Key: sourceKey, Body: file.stream },
      partSize: StreamedWritePartBytes,
      queueSize: StreamedWriteQueueSize,
    }).done();
    const etagOf = async (key: string): Promise<string> =>
      ((await s3.send(new HeadObjectCommand({ Bucket: sourceBucket, Key: key }))).ETag ?? '').replaceAll('"', '');
    const etag = await etagOf(sourceKey);
    const smallKey = 'bench/container-ingest/forecast-small.grib2';
    const small = grib2Stream({ ...SmallFile, seed: 14 });
    await new Upload({
      client: s3,
      params: { Bucket: sourceBucket, Key: smallKey, Body: small.stream },
      partSize: StreamedWritePartBytes,
      queueSize: StreamedWriteQueueSize,
    }).done();
    const smallEtag = await etagOf(smallKey);

    // Wake-up, through the pipeline: the file lands in the inbox (a server-side copy, as a
    // provider's upload completing); intake, the scheduler and RunTask follow.
    const now = new Date();
    const analysis = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const name = ecmwfName(analysis, 6);
    progress('wake-up: the file arrives in the inbox');
    await s3.send(
      new CopyObjectCommand({
        Bucket: d.buckets.inbox,
        Key: `ecmwf/${name}`,
        CopySource: `${sourceBucket}/${sourceKey}`,
      }),
    );
    const correlationId = `forecast-${analysis.toISOString()}`;
    const eventsOf = async (type: string): Promise<CometEvent[]> => {
      const page = await documents.send(
        new QueryCommand({
          TableName: d.tables.eventStore,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': correlationId },
          ConsistentRead: true,
        }),
      );
      return (page.Items ?? [])
        .filter((i) => typeof i.event === 'string')
        .map((i) => JSON.parse(i.event as string) as CometEvent)
        .filter((e) => e.type === type);
    };
    const [ingested] = await until(
      'file.ingested of the woken worker',
      async () => {
        const e = await eventsOf(EventTypes.fileIngested);
        return e.length > 0 ? e : undefined;
      },
      300_000,
      500,
    );
    const [available] = await eventsOf(EventTypes.fileAvailable);
    const [command] = await eventsOf(EventTypes.ingestRequested);
    const provisioning = taskEvents.find((e) => e.status === 'PROVISIONING')!;
    const running = taskEvents.find((e) => e.taskArn === provisioning.taskArn && e.status === 'RUNNING')!;
    const wokenLog = taskLog(logDir, worker.family, provisioning.taskArn);
    const ready = Date.parse(String(wokenLog.find((l) => l.message === 'worker started')?.timestamp));
    const processed = wokenLog.find((l) => l.message === 'message processed');
    const availableAt = Date.parse(available!.time);
    const wake = {
      availableToRunTaskMs: provisioning.at - availableAt,
      runTaskToRunningMs: running.at - provisioning.at,
      runningToReadyMs: ready - running.at,
      availableToReadyMs: ready - availableAt,
      ingestMs: Number(processed?.ms ?? Number.NaN),
    };
    if ((ingested as CometEvent<typeof EventTypes.fileIngested>).data.ingested.sha256 !== (await file.sha256))
      throw new Error('container-ingest: the woken worker archived other bytes than the file');
    if (!wokenLog.some((l) => l.message === 'worker started' && l.wokenBy === command!.id))
      throw new Error('container-ingest: the woken worker does not name the command that woke it');
    await stopTask(provisioning.taskArn);

    const ingestOnce = async (
      run: number,
      source = { key: sourceKey, size: file.size, etag },
    ): Promise<IngestSample> => {
      const started = await ecs.send(
        new RunTaskCommand(runTaskInputOf(worker, 'cometflow-bench', { [Env.workerIdleSeconds]: '600' })),
      );
      const taskArn = started.tasks![0]!.taskArn!;
      const pid = Number(
        /pid (\d+)/.exec(
          (await until(
            'the worker running',
            () => taskEvents.find((e) => e.taskArn === taskArn && e.status === 'RUNNING'),
            30_000,
          ))!.detail ?? '',
        )![1],
      );
      await until(
        'the worker ready',
        () => (taskLog(logDir, worker.family, taskArn).some((l) => l.message === 'worker started') ? true : undefined),
        30_000,
      );
      // Settled: SDK clients built, the first long poll waiting.
      await sleep(1500);
      const baselineKiB = procStatusKiB(pid, 'VmRSS');
      const attributes = parseEcmwfName(name, new Date());
      const benchCommand = wrap({
        type: EventTypes.ingestRequested,
        source: 'bench/container-ingest',
        correlationId: `bench-container-ingest-${run}`,
        id: `bench-container-ingest-${Date.now()}-${run}`,
        subject: source.key,
        data: {
          file: { bucket: sourceBucket, key: source.key, size: source.size, etag: source.etag },
          provider: 'ecmwf',
          name,
          attributes,
        },
      });
      await sqs.send(
        new SendMessageCommand({ QueueUrl: d.queues.ingestContainer, MessageBody: JSON.stringify(benchCommand) }),
      );
      let sampledPeakKiB = baselineKiB;
      const line = await until(
        'the file processed',
        () => {
          sampledPeakKiB = Math.max(sampledPeakKiB, procStatusKiB(pid, 'VmRSS'));
          return taskLog(logDir, worker.family, taskArn).find((l) => l.message === 'message processed');
        },
        600_000,
        50,
      );
      if (line.outcome !== 'ingested')
        throw new Error(`container-ingest: the worker's outcome was ${String(line.outcome)}; expected ingested`);
      const peakKiB = procStatusKiB(pid, 'VmHWM');
      await stopTask(taskArn);
      return { ms: Number(line.ms), baselineKiB, peakKiB, sampledPeakKiB };
    };

    const copyOnce = async (): Promise<CopySample> => {
      const request = {
        endpoint: d.endpoints.s3,
        region: d.region,
        credentials: d.credentials,
        bucket: sourceBucket,
        key: sourceKey,
        toBucket: d.buckets.archive,
        toKey: 'bench/container-ingest/copy.grib2',
      };
      const child = spawn(
        process.execPath,
        [join(options.projectRoot, 'bench', 'multipart-copy.ts'), JSON.stringify(request)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      if (code !== 0) throw new Error(`container-ingest: the multipart copy exited with ${code}`);
      return JSON.parse(output.trim()) as CopySample;
    };

    progress(`memory at a quarter of the size: ingest of ${(small.size / 1e9).toFixed(2)} GB`);
    const smallSample = {
      ...(await ingestOnce(-1, { key: smallKey, size: small.size, etag: smallEtag })),
      bytes: small.size,
    };
    const ingest: IngestSample[] = [];
    const copy: CopySample[] = [];
    for (let pair = 0; pair < options.pairs; pair += 1) {
      // Alternating which goes first spreads the machine's drift over both variants.
      const order = pair % 2 === 0 ? ['ingest', 'copy'] : ['copy', 'ingest'];
      for (const variant of order) {
        progress(`pair ${pair + 1}/${options.pairs}: ${variant}`);
        if (variant === 'ingest') ingest.push(await ingestOnce(pair));
        else copy.push(await copyOnce());
      }
    }
    const ratios = ingest.map((sample, i) => copy[i]!.ms / sample.ms);
    const report = { bytes: file.size, ingest, small: smallSample, copy, ratios, wake };
    return { ...report, markdown: format(report) };
  } finally {
    await stack?.stop();
    rmSync(assembly, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function format(report: Omit<ContainerIngestReport, 'markdown'>): string {
  const mbps = (ms: number): number => report.bytes / 1e6 / (ms / 1000);
  const mib = (kib: number): string => (kib / 1024).toFixed(1);
  const ingestRate: Summary = summarize(report.ingest.map((s) => mbps(s.ms)));
  const copyRate: Summary = summarize(report.copy.map((s) => mbps(s.ms)));
  const growth = report.ingest.map((s) => (s.peakKiB - s.baselineKiB) / 1024);
  const copyGrowth = report.copy.map((s) => (s.peakKiB - s.baselineKiB) / 1024);
  const ratio = median(report.ratios);
  const worstGrowth = Math.max(...growth);
  const row = (
    name: string,
    rate: Summary,
    samples: readonly { baselineKiB: number; peakKiB: number }[],
    grown: number[],
  ): string =>
    `| ${name} | ${rate.median.toFixed(1)} (${rate.min.toFixed(1)}–${rate.max.toFixed(1)}) | ${mib(median(samples.map((s) => s.baselineKiB)))} | ${mib(Math.max(...samples.map((s) => s.peakKiB)))} | ${Math.max(...grown).toFixed(1)} |`;
  const s = (ms: number): string => (ms / 1000).toFixed(2);
  return [
    `## Container ingest of a ${(report.bytes / 1e9).toFixed(2)} GB GRIB2 file on the local stack`,
    '',
    `${report.ingest.length} pairs, alternating: the ingest worker (a child process started by the local ECS RunTask, on the`,
    'bundle the image holds: SHA-256, GRIB2 structure, streamed multipart upload of 8 MiB parts, 4 in flight, catalog,',
    'file.ingested) and a plain lib-storage multipart copy of the same object with the same part size and queue size',
    '(its own process), both against the same S3 emulator. Memory from /proc/<pid>/status: VmRSS before the file,',
    "VmHWM (the process's peak) after it.",
    '',
    '| variant | MB/s, median (min–max) | RSS before (MiB) | peak RSS (MiB) | growth (MiB), worst |',
    '|---|---:|---:|---:|---:|',
    row('ingest worker', ingestRate, report.ingest, growth),
    row('plain multipart copy', copyRate, report.copy, copyGrowth),
    '',
    `- throughput ingest / copy: **${ratio.toFixed(2)}** (median of the per-pair ratios ${report.ratios.map((r) => r.toFixed(2)).join(', ')}; goal at least 0.8)`,
    `- memory growth of the worker over its baseline: **${worstGrowth.toFixed(1)} MiB** at worst (goal at most 128 MiB; sampled every 50 ms: ${Math.max(...report.ingest.map((x) => (x.sampledPeakKiB - x.baselineKiB) / 1024)).toFixed(1)} MiB); for a file a quarter of the size (${(report.small.bytes / 1e9).toFixed(2)} GB): ${((report.small.peakKiB - report.small.baselineKiB) / 1024).toFixed(1)} MiB`,
    `- wake-up through the pipeline: file.available → RunTask ${s(report.wake.availableToRunTaskMs)} s → process running ${s(report.wake.runTaskToRunningMs)} s → worker ready ${s(report.wake.runningToReadyMs)} s: **${s(report.wake.availableToReadyMs)} s** from file.available to a worker polling (Fargate adds its 30 to 90 s of provisioning and image pull); that worker ingested the file in ${s(report.wake.ingestMs)} s`,
  ].join('\n');
}
