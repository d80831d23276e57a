/**
 * The typed topology of the pipeline: per stage its Lambda sizing and the settings of the queue it
 * consumes. The CDK app reads it once, validated, at build time; tests build variants of it.
 */
import { fileURLToPath } from 'node:url';
import {
  ContainerTargets,
  Lanes as SharedLanes,
  Stages,
  type ContainerTarget,
  type LaneDefinition,
  type LaneTable,
  type Stage,
} from '#shared/config.ts';

/** Settings of one stage: its function and the event source mapping reading its queue. */
export interface StageSettings {
  /** Function timeout in seconds (Lambda allows 1 to 900). The queue's visibility timeout derives from it. */
  readonly timeoutSeconds: number;
  /** Function memory in MiB (Lambda allows 128 to 10240). */
  readonly memoryMiB: number;
  /** Records per invocation (1 to 10: the SQS event source limit without a batching window). */
  readonly batchSize: number;
  /** Receives before a message moves to the dead-letter queue (SQS allows 1 to 1000). */
  readonly maxReceiveCount: number;
  /**
   * Upper bound of concurrent invocations the event source mapping starts (2 to 1000).
   * Used instead of reserved concurrency, which low account limits often forbid.
   * @default - no limit beyond the account's unreserved concurrency
   */
  readonly maxConcurrency?: number;
}

/** The extra lanes of a lane table: those with an `id`, which get a queue and function of their own. */
export const extraLanesOf = (
  lanes: LaneTable,
): Record<string, { stage: Stage; id: string; priority: LaneDefinition['priority'] }> =>
  Object.fromEntries(
    Object.entries(lanes).flatMap(([name, lane]) =>
      lane.id === undefined || lane.stage === 'ingest-container'
        ? []
        : [[name, { stage: lane.stage, id: lane.id, priority: lane.priority }]],
    ),
  );

/**
 * Extra lanes: a second queue and function running the code of an existing stage with its own
 * sizing, so that bulk work has its own capacity and cannot starve the stage's main lane.
 * Declared once, in `Lanes` of shared/config.ts.
 */
export const Lanes = extraLanesOf(SharedLanes) as Record<
  Lane,
  { stage: Stage; id: string; priority: LaneDefinition['priority'] }
>;
/** An extra lane of the reference topology. */
export type Lane = {
  [K in keyof typeof SharedLanes]: (typeof SharedLanes)[K] extends { id: string } ? K : never;
}[keyof typeof SharedLanes];

/**
 * How many concurrent invocations a bulk lane gets when the topology does not size it: few, so
 * that the account's capacity stays with real-time work.
 */
export const DefaultBulkConcurrency = 2;

/**
 * The settings of an extra lane: the topology's, else its stage's (bulk lanes capped at
 * `DefaultBulkConcurrency`), so that adding a lane to the table is enough to deploy it.
 */
export function laneSettingsOf(
  topology: Topology,
  name: string,
  lane: { stage: Stage; priority: LaneDefinition['priority'] },
): StageSettings {
  const own = topology.lanes[name];
  if (own !== undefined) return own;
  const base = topology.stages[lane.stage];
  return lane.priority === 'bulk'
    ? { ...base, maxConcurrency: Math.min(base.maxConcurrency ?? DefaultBulkConcurrency, DefaultBulkConcurrency) }
    : base;
}

/**
 * Settings of a container worker: the ECS Fargate task consuming a container target's queue
 * (`ingest-container`: files too large or too slow for Lambda).
 */
export interface ContainerSettings {
  /** Task CPU units (Fargate: 256, 512, 1024, 2048, 4096, 8192 or 16384). */
  readonly cpu: number;
  /** Task memory in MiB; Fargate allows only certain amounts per CPU size. */
  readonly memoryMiB: number;
  /**
   * Tasks of the family running or pending at once, at most: whoever starts one (RunTask)
   * respects it, so bulk ingestion cannot take more than this.
   */
  readonly maxTasks: number;
  /** Seconds between SIGTERM and SIGKILL when ECS stops the task (Fargate allows 2 to 120). */
  readonly stopTimeoutSeconds: number;
  /** Seconds the worker lets its current file finish after SIGTERM before handing it back; below `stopTimeoutSeconds`. */
  readonly graceSeconds: number;
  /** Seconds with an empty queue after which the worker exits (the task ends). */
  readonly idleSeconds: number;
  /** The lease the worker takes on a message (its visibility timeout), renewed while the file runs. */
  readonly leaseSeconds: number;
  /** Receives before a message moves to the dead-letter queue (SQS allows 1 to 1000). */
  readonly maxReceiveCount: number;
}

