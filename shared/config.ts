/**
 * Names shared by the CDK app and the handlers: environment variables, stack outputs and the
 * stages of the pipeline. Both sides import them from here, so a rename cannot drift.
 */

/**
 * Environment variables a stage reads. The CDK app sets them (the intent methods of its
 * constructs); each function parses the ones it reads at cold start (`parseEnvironment` in
 * shared/environment.ts).
 */
export const Env = {
  eventBusQueueUrl: 'COMETFLOW_EVENT_BUS_QUEUE_URL',
  /**
   * JSON: `{ <lane>: { priority, queueUrl } }`, the event bus's lanes (the scheduler's queues):
   * a publisher sends each event to the lane of its priority (`busLaneOf`).
   */
  eventBusLanes: 'COMETFLOW_EVENT_BUS_LANES',
  ingestQueueUrl: 'COMETFLOW_INGEST_QUEUE_URL',
  ingestContainerQueueUrl: 'COMETFLOW_INGEST_CONTAINER_QUEUE_URL',
  processQueueUrl: 'COMETFLOW_PROCESS_QUEUE_URL',
  deliverQueueUrl: 'COMETFLOW_DELIVER_QUEUE_URL',
  /** JSON: `{ <lane>: { stage, priority, queueUrl } }`, every lane the scheduler may send to. */
  lanes: 'COMETFLOW_LANES',
  inboxBucket: 'COMETFLOW_INBOX_BUCKET',
  quarantineBucket: 'COMETFLOW_QUARANTINE_BUCKET',
  archiveBucket: 'COMETFLOW_ARCHIVE_BUCKET',
  productsBucket: 'COMETFLOW_PRODUCTS_BUCKET',
  distributionBucket: 'COMETFLOW_DISTRIBUTION_BUCKET',
  /** Claim check: where event data too large for a message waits (set on every function). */
  claimsBucket: 'COMETFLOW_CLAIMS_BUCKET',
  catalogTable: 'COMETFLOW_CATALOG_TABLE',
  schedulerTable: 'COMETFLOW_SCHEDULER_TABLE',
  eventStoreTable: 'COMETFLOW_EVENT_STORE_TABLE',
  /** The status read model, written by the projector only. */
  statusTable: 'COMETFLOW_STATUS_TABLE',
  deliveriesTable: 'COMETFLOW_DELIVERIES_TABLE',
  /** Failure records: why a stage gave up on a message (written by the stage handler only). */
  failuresTable: 'COMETFLOW_FAILURES_TABLE',
  /** Receives of the stage's queue before SQS moves a message to its DLQ (the redrive policy's). */
  maxReceiveCount: 'COMETFLOW_MAX_RECEIVE_COUNT',
  idempotencyTable: 'COMETFLOW_IDEMPOTENCY_TABLE',
  /**
   * JSON: `[{ name, prefix, conventions, maxFileBytes }]`, the providers intake accepts uploads
   * from (`rules/providers.json`, or the stack's `providers`), validated by `ProviderTableSchema`.
   */
  providers: 'COMETFLOW_PROVIDERS',
  deadlineMinimumWaitSeconds: 'COMETFLOW_DEADLINE_MINIMUM_WAIT_SECONDS',
  deliveryStateMachineArn: 'COMETFLOW_DELIVERY_STATE_MACHINE_ARN',
  /** JSON: `[{ name, queueUrl, productTypes }]`, the subscribers the delivery saga notifies. */
  subscribers: 'COMETFLOW_SUBSCRIBERS',
  breakerFailureThreshold: 'COMETFLOW_BREAKER_FAILURE_THRESHOLD',
  breakerCoolDownSeconds: 'COMETFLOW_BREAKER_COOL_DOWN_SECONDS',
  /** Seconds a product of an ordered stream waits for its predecessor before it is notified anyway. */
  sequenceHoldbackSeconds: 'COMETFLOW_SEQUENCE_HOLDBACK_SECONDS',
  /** Waking the ingest worker (ECS RunTask): set on whoever sends to `ingest-container`. */
  workerClusterArn: 'COMETFLOW_WORKER_CLUSTER_ARN',
  workerTaskDefinitionArn: 'COMETFLOW_WORKER_TASK_DEFINITION_ARN',
  workerTaskFamily: 'COMETFLOW_WORKER_TASK_FAMILY',
  workerContainerName: 'COMETFLOW_WORKER_CONTAINER_NAME',
  /** Comma-separated subnet ids. */
  workerSubnets: 'COMETFLOW_WORKER_SUBNETS',
  /** Comma-separated security group ids. */
  workerSecurityGroups: 'COMETFLOW_WORKER_SECURITY_GROUPS',
  /** `ENABLED` or `DISABLED`. */
  workerAssignPublicIp: 'COMETFLOW_WORKER_ASSIGN_PUBLIC_IP',
  /** The concurrency cap: tasks of the family running or pending at once. */
  workerMaxTasks: 'COMETFLOW_WORKER_MAX_TASKS',
  /** The worker's own settings (container environment). */
  workerIdleSeconds: 'COMETFLOW_WORKER_IDLE_SECONDS',
  workerGraceSeconds: 'COMETFLOW_WORKER_GRACE_SECONDS',
  workerLeaseSeconds: 'COMETFLOW_WORKER_LEASE_SECONDS',
  /** RunTask override: the id of the command whose sending woke the worker, for tracing. */
  workerWokenBy: 'COMETFLOW_WORKER_WOKEN_BY',
} as const;

