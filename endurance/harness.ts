/**
 * The endurance run: starts the local stack with fault proxies and crash injection, drives a
 * compressed facility day into it through the S3 API, injects faults while the traffic runs
 * (AWS API errors, resets and latency; crashed and hanging environments; early redelivery;
 * endpoint outages; container workers killed and stopped), then settles, redrives every
 * dead-letter queue once with the CLI, settles again and takes the account through AWS APIs.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ListTasksCommand, StopTaskCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { EventTypes } from '#events/registry.ts';
import { subscribers as subscriberSettings } from '../infra/cdk/subscribers.ts';
import { deadLetterQueues, queueDepth } from '../cli/dlq.ts';
import { Chaos } from '../local/faults/chaos.ts';
import type { FaultRule, OperationCount } from '../local/faults/proxy.ts';
import { startLocalStack, type LocalStack } from '../local/stack.ts';
import { writeDescription, type StackDescription } from '../local/stack-description.ts';
import { synthesize } from '../local/synth.ts';
import { readEventStore, takeAccount, type Account } from './account.ts';
import { costOf, type CostReport, type InvocationTotals } from './cost.ts';
import { planTraffic, type PlannedUpload } from './traffic.ts';

/** Options of a run; `--help` of `npm run endurance` documents each. */
export interface EnduranceOptions {
  readonly minutes: number;
  readonly compression: number;
  /** Base rate of AWS API faults per request (throttling; server errors, resets and latency derive from it). */
  readonly faultRate: number;
  readonly crashRate: number;
  readonly hangRate: number;
  readonly earlyRedeliveryRate: number;
  readonly crashTargets: readonly string[];
  readonly outageEverySeconds: number;
  readonly outageSeconds: number;
  readonly chunkBytes: number;
  readonly forecastBytes: number;
  /** Forecast sets (from the first) of `forecastBytes`; later ones are 6 MiB. */
  readonly largeSets: number;
  /** Lightning Imager streams, one file per compressed 30 s window each (0: none). */
  readonly lightningStreams: number;
  readonly settleMinutes: number;
  readonly inTimeSeconds: number;
  readonly seed: number;
  readonly faults: boolean;
}

/** Faults injected, by kind. */
export type FaultTally = Record<string, number>;

/** What a run reports. */
export interface EnduranceReport {
  readonly startedAt: string;
  readonly options: EnduranceOptions;
  readonly uploads: {
    readonly planned: number;
    readonly accepted: number;
    readonly duplicates: number;
    readonly bad: number;
    readonly cycles: number;
  };
  readonly account: Account;
  readonly faults: FaultTally;
  readonly deadLetters: {
    readonly beforeRedrive: Record<string, number>;
    readonly afterRedrive: Record<string, number>;
    readonly redriven: number;
  };
  readonly latencies: {
    readonly deliveryP50: number;
    readonly deliveryP99: number;
    readonly ingestP50: number;
    readonly ingestP99: number;
    readonly lightningP50: number;
    readonly lightningP99: number;
  };
  readonly calls: Record<string, number>;
  readonly cost: CostReport;
  readonly seconds: { readonly traffic: number; readonly settle: number; readonly total: number };
  readonly ok: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The part size of a streamed upload: 8 MiB, 166 parts for 1.3 GB (S3 allows 10,000). The local S3
 * (fauxqs) refuses a request body over 11 MiB with HTTP 413, which the SDK surfaces as an XML
 * "Deserialization error": 16 MiB parts made every 1.3 GB upload fail.
 */
export const StreamedPartBytes = 8 * 1024 * 1024;

/** The p-quantile of values (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** The proxy rules of a base fault rate. */
export function faultRules(rate: number): FaultRule[] {
  if (rate <= 0) return [];
  return [
    { kind: 'throttle', rate },
    { kind: 'server-error', rate: rate / 2 },
    { kind: 'reset', rate: rate / 4 },
    { kind: 'reset-after', rate: rate / 4 },
    { kind: 'latency', rate, latencyMs: 1500 },
  ];
}

/** A past day no other run is likely to use, so its deadlines are the scheduler's minimum wait. */
function pastDay(seed: number): string {
  const date = new Date(Date.now() - (30 + (seed % 100)) * 86_400_000);
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

/** Runs `npm run cometflow -- dlq --redrive --queue <role>` against the run's stack. */
function cliRedrive(
  projectRoot: string,
  descriptionFile: string,
  role: string,
  print: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'cli', 'cometflow.ts'), 'dlq', '--redrive', '--queue', role, '--stack', descriptionFile],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      for (const line of output.trim().split('\n')) if (line !== '') print(`    cli: ${line}`);
      if (code === 0) resolve();
      else reject(new Error(`cometflow dlq --redrive --queue ${role} exited with ${code}: ${output}`));
    });
  });
}