/** The whole topology: every stage of `Stages`, the extra lanes, and the container workers (the intake limits are the providers', rules/providers.json). */
export interface Topology {
  readonly stages: Readonly<Record<Stage, StageSettings>>;
  /**
   * Sizing of the extra lanes: every one of the reference topology, and any other extra lane of
   * a team's lane table (one it does not size here is sized like its stage, `laneSettingsOf`).
   */
  readonly lanes: Readonly<Record<Lane, StageSettings>> & Readonly<Record<string, StageSettings>>;
  readonly containers: Readonly<Record<ContainerTarget, ContainerSettings>>;
  /**
   * The least time a join gets after its first input before its deadline may close it, in
   * seconds: a cycle whose nominal deadline is already past (a backlog) is not closed early.
   */
  readonly deadlineMinimumWaitSeconds: number;
}

/** The topology deployed by the app. */
export const topology: Topology = {
  stages: {
    intake: { timeoutSeconds: 30, memoryMiB: 256, batchSize: 10, maxReceiveCount: 3 },
    scheduler: { timeoutSeconds: 30, memoryMiB: 256, batchSize: 10, maxReceiveCount: 3 },
    ingest: { timeoutSeconds: 300, memoryMiB: 1024, batchSize: 1, maxReceiveCount: 3, maxConcurrency: 5 },
    process: { timeoutSeconds: 120, memoryMiB: 512, batchSize: 1, maxReceiveCount: 3, maxConcurrency: 5 },
    deliver: { timeoutSeconds: 60, memoryMiB: 256, batchSize: 5, maxReceiveCount: 3 },
  },
  lanes: {
    // The bulk event bus: replays and bulk work's events, two batches at a time, so that a
    // backlog there never holds up real-time events on their way to the scheduler.
    'event-bus-bulk': { timeoutSeconds: 30, memoryMiB: 256, batchSize: 10, maxReceiveCount: 3, maxConcurrency: 2 },
    // Bulk ingestion of files under the container threshold (forecasts, reprocessing, replays):
    // two at a time, so that real-time files never wait behind them.
    'ingest-bulk': { timeoutSeconds: 300, memoryMiB: 1024, batchSize: 1, maxReceiveCount: 3, maxConcurrency: 2 },
    'process-bulk': { timeoutSeconds: 300, memoryMiB: 1024, batchSize: 1, maxReceiveCount: 3, maxConcurrency: 2 },
  },
  containers: {
    // 1 vCPU streams a file at the network's pace (SHA-256 and the GRIB2 check cost far less);
    // memory stays flat (about 5 parts of 8 MiB in flight), 2 GiB is Fargate's least for 1 vCPU.
    // Two tasks at most: a forecast run of 12 files is ingested two at a time, leaving the
    // account's capacity to real-time work.
    'ingest-container': {
      cpu: 1024,
      memoryMiB: 2048,
      maxTasks: 2,
      stopTimeoutSeconds: 45,
      graceSeconds: 20,
      idleSeconds: 60,
      leaseSeconds: 300,
      maxReceiveCount: 3,
    },
  },
  deadlineMinimumWaitSeconds: 60,
};

/** What the alarms hold the pipeline to. */
export interface OperationsSettings {
  /** Age of a lane's oldest message above which its alarm fires, in seconds. */
  readonly oldestMessageAgeSeconds: number;
  /** Per lane queue role, a tighter (or looser) bound than `oldestMessageAgeSeconds`. */
  readonly oldestMessageAgeSecondsByLane: Readonly<Record<string, number>>;
  /** Per product type, the p99 timeliness (nominal end of its data to delivery) above which its alarm fires, in seconds. */
  readonly timelinessBudgetSeconds: Readonly<Record<string, number>>;
}