export type EnvName = (typeof Env)[keyof typeof Env];

/** The stages of the reference pipeline; each is one folder under `functions/`. */
export const Stages = ['intake', 'scheduler', 'ingest', 'process', 'deliver'] as const;
export type Stage = (typeof Stages)[number];

/** A command's priority: real-time work has capacity of its own that bulk work cannot take. */
export const Priorities = ['realtime', 'bulk'] as const;
export type Priority = (typeof Priorities)[number];

/** One lane: a queue and its consumer, running the code of `stage`, for work of `priority`. */
export interface LaneDefinition {
  /**
   * The code that consumes the lane: a stage of `Stages`, or `ingest-container` (the Fargate
   * worker). The scheduler's lanes are the event bus: stages publish events to them, and no rule
   * sends a command there.
   */
  readonly stage: 'scheduler' | 'ingest' | 'ingest-container' | 'process' | 'deliver';
  readonly priority: Priority;
  /**
   * PascalCase id of an extra lane: the CDK app gives it its own queue, function and event source
   * mapping (ids `<Id>`, `<Id>Queue`, outputs `Queue<Id>`), with the grants of its stage.
   * @default - a stage's own lane: the stage construct consumes it
   */
  readonly id?: string;
}

/**
 * The lanes: where the scheduler's rules send commands. A rule names a lane, or a stage and a
 * priority that the scheduler resolves to a lane here (`resolveLane`), so priority is data and
 * a new lane is one entry (plus optional sizing in the topology). Real-time and bulk work of a
 * stage are separate queues consumed by separate functions; bulk lanes have bounded concurrency.
 */
export const Lanes = {
  // The event bus: a replay or a backlog of bulk events waits on its own queue, consumed with
  // bounded concurrency, instead of in front of real-time events.
  'event-bus': { stage: 'scheduler', priority: 'realtime' },
  'event-bus-bulk': { stage: 'scheduler', priority: 'bulk', id: 'EventBusBulk' },
  ingest: { stage: 'ingest', priority: 'realtime' },
  'ingest-bulk': { stage: 'ingest', priority: 'bulk', id: 'IngestBulk' },
  'ingest-container': { stage: 'ingest-container', priority: 'bulk' },
  'process-realtime': { stage: 'process', priority: 'realtime' },
  'process-bulk': { stage: 'process', priority: 'bulk', id: 'ProcessBulk' },
  deliver: { stage: 'deliver', priority: 'realtime' },
} as const satisfies Record<string, LaneDefinition>;
/** A lane's name. */
export type Lane = keyof typeof Lanes;
/** A table of lanes, as the CDK app and the scheduler receive it. */
export type LaneTable = Readonly<Record<string, LaneDefinition>>;

/**
 * Resolves a rule's `target` and `priority` to a lane of `lanes`: a stage with a priority to
 * the stage's lane of that priority; a lane name to itself (its priority must agree); a stage
 * without a priority to its real-time lane. Answers a problem, in words, when there is none.
 *
 * @example
 * resolveLane(Lanes, 'process', 'bulk') // { lane: 'process-bulk' }
 */
export function resolveLane(
  lanes: LaneTable,
  target: string,
  priority?: Priority,
): { lane: string } | { problem: string } {
  const ofStage = Object.entries(lanes).filter(([, lane]) => lane.stage === target);
  const describe = (entries: [string, LaneDefinition][]): string =>
    entries.map(([name, lane]) => `${name} (${lane.stage}, ${lane.priority})`).join(', ');
  if (ofStage.length > 0) {
    const wanted = priority ?? 'realtime';
    const found = ofStage.find(([, lane]) => lane.priority === wanted);
    if (found !== undefined) return { lane: found[0] };
    if (priority === undefined && ofStage.length === 1) return { lane: ofStage[0]![0] };
    return {
      problem: `no lane of stage "${target}" has priority "${wanted}"; the topology's lanes of that stage: ${describe(ofStage)}`,
    };
  }
  const named = lanes[target];
  if (named === undefined) {
    return {
      problem: `unknown target ${JSON.stringify(target)}; expected a lane or a stage with a priority; the topology's lanes: ${describe(Object.entries(lanes))}`,
    };
  }
  if (priority !== undefined && named.priority !== priority) {
    return {
      problem: `lane "${target}" has priority "${named.priority}", not "${priority}"; name its stage "${named.stage}" with the priority instead`,
    };
  }
  return { lane: target };
}

