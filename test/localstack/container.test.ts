/**
 * The container fallback of ingest, as a provider and an operator see it through AWS APIs:
 * forecasts over the 1 GiB threshold are ingested by the ECS worker the scheduler starts, a
 * worker stopped mid-file (ECS StopTask, which sends SIGTERM) hands its file back without
 * leaving a partial object, and a corrupt file is quarantined with its reason.
 *
 * The files are about 1.08 GB, generated as streams (the test never holds them in memory).
 */
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { HeadObjectCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '../../events/registry.ts';
import { runTaskInputOf, type WorkerDescription } from '../../local/stack-description.ts';
import { Env } from '../../shared/config.ts';
import { grib2Stream } from '../../shared/samples/grib2-stream.ts';
import { ecmwfName } from '../../shared/samples/provider-files.ts';
import { cycleFiles, deliveredManifests, uploadAll } from './support/cycles.ts';
import { clients, eventsOf, readObject, stack, uniqueCycle, waitFor } from './support/stack.ts';

const { s3, documents } = clients();
const { buckets, tables, workers } = stack();
const ecs = new ECSClient({});
const worker = workers?.ingest as WorkerDescription;

/** 129 messages of 8 MiB: 1 082 130 432 bytes, just over the rule's 1 GiB threshold. */
const BigFile = { messages: 129, messageBytes: 8 * 1024 * 1024 } as const;
const MinuteMs = 60_000;

/** Uploads a stream in 8 MiB parts, as a provider's transfer agent would. */
async function upload(client: S3Client, key: string, body: Readable): Promise<void> {
  await new Upload({
    client,
    params: { Bucket: buckets.inbox, Key: key, Body: body },
    partSize: 8 * 1024 * 1024,
    queueSize: 4,
  }).done();
}

/** The forecast key and correlation id for an analysis time and a valid hour. */
function forecast(
  analysis: Date,
  validHours: number,
): { key: string; name: string; correlationId: string; archiveKey: string } {
  const name = ecmwfName(analysis, validHours);
  const date = analysis.toISOString();
  return {
    key: `ecmwf/${name}`,
    name,
    correlationId: `forecast-${date}`,
    archiveKey: `ecmwf/${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/${name}`,
  };
}

/** A past analysis time no other test uses (random day, 18 UTC). */
function uniqueAnalysis(): Date {
  const { date } = uniqueCycle();
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), 18));
}

/** The worker's tasks with the given desired status. */
async function tasks(desiredStatus: 'RUNNING' | 'STOPPED'): Promise<Task[]> {
  const { taskArns = [] } = await ecs.send(
    new ListTasksCommand({ cluster: worker.cluster, family: worker.family, desiredStatus }),
  );
  if (taskArns.length === 0) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster: worker.cluster, tasks: taskArns }))).tasks ?? [];
}

/** Starts `count` worker tasks as the scheduler does, with extra environment variables. */
async function runWorkers(count: number, environment: Record<string, string> = {}): Promise<string[]> {
  const arns: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const run = await ecs.send(new RunTaskCommand(runTaskInputOf(worker, 'cometflow-test', environment)));
    arns.push(run.tasks![0]!.taskArn!);
  }
  return arns;
}

/** Stops tasks (SIGTERM) and waits until ECS reports them stopped. */
async function stopTasks(arns: readonly string[], reason: string): Promise<Task[]> {
  for (const task of arns) await ecs.send(new StopTaskCommand({ cluster: worker.cluster, task, reason }));
  return waitFor(
    `tasks ${arns.length} stopped`,
    async () => {
      const described =
        (await ecs.send(new DescribeTasksCommand({ cluster: worker.cluster, tasks: [...arns] }))).tasks ?? [];
      return described.every((t) => t.lastStatus === 'STOPPED') ? described : undefined;
    },
    2 * MinuteMs,
  );
}

/** Unfinished multipart uploads under a key (what an abandoned write could leave behind). */
async function multipartUploads(bucket: string, key: string): Promise<string[]> {
  const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  return (listed.Uploads ?? []).map((u) => u.UploadId ?? '');
}