/** The operations settings deployed by the app. */
export const operations: OperationsSettings = {
  oldestMessageAgeSeconds: 300,
  // Real-time work must not wait behind anything: a minute in its queue is already an incident.
  oldestMessageAgeSecondsByLane: { Process: 60, EventBus: 60 },
  // A cycle is processed at the latest at its deadline (5 min after its nominal end) and takes
  // a few seconds to deliver: 15 minutes leaves room for a backlog, not for a stuck stage.
  // Lightning products are real time: a 30 s window, delivered within two minutes of its end.
  timelinessBudgetSeconds: { 'fci-cycle-statistics': 900, 'lightning-window': 120 },
};

/**
 * How long each bucket keeps what it holds: lifecycle rules, as configuration. S3 counts days
 * from an object's creation and acts once a day, so an object lives up to a day past its bound.
 * The inbox is emptied by ingest itself: it deletes a file once its archived copy is written and
 * announced (a conditional delete on the ingested ETag); its rule only catches what is left over.
 */
export interface RetentionSettings {
  /**
   * Days after which S3 deletes whatever is still in the inbox (a duplicate upload intake
   * ignored, a file whose removal failed). Longer than a dead letter is kept (14 days), so a file
   * waiting for a rerun is never expired; `reconcile` reports leftovers long before.
   */
  readonly inboxLeftoverDays: number;
  /** Days after which archived files move to a colder storage class (Glacier Instant Retrieval). */
  readonly archiveColdAfterDays: number;
  /** Days a product is kept in the products bucket (a rerun regenerates it from the archive). */
  readonly productsDays: number;
  /** Days a delivered product stays in the distribution bucket for subscribers to fetch. */
  readonly distributionDays: number;
  /**
   * Days after which a quarantined file (with its reason) moves to a colder storage class. Nothing
   * expires it: bad input is kept, never deleted, until an operator removes it.
   */
  readonly quarantineColdAfterDays: number;
  /** Days server access logs are kept. */
  readonly accessLogsDays: number;
}

/** The retention deployed by the app. */
export const retention: RetentionSettings = {
  inboxLeftoverDays: 30,
  archiveColdAfterDays: 30,
  productsDays: 30,
  distributionDays: 14,
  quarantineColdAfterDays: 30,
  accessLogsDays: 90,
};

/** Memory amounts (MiB) Fargate accepts per CPU size: [least, most, step]. */
const FargateMemory: Readonly<Record<number, readonly [number, number, number]>> = {
  256: [512, 2048, 512],
  512: [1024, 4096, 1024],
  1024: [2048, 8192, 1024],
  2048: [4096, 16384, 1024],
  4096: [8192, 30720, 1024],
  8192: [16384, 61440, 4096],
  16384: [32768, 122880, 8192],
};

/**
 * How many function timeouts a queue's visibility timeout spans. AWS recommends at least six so
 * that a message is not redelivered while the batch holding it is still being retried.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export const VisibilityTimeoutFactor = 6;

/** The project root: the folder holding package.json, package-lock.json and `functions/`. */
export const projectRoot: string = fileURLToPath(new URL('../../', import.meta.url));

/** Thrown when the topology holds a value AWS would reject or the pipeline cannot run with. */
export class TopologyError extends Error {
  override readonly name = 'TopologyError';
}

const MaxVisibilityTimeoutSeconds = 12 * 60 * 60;

function checkInteger(where: string, field: string, value: number, min: number, max: number, why: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TopologyError(
      `${where}: ${field} ${String(value)} is invalid; expected an integer from ${min} to ${max} (${why})`,
    );
  }
}

/**
 * Checks a topology and returns it unchanged, or throws a `TopologyError` naming the bad value.
 *
 * @example
 * const checked = validateTopology(topology);
 */