/**
 * The lane a command goes to, given the lane its rule resolved to and the priority of the event
 * that caused it: work caused by bulk work (a replay, a backlog, a bulk product) is bulk too, so
 * it goes to its stage's bulk lane when the topology has one; otherwise the rule's lane.
 *
 * @example
 * laneForWork(Lanes, 'process-realtime', 'bulk') // 'process-bulk'
 */
export function laneForWork(lanes: LaneTable, lane: string, causePriority: Priority | undefined): string {
  const definition = lanes[lane];
  if (causePriority !== 'bulk' || definition === undefined || definition.priority === 'bulk') return lane;
  const resolved = resolveLane(lanes, definition.stage, 'bulk');
  return 'lane' in resolved ? resolved.lane : lane;
}

/** The event bus's lanes, as publishers receive them (`COMETFLOW_EVENT_BUS_LANES`). */
export type BusLanes = Readonly<Record<string, { readonly priority: Priority; readonly queueUrl: string }>>;

/**
 * The queue an event of `priority` is published to: the event bus lane of that priority
 * (resolved like a rule's target, the scheduler's lanes being the bus), else the real-time one.
 *
 * @example
 * busLaneOf(lanes, 'bulk') // the URL of the event-bus-bulk queue
 */
export function busLaneOf(lanes: BusLanes, priority: Priority | undefined): string {
  const table: LaneTable = Object.fromEntries(
    Object.entries(lanes).map(([name, lane]) => [name, { stage: 'scheduler', priority: lane.priority }]),
  );
  for (const wanted of [priority ?? 'realtime', 'realtime'] as const) {
    const resolved = resolveLane(table, 'scheduler', wanted);
    if ('lane' in resolved) return lanes[resolved.lane]!.queueUrl;
  }
  throw new Error(
    `No event bus lane of priority ${priority ?? 'realtime'} nor realtime in ${JSON.stringify(Object.keys(lanes))}; expected the scheduler's lanes of the lane table`,
  );
}

/**
 * The variables through which a stage's own lane is found by the stages that send to it
 * (ingest hands large files to `ingest-container`). Extra lanes need none: only the scheduler
 * sends to them, and it receives every lane's queue in `COMETFLOW_LANES`.
 */
export const Targets = {
  ingest: Env.ingestQueueUrl,
  'ingest-container': Env.ingestContainerQueueUrl,
  'process-realtime': Env.processQueueUrl,
  deliver: Env.deliverQueueUrl,
} as const satisfies Partial<Record<Lane, EnvName>>;
export type Target = Lane;
export const TargetNames = Object.keys(Lanes) as Target[];

/**
 * Targets consumed by a container worker rather than a Lambda: sending to one also wakes a
 * worker (ECS RunTask), since nothing polls the queue while no task runs.
 */
export const ContainerTargets = ['ingest-container'] as const satisfies readonly Target[];
export type ContainerTarget = (typeof ContainerTargets)[number];
export const isContainerTarget = (target: string): target is ContainerTarget =>
  (ContainerTargets as readonly string[]).includes(target);

/** The `source` attribute of the events a stage publishes. */
export const sourceOf = (stage: Stage): string => `cometflow/${stage}`;

/**
 * Stack outputs: the real names of resources, keyed `Bucket<Role>`, `Queue<Role>`,
 * `Table<Role>`, `StateMachine<Role>` (an ARN), `Worker<Role>` (JSON: how to run a container
 * worker, `WorkerDescription` in local/stack-description.ts). The local runtime and `cdk deploy --outputs-file`
 * both produce them, and the stack description (`.cometflow/local-stack.json`) is derived from them.
 */
export const OutputPrefix = {
  bucket: 'Bucket',
  queue: 'Queue',
  table: 'Table',
  stateMachine: 'StateMachine',
  worker: 'Worker',
  /** JSON: a provider's upload role and prefix (`ProviderUpload` in local/stack-description.ts). */
  provider: 'Provider',
} as const;

/** SQS caps a message delay at 15 minutes: delayed commands and timers never wait longer per message. */
export const SqsMaxDelaySeconds = 900;