const objectExists = (bucket: string, key: string): Promise<boolean> =>
  s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    (error: unknown) => {
      if ((error as { name?: string }).name === 'NotFound') return false;
      throw error;
    },
  );

const ingestedIn = (correlationId: string, timeoutMs: number) =>
  waitFor(
    `file.ingested in ${correlationId}`,
    async () => {
      const events = await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.fileIngested);
      return events.length > 0 ? (events as CometEvent<typeof EventTypes.fileIngested>[]) : undefined;
    },
    timeoutMs,
  );

describe('container ingest', () => {
  afterAll(async () => {
    // Leave no worker of these tests behind; idle ones would exit after their idle period anyway.
    const running = (await tasks('RUNNING')).filter((t) => t.startedBy === 'cometflow-test').map((t) => t.taskArn!);
    if (running.length > 0) await stopTasks(running, 'test cleanup');
  });

  it('ingests a forecast over 1 GiB in a worker the scheduler started, and the pipeline joins it into a product', {
    timeout: 8 * MinuteMs,
  }, async () => {
    // Prepare: a repeat cycle whose forecast is a 1.08 GB file.
    expect(worker, 'the stack describes its ingest worker (WorkerIngest output)').toBeDefined();
    const { day, repeatCycle } = uniqueCycle();
    const cycle = cycleFiles(day, repeatCycle);
    const big = grib2Stream({ ...BigFile, seed: repeatCycle });
    const analysis = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))));
    const correlationId = `forecast-${analysis.toISOString()}`;

    // Act
    await Promise.all([upload(s3, cycle.forecast.key, big.stream), uploadAll(s3, buckets.inbox!, cycle.chunks)]);
    const [ingested] = await ingestedIn(correlationId, 5 * MinuteMs);
    const [manifest] = await deliveredManifests(
      s3,
      documents,
      tables.eventStore!,
      buckets.products!,
      cycle.correlationId,
      5 * MinuteMs,
    );

    // Assess: the streamed SHA-256 is the uploaded file's, and processing verified it again.
    const expected = await big.sha256;
    expect(ingested!.data.ingested).toMatchObject({ size: big.size, sha256: expected });
    expect(manifest!.inputs.find((input) => input.name === cycle.forecast.key.slice('ecmwf/'.length))?.sha256).toBe(
      expected,
    );
    // The scheduler woke a worker for this very command (RunTask overrides name it).
    const [command] = await eventsOf(documents, tables.eventStore!, correlationId, EventTypes.ingestRequested);
    const woken = [...(await tasks('RUNNING')), ...(await tasks('STOPPED'))].filter((t) =>
      t.overrides?.containerOverrides?.some((o) =>
        o.environment?.some((e) => e.name === Env.workerWokenBy && e.value === command!.id),
      ),
    );
    expect(woken).toHaveLength(1);
    expect(woken[0]!.taskDefinitionArn).toBe(worker.taskDefinition);
  });

  it('hands a file back when its worker is stopped mid-file: no partial object, then ingested once by the next worker', {
    timeout: 8 * MinuteMs,
  }, async () => {
    // Prepare: the only workers running are ours, as many as the cap, with no grace period, so
    // that SIGTERM abandons the file at once; the scheduler's wake-up finds the cap reached.
    const running = (await tasks('RUNNING')).map((t) => t.taskArn!);
    if (running.length > 0) await stopTasks(running, 'test: a clean slate');
    const ours = await runWorkers(worker.maxTasks, { [Env.workerGraceSeconds]: '0' });
    const file = forecast(uniqueAnalysis(), 6);
    const big = grib2Stream({ ...BigFile, seed: 77 });
    await upload(s3, file.key, big.stream);
    await waitFor(
      'the archive upload under way',
      async () => ((await multipartUploads(buckets.archive!, file.archiveKey)).length > 0 ? true : undefined),
      2 * MinuteMs,
    );
    const liveBeforeStop = (await tasks('RUNNING')).map((t) => t.taskArn).sort();

    // Act: SIGTERM through ECS, mid-file.
    const stopped = await stopTasks(ours, 'test: SIGTERM mid-file');

    // Assess: the cap held, both workers exited cleanly, and nothing of the file is in the archive.
    expect(liveBeforeStop).toEqual([...ours].sort());
    expect(stopped.map((t) => t.containers?.[0]?.exitCode)).toEqual(ours.map(() => 0));
    expect(await objectExists(buckets.archive!, file.archiveKey)).toBe(false);
    expect(await multipartUploads(buckets.archive!, file.archiveKey)).toEqual([]);
    expect(await eventsOf(documents, tables.eventStore!, file.correlationId, EventTypes.fileIngested)).toEqual([]);

    // Act: the next wake-up (a later command, or an operator) starts a worker.
    await runWorkers(1);
    const [ingested] = await ingestedIn(file.correlationId, 4 * MinuteMs);
    await new Promise((r) => setTimeout(r, 3000));

    // Assess: ingested once, whole, with the streamed digest.
    expect(ingested!.data.ingested).toMatchObject({ key: file.archiveKey, size: big.size, sha256: await big.sha256 });
    expect(await eventsOf(documents, tables.eventStore!, file.correlationId, EventTypes.fileIngested)).toHaveLength(1);
    expect(
      (await s3.send(new HeadObjectCommand({ Bucket: buckets.archive, Key: file.archiveKey }))).ContentLength,
    ).toBe(big.size);
    expect(await multipartUploads(buckets.archive!, file.archiveKey)).toEqual([]);
  });

  it('quarantines a corrupt GRIB2 file over the threshold with the reason, leaving nothing in the archive or the inbox', {
    timeout: 6 * MinuteMs,
  }, async () => {
    // Prepare: message 2 of 129 ends with "7776".
    const file = forecast(uniqueAnalysis(), 12);
    const corrupt = grib2Stream({ ...BigFile, seed: 78, corruptMessage: 2 });

    // Act
    await upload(s3, file.key, corrupt.stream);
    const [rejected] = await waitFor(
      'file.rejected',
      async () => {
        const events = await eventsOf(documents, tables.eventStore!, `upload-${file.key}`, EventTypes.fileRejected);
        const ours = events.concat(
          await eventsOf(documents, tables.eventStore!, file.correlationId, EventTypes.fileRejected),
        );
        return ours.length > 0 ? (ours as CometEvent<typeof EventTypes.fileRejected>[]) : undefined;
      },
      4 * MinuteMs,
    );

    // Assess
    expect(rejected!.data).toMatchObject({ code: 'bad-structure', file: { key: file.key, size: corrupt.size } });
    expect(rejected!.data.reason).toMatch(/GRIB2 message 2 at byte 8388608 .* ends with "7776"; expected "7777"/);
    // The upload's own quarantined copy, as the event names it (a key per upload of the name).
    const quarantined = rejected!.data.quarantine.key;
    expect(quarantined.startsWith(`${file.key}/`)).toBe(true);
    const reason = JSON.parse((await readObject(s3, buckets.quarantine!, `${quarantined}.reason.json`)).toString()) as {
      code: string;
      reason: string;
      rejectedBy: string;
    };
    expect(reason).toMatchObject({ code: 'bad-structure', reason: rejected!.data.reason, rejectedBy: 'ingest' });
    expect((await s3.send(new HeadObjectCommand({ Bucket: buckets.quarantine, Key: quarantined }))).ContentLength).toBe(
      corrupt.size,
    );
    expect(await objectExists(buckets.archive!, file.archiveKey)).toBe(false);
    expect(await multipartUploads(buckets.archive!, file.archiveKey)).toEqual([]);
    await waitFor('the file gone from the inbox', async () =>
      (await objectExists(buckets.inbox!, file.key)) ? undefined : true,
    );
  });
});