/** Runs the endurance run; prints progress with `print`. */
export async function runEndurance(
  projectRoot: string,
  options: EnduranceOptions,
  print: (line: string) => void,
): Promise<EnduranceReport> {
  const t0 = Date.now();
  // A folder of its own: two runs on one checkout (the suite's and a long one) keep their
  // bundles, logs and description apart.
  const stateDir = join(projectRoot, '.cometflow', `endurance-${process.pid}`);
  mkdirSync(stateDir, { recursive: true });
  print('synthesizing the CDK app');
  const { stackName, outdir } = await synthesize(join(stateDir, 'cdk.out'));
  const chaos = new Chaos({
    rates: options.faults
      ? { crash: options.crashRate, hang: options.hangRate, earlyRedelivery: options.earlyRedeliveryRate }
      : { crash: 0, hang: 0, earlyRedelivery: 0 },
    crashTargets: options.crashTargets,
    seed: options.seed,
  });
  const invocations = new Map<string, InvocationTotals>();
  const stack: LocalStack = await startLocalStack({
    cdkOut: outdir,
    stackName,
    projectRoot,
    describe: false,
    stateDir,
    faults: { seed: options.seed, chaos },
    onInvocation: (r) => {
      const totals = invocations.get(r.functionName) ?? { invocations: 0, milliseconds: 0 };
      invocations.set(r.functionName, {
        invocations: totals.invocations + 1,
        milliseconds: totals.milliseconds + (r.durationMs ?? 0),
      });
    },
  });
  const description = stack.description;
  const descriptionFile = join(stateDir, 'local-stack.json');
  writeDescription(descriptionFile, description);
  print(`local stack up in ${stack.timings.total} s; logs in ${stack.logDir}`);
  try {
    return await drive(projectRoot, options, print, stack, description, descriptionFile, chaos, invocations, t0);
  } finally {
    await stack.stop();
    // The bundles are rebuilt by every run; the logs stay for reading.
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function drive(
  projectRoot: string,
  options: EnduranceOptions,
  print: (line: string) => void,
  stack: LocalStack,
  description: StackDescription,
  descriptionFile: string,
  chaos: Chaos,
  invocations: Map<string, InvocationTotals>,
  t0: number,
): Promise<EnduranceReport> {
  const config = { region: description.region, credentials: { ...description.credentials } };
  const s3 = new S3Client({ ...config, endpoint: description.endpoints.s3, forcePathStyle: true });
  const sqs = new SQSClient({ ...config, endpoint: description.endpoints.sqs });
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...config, endpoint: description.endpoints.dynamodb }),
  );
  const sfn = new SFNClient({ ...config, endpoint: description.endpoints.stepfunctions });
  const ecs = new ECSClient({ ...config, endpoint: description.endpoints.ecs });
  const proxies = stack.faults!.proxies;
  const faults: FaultTally = { outageDynamoDb: 0, outageS3Sqs: 0, containerSigkill: 0, containerStopTask: 0 };

  const plan = planTraffic({
    durationMs: options.minutes * 60_000,
    compression: options.compression,
    chunkBytes: options.chunkBytes,
    forecastBytes: options.forecastBytes,
    largeSets: options.largeSets,
    lightningStreams: options.lightningStreams,
    day: pastDay(options.seed),
    seed: options.seed,
  });
  const planned = plan.uploads;
  print(
    `traffic: ${plan.cycles.length} repeat cycles (${plan.cycles.map((c) => c.fate[0]).join('')}), ` +
      `${planned.length} uploads (${planned.filter((u) => u.expect === 'duplicate').length} duplicates, ` +
      `${planned.filter((u) => u.expect === 'quarantined').length} bad) over ${options.minutes} min`,
  );

  // Faults on for the traffic.
  if (options.faults) for (const proxy of Object.values(proxies)) proxy.setRules(faultRules(options.faultRate));
  const uploadedAt = new Map<string, number>();
  const uploadErrors: { key: string; error: string }[] = [];
  let inFlight = 0;
  // One streamed (large) upload at a time: a forecast set is sent file after file.
  let streaming: Promise<void> = Promise.resolve();
  const upload = async (file: PlannedUpload): Promise<void> => {
    if (file.stream !== undefined) {
      const previous = streaming;
      let done!: () => void;
      streaming = new Promise((r) => {
        done = r;
      });
      await previous;
      try {
        await new Upload({
          client: s3,
          params: { Bucket: description.buckets.inbox, Key: file.key, Body: file.stream() },
          partSize: StreamedPartBytes,
          queueSize: 2,
        }).done();
        if (!uploadedAt.has(file.key)) uploadedAt.set(file.key, Date.now());
      } catch (error) {
        uploadErrors.push({ key: file.key, error: (error as Error).message });
      } finally {
        done();
      }
      return;
    }
    inFlight += 1;
    try {
      const body = file.body();
      // Larger files go up in parts, as a provider's transfer agent sends them.
      if (body.length > 5 * 1024 * 1024) {
        await new Upload({
          client: s3,
          params: { Bucket: description.buckets.inbox, Key: file.key, Body: body },
          partSize: 5 * 1024 * 1024,
          queueSize: 2,
        }).done();
      } else {
        await s3.send(new PutObjectCommand({ Bucket: description.buckets.inbox, Key: file.key, Body: body }));
      }
      if (!uploadedAt.has(file.key)) uploadedAt.set(file.key, Date.now());
    } catch (error) {
      uploadErrors.push({ key: file.key, error: (error as Error).message });
    } finally {
      inFlight -= 1;
    }
  };

  const trafficStart = Date.now();
  const trafficEnd = trafficStart + options.minutes * 60_000;
  let trafficDone = false;
  const injector = (async () => {
    let outages = 0;
    let nextOutage = trafficStart + options.outageEverySeconds * 1000;
    let killed = false;
    let stopped = false;
    while (!trafficDone) {
      await sleep(500);
      if (!options.faults) continue;
      if (
        options.outageEverySeconds > 0 &&
        Date.now() >= nextOutage &&
        Date.now() < trafficEnd - options.outageSeconds * 1000
      ) {
        nextOutage = Date.now() + options.outageEverySeconds * 1000;
        const ms = options.outageSeconds * 1000;
        if (outages % 2 === 0) {
          faults.outageDynamoDb! += 1;
          void proxies.dynamodb.outage(ms);
        } else {
          faults.outageS3Sqs! += 1;
          void proxies.s3.outage(ms);
          void proxies.sqs.outage(ms);
        }
        outages += 1;
      }
      // A container worker busy with a file: the first one killed without SIGTERM, the next stopped with StopTask.
      const running = stack.faults!.runningContainers();
      if (running.length > 0 && !killed) {
        await sleep(3000);
        const target = stack.faults!.runningContainers()[0];
        if (target !== undefined) {
          target.kill('SIGKILL');
          killed = true;
          faults.containerSigkill! += 1;
        }
      } else if (running.length > 0 && killed && !stopped) {
        await sleep(3000);
        const worker = description.workers?.ingest;
        if (worker !== undefined) {
          const { taskArns = [] } = await ecs.send(
            new ListTasksCommand({ cluster: worker.cluster, desiredStatus: 'RUNNING' }),
          );
          if (taskArns[0] !== undefined) {
            await ecs.send(
              new StopTaskCommand({
                cluster: worker.cluster,
                task: taskArns[0],
                reason: 'endurance run: StopTask mid-file',
              }),
            );
            stopped = true;
            faults.containerStopTask! += 1;
          }
        }
      }
    }
  })();

  const uploads: Promise<void>[] = [];
  let lastProgress = 0;
  for (const file of planned.filter((u) => u.lateAfterDeadline !== true)) {
    const wait = trafficStart + file.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    // Bounded: at most 16 uploads in flight; the schedule slips rather than piling up.
    while (inFlight >= 16) await sleep(20);
    uploads.push(upload(file));
    if (Date.now() - lastProgress > 15_000) {
      lastProgress = Date.now();
      print(
        `  [${Math.round((Date.now() - trafficStart) / 1000)} s] ${uploadedAt.size} keys uploaded; ` +
          `crashes ${JSON.stringify(chaos.counts().crash)}`,
      );
    }
  }
  await Promise.all(uploads);
  if (Date.now() < trafficEnd) await sleep(trafficEnd - Date.now());
  trafficDone = true;
  await injector;
  for (const proxy of Object.values(proxies)) proxy.setRules([]);
  chaos.setEnabled(false);
  const trafficSeconds = (Date.now() - trafficStart) / 1000;
  print(`traffic done in ${trafficSeconds.toFixed(0)} s; faults off; settling`);

  // Late chunks of degraded cycles: sent once their cycle closed without them (processed degraded,
  // or abandoned when faults held more chunks past the deadline).
  const late = planned.filter((u) => u.lateAfterDeadline === true);
  const settleStart = Date.now();
  const pendingLate = new Set(late);
  const sendLate = async (): Promise<void> => {
    if (pendingLate.size === 0) return;
    const events = await readEventStore(documents, description.tables.eventStore!);
    const processed = new Set(
      events
        .filter((e) => e.type === EventTypes.processingRequested || e.type === EventTypes.cycleAbandoned)
        .map((e) => e.correlationid),
    );
    for (const file of [...pendingLate]) {
      if (!processed.has(file.cycleId!)) continue;
      pendingLate.delete(file);
      await upload(file);
    }
  };
  const workQueues = Object.entries(description.queues).filter(
    ([role]) => !role.endsWith('Dlq') && !role.startsWith('subscriber'),
  );
  const settle = async (label: string): Promise<void> => {
    const deadline = Date.now() + options.settleMinutes * 60_000;
    let quiet = 0;
    let lastPrint = 0;
    while (Date.now() < deadline && quiet < 3) {
      await sendLate();
      const depths = await Promise.all(
        workQueues.map(async ([role, url]) => [role, await queueDepth(sqs, url)] as const),
      );
      const busy = depths.filter(([, d]) => d.visible + d.inFlight + d.delayed > 0);
      const running =
        description.stateMachines?.delivery === undefined
          ? 0
          : (
              (
                await sfn.send(
                  new ListExecutionsCommand({
                    stateMachineArn: description.stateMachines.delivery,
                    statusFilter: 'RUNNING',
                  }),
                )
              ).executions ?? []
            ).length;
      const containers = stack.faults!.runningContainers().length;
      quiet = busy.length === 0 && running === 0 && containers === 0 && pendingLate.size === 0 ? quiet + 1 : 0;
      if (Date.now() - lastPrint > 15_000) {
        lastPrint = Date.now();
        print(
          `  [${label} ${Math.round((Date.now() - settleStart) / 1000)} s] busy: ` +
            `${busy.map(([r, d]) => `${r} ${d.visible}/${d.inFlight}/${d.delayed}`).join(', ') || 'none'}; ` +
            `${running} saga(s), ${containers} container(s), ${pendingLate.size} late chunk(s) to send`,
        );
      }
      await sleep(2000);
    }
    if (quiet < 3) print(`  ${label}: not settled within ${options.settleMinutes} min`);
  };
  await settle('settle');

  const dlqs = deadLetterQueues(description.queues);
  const depthsOf = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      await Promise.all(
        dlqs.map(async (pair) => {
          const depth = await queueDepth(sqs, pair.url);
          return [pair.role, depth.visible + depth.inFlight + depth.delayed] as const;
        }),
      ),
    );
  const beforeRedrive = await depthsOf();
  let redriven = 0;
  const redriveErrors: string[] = [];
  for (const pair of dlqs) {
    if ((beforeRedrive[pair.role] ?? 0) === 0 || pair.sourceUrl === undefined || pair.role.startsWith('subscriber'))
      continue;
    print(`  redriving ${beforeRedrive[pair.role]} message(s) of ${pair.role}`);
    try {
      await cliRedrive(projectRoot, descriptionFile, pair.role, print);
      redriven += beforeRedrive[pair.role]!;
    } catch (error) {
      // The account still runs (the messages stay in their DLQ and are reported there).
      redriveErrors.push(`redrive of ${pair.role} failed: ${(error as Error).message}`);
    }
  }
  if (redriven > 0) await settle('after redrive');
  const afterRedrive = await depthsOf();
  const settleSeconds = (Date.now() - settleStart) / 1000;

  print('taking the account');
  const subscribers = Object.fromEntries(subscriberSettings.map((s) => [`subscriber${s.name}`, s.productTypes]));
  const account = await takeAccount(
    description,
    { s3, sqs, documents },
    {
      uploads: planned,
      cycles: plan.cycles,
      uploadedAt,
      uploadErrors,
      heldBack: [...pendingLate].map((u) => u.key),
      inTimeSeconds: options.inTimeSeconds,
      deadlineWaitSeconds: 60,
      subscribers,
      orderedSubscribers: subscriberSettings.filter((s) => s.ordered === true).map((s) => `subscriber${s.name}`),
    },
  );
  const problems = [...account.problems];
  for (const [role, depth] of Object.entries(afterRedrive))
    if (depth > 0) problems.push(`dead-letter queue ${role} still holds ${depth} message(s) after one redrive`);

  // Faults per kind: the proxies' counts, the chaos counts, outages and kills.
  const calls: Record<string, number> = {};
  const operations: Record<string, OperationCount> = {};
  for (const proxy of Object.values(proxies)) {
    for (const [operation, count] of Object.entries(proxy.counts())) {
      calls[`${proxy.service}.${operation}`] = count.calls;
      operations[`${proxy.service}.${operation}`] = count;
      for (const [kind, n] of Object.entries(count.faults)) faults[`api ${kind}`] = (faults[`api ${kind}`] ?? 0) + n;
    }
  }
  const chaosCounts = chaos.counts();
  for (const [kind, byFunction] of Object.entries(chaosCounts))
    faults[kind] = Object.values(byFunction).reduce((a, b) => a + b, 0);
  const cost = await costOf({
    operations,
    invocations,
    template: stack.template,
    stackName: description.stackName,
    sfn,
    stateMachineArn: description.stateMachines?.delivery,
    acceptedFiles: account.acceptedFiles,
    deliveredProducts: account.deliveredProducts,
  });

  const withProblems: Account = {
    ...account,
    problems,
    harnessFailures: [...account.harnessFailures, ...redriveErrors],
  };
  const lostOrDuplicated = account.rows.some((r) => r.lost > 0 || r.duplicated > 0);
  return {
    startedAt: new Date(t0).toISOString(),
    options,
    uploads: {
      planned: planned.length,
      accepted: account.acceptedFiles,
      duplicates: planned.filter((u) => u.expect === 'duplicate').length,
      bad: planned.filter((u) => u.expect === 'quarantined').length,
      cycles: plan.cycles.length,
    },
    account: withProblems,
    faults,
    deadLetters: { beforeRedrive, afterRedrive, redriven },
    latencies: {
      deliveryP50: quantile(account.deliveryLatencies, 0.5),
      deliveryP99: quantile(account.deliveryLatencies, 0.99),
      ingestP50: quantile(account.ingestLatencies, 0.5),
      ingestP99: quantile(account.ingestLatencies, 0.99),
      lightningP50: quantile(account.lightningLatencies, 0.5),
      lightningP99: quantile(account.lightningLatencies, 0.99),
    },
    calls,
    cost,
    seconds: { traffic: trafficSeconds, settle: settleSeconds, total: (Date.now() - t0) / 1000 },
    ok: problems.length === 0 && withProblems.harnessFailures.length === 0 && !lostOrDuplicated,
  };
}