export function validateTopology(candidate: Topology): Topology {
  const laneNames = Object.keys(Lanes) as Lane[];
  const all: [string, StageSettings | undefined, string][] = [
    ...Stages.map((stage): [string, StageSettings | undefined, string] => [
      `Topology of stage "${stage}"`,
      candidate.stages[stage],
      `every stage of ${Stages.join(', ')} needs settings`,
    ]),
    ...[...new Set([...laneNames, ...Object.keys(candidate.lanes ?? {})])].map(
      (lane): [string, StageSettings | undefined, string] => [
        `Topology of lane "${lane}"`,
        candidate.lanes?.[lane],
        `every lane of ${laneNames.join(', ')} needs settings`,
      ],
    ),
  ];
  for (const [where, settings, need] of all) {
    if (settings === undefined) {
      throw new TopologyError(`${where} is missing; ${need}`);
    }
    checkInteger(where, 'timeoutSeconds', settings.timeoutSeconds, 1, 900, 'the Lambda timeout limit');
    checkInteger(where, 'memoryMiB', settings.memoryMiB, 128, 10_240, 'the Lambda memory limits');
    checkInteger(where, 'batchSize', settings.batchSize, 1, 10, 'the SQS event source limit without a batching window');
    checkInteger(where, 'maxReceiveCount', settings.maxReceiveCount, 1, 1000, 'the SQS redrive policy limits');
    if (settings.maxConcurrency !== undefined) {
      checkInteger(
        where,
        'maxConcurrency',
        settings.maxConcurrency,
        2,
        1000,
        'the SQS event source maximum concurrency limits',
      );
    }
    checkInteger(
      where,
      `visibility timeout (${VisibilityTimeoutFactor} x timeoutSeconds)`,
      settings.timeoutSeconds * VisibilityTimeoutFactor,
      1,
      MaxVisibilityTimeoutSeconds,
      'the SQS visibility timeout limit of 12 hours',
    );
  }
  for (const target of ContainerTargets) {
    const where = `Topology of container "${target}"`;
    const container = candidate.containers?.[target];
    if (container === undefined)
      throw new TopologyError(
        `${where} is missing; every container target of ${ContainerTargets.join(', ')} needs settings`,
      );
    const memory = FargateMemory[container.cpu];
    if (memory === undefined) {
      throw new TopologyError(
        `${where}: cpu ${String(container.cpu)} is invalid; expected one of ${Object.keys(FargateMemory).join(', ')} (Fargate task sizes)`,
      );
    }
    const [least, most, step] = memory;
    if (
      !Number.isInteger(container.memoryMiB) ||
      container.memoryMiB < least ||
      container.memoryMiB > most ||
      container.memoryMiB % step !== 0
    ) {
      throw new TopologyError(
        `${where}: memoryMiB ${String(container.memoryMiB)} is invalid for cpu ${container.cpu}; expected ${least} to ${most} in steps of ${step} (Fargate task sizes)`,
      );
    }
    checkInteger(where, 'maxTasks', container.maxTasks, 1, 100, 'the concurrency cap of the worker tasks');
    checkInteger(where, 'stopTimeoutSeconds', container.stopTimeoutSeconds, 2, 120, 'the Fargate stopTimeout limits');
    checkInteger(
      where,
      'graceSeconds',
      container.graceSeconds,
      0,
      container.stopTimeoutSeconds - 5,
      'the grace period must end at least 5 s before ECS kills the task, to abort the upload and hand the message back',
    );
    checkInteger(where, 'idleSeconds', container.idleSeconds, 1, 3600, 'at most an hour of idling');
    checkInteger(
      where,
      'leaseSeconds',
      container.leaseSeconds,
      30,
      MaxVisibilityTimeoutSeconds,
      'the SQS visibility timeout limit of 12 hours, and at least 30 s so that renewals every third of it are not too frequent',
    );
    checkInteger(where, 'maxReceiveCount', container.maxReceiveCount, 1, 1000, 'the SQS redrive policy limits');
  }
  const unknown = Object.keys(candidate.stages).filter((name) => !(Stages as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new TopologyError(`Topology names unknown stages ${unknown.join(', ')}; expected only ${Stages.join(', ')}`);
  }
  checkInteger(
    'Topology',
    'deadlineMinimumWaitSeconds',
    candidate.deadlineMinimumWaitSeconds,
    0,
    24 * 3600,
    'at most a day',
  );
  return candidate;
}
