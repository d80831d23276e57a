/**
 * The pipeline as one construct: buckets, stage queues, tables, the five stage functions, the
 * extra lanes, the container worker, the delivery saga, the read side and the alarms, wired with
 * least-privilege grants through intent methods that also set the variable naming what they
 * grant. Its props are what a team changes (rules, algorithms, subscribers, lanes, topology);
 * each defaults to the reference pipeline. This file only composes constructs.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  Env,
  Lanes as LaneTableDefault,
  OutputPrefix,
  sourceOf,
  Targets,
  type EnvName,
  type LaneTable,
  type Stage,
} from '#shared/config.ts';
import {
  extraLanesOf,
  laneSettingsOf,
  operations,
  retention,
  projectRoot as defaultProjectRoot,
  topology as defaultTopology,
  validateTopology,
  type Topology,
} from '../config.ts';
import { StorageClass } from 'aws-cdk-lib/aws-s3';
import { PipelineStage } from './pipeline-stage.ts';
import { IngestContainer } from './ingest-container.ts';
import { DeliverySaga } from './delivery-saga.ts';
import { StatusProjection } from './status-projection.ts';
import { DeliveryCalendar } from './delivery-calendar.ts';
import { OperationsMonitoring, type MonitoredLane } from './operations-monitoring.ts';
import { subscribers as defaultSubscribers, type SubscriberSettings } from '../subscribers.ts';
import { loadPipelineRules, RulesDefine } from '../../../functions/scheduler/rule-set.ts';
import { samplesOf } from '#events/catalog.ts';
import { EventTypes } from '#events/registry.ts';
import { PipelineTables, TableRoles } from './pipeline-tables.ts';
import { AccessLogsBucket, SecureBucket } from './secure-bucket.ts';
import type { StageQueue } from './stage-queue.ts';
import { RETENTION_SECONDS } from '../../../functions/scheduler/event-store.ts';
import { claimPrefixOf } from '#shared/envelope/claim-check.ts';
import type { ConfigurableGrantee } from './bundled-function.ts';
import { ProviderUploads } from './provider-uploads.ts';
import { intakeViewOf, loadProviders, ReferenceProviders, type ProviderTable } from '#shared/conventions/providers.ts';

/** Roles of the buckets; each is the suffix of a `Bucket<Role>` output. */
export const BucketRoles = [
  'Inbox',
  'Quarantine',
  'Archive',
  'Products',
  'Distribution',
  'Claims',
  'AccessLogs',
] as const;
export type BucketRole = (typeof BucketRoles)[number];

/** Roles of the queues; each is the suffix of a `Queue<Role>` and a `Queue<Role>Dlq` output. */
export const QueueRoles = [
  'Intake',
  'EventBus',
  'Ingest',
  'IngestContainer',
  'Process',
  'Deliver',
  'IngestBulk',
  'ProcessBulk',
  'EventBusBulk',
] as const;
/** A queue role; an extra lane given in `lanes` adds its id. */
export type QueueRole = (typeof QueueRoles)[number];

/** Properties of a `CometflowPipeline`: what a team's own pipeline changes. */
export interface CometflowPipelineProps {
  /**
   * Sizing of the stages; validated before anything is built.
   * @default - the `topology` of infra/cdk/config.ts
   */
  readonly topology?: Topology;
  /**
   * Folder holding package.json, package-lock.json and `functions/`.
   * @default - the repository root
   */
  readonly projectRoot?: string;
  /**
   * Who the delivery saga notifies of which product types.
   * @default - the `subscribers` of infra/cdk/subscribers.ts
   */
  readonly subscribers?: readonly SubscriberSettings[];
  /**
   * The lanes the rules may send to: a stage's own lane, or an extra lane (with an `id`) that
   * gets its queue, function and event source mapping here, sized by `topology.lanes` or, when
   * absent there, like its stage (bulk lanes with bounded concurrency). The rules are resolved
   * against it: a rule whose stage and priority name no lane fails the synth, naming the rule.
   * @default - `Lanes` of shared/config.ts
   */
  readonly lanes?: LaneTable;
  /**
   * The business rules the scheduler runs, as JSON data in the shape rules/README.md describes.
   * Validated at synth against the lanes and the catalog's samples (a bad rule fails the synth,
   * naming it) and bundled into the scheduler.
   * @default - rules/reference-pipeline.json
   */
  readonly rules?: unknown;
  /**
   * Modules that register processing algorithms (`registerAlgorithm` of
   * shared/algorithms/index.ts) when they are imported: absolute paths, bundled into every
   * process lane ahead of its handler (esbuild's `inject`), so a rule's `algorithm` may name
   * what they register.
   * @default - none: the reference algorithms only
   */
  readonly algorithms?: readonly string[];
  /**
   * The providers: prefix, naming conventions, largest file and the principals allowed to
   * upload, each getting an upload role on its own prefix only; intake receives them as
   * `COMETFLOW_PROVIDERS`. Validated before anything is built.
   * @default - `ReferenceProviders` (rules/providers.json)
   */
  readonly providers?: ProviderTable;
}

/**
 * Files land in `inbox`; S3 notifies the intake queue; every stage publishes its events to the
 * event bus, the scheduler's own queue, and the scheduler sends work to the ingest, process and
 * deliver queues. One per stack: its outputs (`BucketInbox`, `QueueEventBus`, ...) are the
 * stack's, under fixed names, because the CLI and the local runtime find the pipeline by them.
 *
 * @example
 * const stack = new Stack(app, 'Cometflow');
 * // `Default` keeps the logical ids of the reference template (CDK leaves that id out of them).
 * new CometflowPipeline(stack, 'Default', { rules: myRules, algorithms: [join(root, 'algorithms/my-algorithm.ts')] });
 */
export class CometflowPipeline extends Construct {
  /** Buckets by role. */
  public readonly buckets: Readonly<Record<Exclude<BucketRole, 'AccessLogs'>, SecureBucket>>;
  /** The bucket receiving the other buckets' access logs. */
  public readonly accessLogs: AccessLogsBucket;
  /** Queues by role (the event bus is the scheduler's queue). */
  public readonly queues: Readonly<Record<QueueRole, StageQueue>> & Readonly<Record<string, StageQueue>>;
  /** The tables. */
  public readonly tables: PipelineTables;
  /** The stages, by stage name. */
  public readonly stages: Readonly<{
    intake: PipelineStage;
    scheduler: PipelineStage;
    ingest: PipelineStage;
    process: PipelineStage;
    deliver: PipelineStage;
  }>;
  /** The extra lanes, by lane name: same code as a stage, own queue, function and capacity. */
  public readonly lanes: Readonly<Record<string, PipelineStage>>;
  /** The container fallback of ingest: an ECS Fargate worker on its own queue, woken by RunTask. */
  public readonly ingestContainer: IngestContainer;
  /** The delivery saga the deliver stage starts: state machine, saga function, subscriber queues. */
  public readonly deliverySaga: DeliverySaga;
  /** The read side: the event store's stream folded into the status table by the projector. */
  public readonly statusProjection: StatusProjection;
  /** The delivery calendar's check, every minute: input.missing and provider.silent. */
  public readonly calendar: DeliveryCalendar;
  /** The dashboard, the alarms and the topic they notify. */
  public readonly monitoring: OperationsMonitoring;
  /** The providers' upload roles, each confined to its own prefix of the inbox. */
  public readonly providerUploads: ProviderUploads;

  public constructor(scope: Construct, id: string, props: CometflowPipelineProps = {}) {
    super(scope, id);
    const topology = validateTopology(props.topology ?? defaultTopology);
    // The scheduler's rules are bundled with it; a bad rule file fails here, at synth, naming
    // the rule and the problem, instead of in the deployed function.
    const laneTable: LaneTable = props.lanes ?? LaneTableDefault;
    loadPipelineRules({
      lanes: laneTable,
      samples: Object.values(EventTypes).flatMap((type) => samplesOf(type).map((sample) => sample.event)),
      ...(props.rules === undefined ? {} : { definition: props.rules }),
    });
    const providers = loadProviders(props.providers ?? ReferenceProviders, "The stack's providers");
    const projectRoot = props.projectRoot ?? defaultProjectRoot;
    const settings = topology.stages;

    // Retention as configuration (`retention` of infra/cdk/config.ts): ingest empties the inbox as
    // it archives, the rules bound what is left and how long the rest is kept.
    this.accessLogs = new AccessLogsBucket(this, 'AccessLogs', { expireAfterDays: retention.accessLogsDays });
    const accessLogsBucket = this.accessLogs.bucket;
    const inbox = new SecureBucket(this, 'Inbox', { accessLogsBucket, expireAfterDays: retention.inboxLeftoverDays });
    const quarantine = new SecureBucket(this, 'Quarantine', {
      accessLogsBucket,
      nameVariable: Env.quarantineBucket,
      transitions: [
        { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, afterDays: retention.quarantineColdAfterDays },
      ],
    });
    const archive = new SecureBucket(this, 'Archive', {
      accessLogsBucket,
      nameVariable: Env.archiveBucket,
      transitions: [
        { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, afterDays: retention.archiveColdAfterDays },
      ],
    });
    const products = new SecureBucket(this, 'Products', {
      accessLogsBucket,
      nameVariable: Env.productsBucket,
      expireAfterDays: retention.productsDays,
    });
    const distribution = new SecureBucket(this, 'Distribution', {
      accessLogsBucket,
      nameVariable: Env.distributionBucket,
      expireAfterDays: retention.distributionDays,
    });
    // Claim check: event data too large for a message lives as long as the event store keeps
    // the event (its TTL), plus a day: TTL deletes items late, never early.
    const claims = new SecureBucket(this, 'Claims', {
      accessLogsBucket,
      nameVariable: Env.claimsBucket,
      expireAfterDays: Math.ceil(RETENTION_SECONDS / 86_400) + 1,
    });
    this.buckets = {
      Inbox: inbox,
      Quarantine: quarantine,
      Archive: archive,
      Products: products,
      Distribution: distribution,
      Claims: claims,
    };

    const tables = new PipelineTables(this, 'Tables');
    this.tables = tables;

    // Each stage creates the queue it consumes; a grant to send there tells the sender its URL.
    const stage = (
      id: string,
      name: Stage,
      queueUrlVariable?: EnvName,
      environment?: Record<string, string>,
    ): PipelineStage =>
      new PipelineStage(this, id, {
        stage: name,
        settings: settings[name],
        projectRoot,
        ...(queueUrlVariable === undefined ? {} : { queueUrlVariable }),
        ...(environment === undefined ? {} : { environment }),
      });
    // A stage's own settings, given to its extra lanes too (they run the same code).
    const stageEnvironment: Partial<Record<Stage, Record<string, string>>> = {
      intake: { [Env.providers]: JSON.stringify(intakeViewOf(providers)) },
      scheduler: { [Env.deadlineMinimumWaitSeconds]: String(topology.deadlineMinimumWaitSeconds) },
    };
    // The rules the scheduler's lanes are bundled with.
    const schedulerDefine = props.rules === undefined ? {} : { define: { [RulesDefine]: JSON.stringify(props.rules) } };
    const intake = stage('Intake', 'intake', undefined, stageEnvironment.intake);
    const scheduler = new PipelineStage(this, 'Scheduler', {
      stage: 'scheduler',
      settings: settings.scheduler,
      projectRoot,
      queueId: 'EventBus',
      queueUrlVariable: Env.eventBusQueueUrl,
      ...(stageEnvironment.scheduler === undefined ? {} : { environment: stageEnvironment.scheduler }),
      ...schedulerDefine,
    });
    const ingest = stage('Ingest', 'ingest', Targets.ingest);
    const algorithms = props.algorithms === undefined ? {} : { inject: props.algorithms };
    const processStage = new PipelineStage(this, 'Process', {
      stage: 'process',
      settings: settings.process,
      projectRoot,
      queueUrlVariable: Targets['process-realtime'],
      ...algorithms,
    });
    const deliver = stage('Deliver', 'deliver', Targets.deliver);
    // Extra lanes: only the scheduler sends to them, finding their queues in COMETFLOW_LANES.
    const extraLanes = Object.fromEntries(
      Object.entries(extraLanesOf(laneTable)).map(([name, lane]) => [
        name,
        new PipelineStage(this, lane.id, {
          stage: lane.stage,
          settings: laneSettingsOf(topology, name, lane),
          projectRoot,
          ...(lane.stage === 'process' ? algorithms : {}),
          ...(lane.stage === 'scheduler' ? schedulerDefine : {}),
          ...(stageEnvironment[lane.stage] === undefined ? {} : { environment: stageEnvironment[lane.stage] }),
        }),
      ]),
    );
    const lanesOf = (code: Stage): PipelineStage[] =>
      Object.entries(extraLanes)
        .filter(([name]) => laneTable[name]!.stage === code)
        .map(([, lane]) => lane);
    const ingestContainer = new IngestContainer(this, 'IngestContainer', {
      settings: topology.containers['ingest-container'],
      projectRoot,
    });
    this.stages = { intake, scheduler, ingest, process: processStage, deliver };
    this.lanes = extraLanes;
    this.ingestContainer = ingestContainer;
    const eventBus = scheduler.queue;
    this.queues = {
      Intake: intake.queue,
      EventBus: eventBus,
      Ingest: ingest.queue,
      IngestContainer: ingestContainer.queue,
      Process: processStage.queue,
      Deliver: deliver.queue,
      ...Object.fromEntries(
        Object.entries(extraLanes).map(([name, lane]) => [extraLanesOf(laneTable)[name]!.id, lane.queue]),
      ),
    } as Record<QueueRole, StageQueue>;

    // Intake rejects unknown provider prefixes itself, so every created object is announced.
    inbox.notifyOnObjectCreated(intake.queue.queue);
    this.providerUploads = new ProviderUploads(this, 'Providers', { inbox, providers });

    // Every lane's queue, by lane: the stages' own lanes, then the extra ones.
    const ownLanes: Readonly<Record<string, StageQueue>> = {
      'event-bus': eventBus,
      ingest: ingest.queue,
      'ingest-container': ingestContainer.queue,
      'process-realtime': processStage.queue,
      deliver: deliver.queue,
    };
    const laneQueues = Object.fromEntries(
      Object.keys(laneTable).map((name) => {
        const queue = ownLanes[name] ?? extraLanes[name]?.queue;
        if (queue === undefined) {
          throw new Error(
            `Lane "${name}" (stage ${laneTable[name]!.stage}) has no queue: give it a PascalCase id to make it an extra lane, or use one of the stages' own lanes ${Object.keys(ownLanes).join(', ')}`,
          );
        }
        return [name, queue];
      }),
    );
    // The event bus is the scheduler's lanes: a publisher sends each event to the lane of its
    // priority, so bulk work's events (a replay, a forecast run) never queue before real time.
    const busLanes = Object.entries(laneQueues).filter(([name]) => laneTable[name]!.stage === 'scheduler');
    const busLanesJson = Stack.of(this).toJsonString(
      Object.fromEntries(
        busLanes.map(([name, queue]) => [name, { priority: laneTable[name]!.priority, queueUrl: queue.queueUrl }]),
      ),
    );
    const grantPublish = (publisher: ConfigurableGrantee): void => {
      // The real-time lane also by its own variable: deadline timers of real-time work go there.
      eventBus.grantSend(publisher);
      for (const [, queue] of busLanes) if (queue !== eventBus) queue.grantSendMessages(publisher);
      publisher.addEnvironment(Env.eventBusLanes, busLanesJson);
    };

    // Every stage runs each message once (idempotency records) and publishes its state on the
    // event bus; the scheduler sends to it too: deadline timers are delayed messages on it.
    // A message it gives up on leaves a failure record with the reason (read by the CLI only).
    for (const { fn } of [intake, scheduler, ingest, processStage, deliver, ...Object.values(extraLanes)]) {
      tables.grantReadWriteData('Idempotency', fn);
      tables.grantWriteData('Failures', fn);
      grantPublish(fn);
    }

    // intake: owns the catalog, registers uploads, moves rejected files to quarantine.
    inbox.grantReadObjects(intake.fn);
    inbox.grantDeleteObjects(intake.fn);
    quarantine.grantPutObjects(intake.fn);
    tables.grantReadWriteData('Catalog', intake.fn);

    // scheduler (every lane of the event bus): records events, sends work to the next stages;
    // a command to ingest-container also wakes a worker (ECS RunTask under the cap).
    const lanesJson = Stack.of(this).toJsonString(
      Object.fromEntries(
        Object.entries(laneQueues).map(([name, queue]) => [
          name,
          { stage: laneTable[name]!.stage, priority: laneTable[name]!.priority, queueUrl: queue.queueUrl },
        ]),
      ),
    );
    for (const { fn } of [scheduler, ...lanesOf('scheduler')]) {
      tables.grantReadWriteData('Scheduler', fn);
      tables.grantReadWriteData('EventStore', fn);
      for (const [name, queue] of Object.entries(laneQueues))
        if (laneTable[name]!.stage !== 'scheduler') queue.grantSendMessages(fn);
      fn.addEnvironment(Env.lanes, lanesJson);
      ingestContainer.grantWake(fn);
    }

    // ingest (the Lambda and the container worker): archives accepted files, moves corrupt ones
    // to quarantine, once per command id, and publishes what it did. It writes no catalog: the
    // catalog is intake's, and what ingest did is in its file.ingested event.
    for (const runtime of [ingest.fn, ...lanesOf('ingest').map((lane) => lane.fn), ingestContainer]) {
      inbox.grantReadObjects(runtime);
      inbox.grantDeleteObjects(runtime);
      archive.grantPutObjects(runtime);
      quarantine.grantPutObjects(runtime);
    }
    // The worker is no stage function: it gets the idempotency records, the failure records
    // (and its queue's receive bound) and the event bus here.
    tables.grantReadWriteData('Idempotency', ingestContainer);
    tables.grantWriteData('Failures', ingestContainer);
    ingestContainer.addEnvironment(
      Env.maxReceiveCount,
      String(topology.containers['ingest-container'].maxReceiveCount),
    );
    grantPublish(ingestContainer);
    // The ingest Lambda hands a file its time would not cover over to the worker.
    for (const { fn } of [ingest, ...lanesOf('ingest')]) {
      ingestContainer.queue.grantSend(fn);
      ingestContainer.grantWake(fn);
    }

    // process (every lane): turns archived files into products.
    for (const { fn } of [processStage, ...lanesOf('process')]) {
      archive.grantReadObjects(fn);
      products.grantReadObjects(fn);
      products.grantPutObjects(fn);
    }

    // deliver: starts one delivery saga per product; the saga publishes, registers, notifies
    // the subscribers and confirms, compensating a failed step.
    this.deliverySaga = new DeliverySaga(this, 'DeliverySaga', {
      projectRoot,
      products,
      distribution,
      tables,
      eventBus,
      subscribers: props.subscribers ?? defaultSubscribers,
    });
    for (const { fn } of [deliver, ...lanesOf('deliver')]) this.deliverySaga.grantStartExecution(fn);
    grantPublish(this.deliverySaga.fn);

    this.statusProjection = new StatusProjection(this, 'StatusProjection', { tables, projectRoot });
    // The projector folds claim-checked events too: it reads their data back (read only).
    claims.grantReadObjects(this.statusProjection.fn);
    this.statusProjection.fn.addEnvironment(Env.claimsBucket, claims.bucketName);
    this.calendar = new DeliveryCalendar(this, 'Calendar', { tables, eventBus, projectRoot });

    // Operations: a dashboard of every lane, and alarms notifying one topic.
    const laneOf = (role: QueueRole, name: string, fn?: PipelineStage): MonitoredLane => ({
      name,
      queue: this.queues[role],
      ...(fn === undefined ? {} : { fn: fn.fn }),
      ...(operations.oldestMessageAgeSecondsByLane[role] === undefined
        ? {}
        : { oldestMessageAgeSeconds: operations.oldestMessageAgeSecondsByLane[role] }),
    });
    this.monitoring = new OperationsMonitoring(this, 'Operations', {
      lanes: [
        laneOf('Intake', 'intake', intake),
        laneOf('EventBus', 'scheduler', scheduler),
        laneOf('Ingest', 'ingest', ingest),
        laneOf('IngestContainer', 'ingest (container)'),
        laneOf('Process', 'process (realtime)', processStage),
        laneOf('Deliver', 'deliver', deliver),
        ...Object.entries(extraLanes).map(([name, lane]) =>
          laneOf(
            extraLanesOf(laneTable)[name]!.id as QueueRole,
            `${laneTable[name]!.stage} (${laneTable[name]!.priority})`,
            lane,
          ),
        ),
      ],
      deliverySaga: this.deliverySaga,
      containerClusterName: ingestContainer.cluster.clusterName,
      timelinessBudgetSeconds: operations.timelinessBudgetSeconds,
      providers: providers.map((provider) => provider.name),
      oldestMessageAgeSeconds: operations.oldestMessageAgeSeconds,
      alarms: [
        this.deliverySaga.failedAlarm,
        this.deliverySaga.compensationFailedAlarm,
        ...Object.values(this.deliverySaga.subscriberQueues).flatMap((q) =>
          q.deadLetterAlarm === undefined ? [] : [q.deadLetterAlarm],
        ),
      ],
    });

    // Claim check: every runtime that sends events may move large data to the claims bucket,
    // under the prefix of the events it is the source of (`claimKeyOf`), and every reader of a
    // queue may load any of it back.
    const claimWriters: readonly [Stage, ConfigurableGrantee][] = [
      ['intake', intake.fn],
      ['scheduler', scheduler.fn],
      ['ingest', ingest.fn],
      ['ingest', ingestContainer],
      ['process', processStage.fn],
      ['deliver', deliver.fn],
      ['deliver', this.deliverySaga.fn],
      // An extra lane runs its stage's code: it writes that stage's claims.
      ...Object.entries(extraLanes).map(([name, lane]): [Stage, ConfigurableGrantee] => [
        laneTable[name]!.stage as Stage,
        lane.fn,
      ]),
    ];
    for (const [source, runtime] of claimWriters) {
      claims.grantPutObjects(runtime, claimPrefixOf(sourceOf(source)));
      claims.grantReadObjects(runtime);
    }

    this.addOutputs();
  }

  /** The stack's outputs, in the stack's scope so that their names do not depend on this construct's id. */
  private addOutputs(): void {
    const stack = Stack.of(this);
    const bucketNames: Record<BucketRole, string> = {
      Inbox: this.buckets.Inbox.bucketName,
      Quarantine: this.buckets.Quarantine.bucketName,
      Archive: this.buckets.Archive.bucketName,
      Products: this.buckets.Products.bucketName,
      Distribution: this.buckets.Distribution.bucketName,
      Claims: this.buckets.Claims.bucketName,
      AccessLogs: this.accessLogs.bucketName,
    };
    for (const role of BucketRoles) {
      new CfnOutput(stack, `${OutputPrefix.bucket}${role}`, {
        value: bucketNames[role],
        description: `Name of the ${role} bucket`,
      });
    }
    for (const [role, queue] of Object.entries(this.queues)) {
      new CfnOutput(stack, `${OutputPrefix.queue}${role}`, {
        value: queue.queueUrl,
        description: `URL of the ${role} queue`,
      });
      new CfnOutput(stack, `${OutputPrefix.queue}${role}Dlq`, {
        value: queue.deadLetterQueue.queueUrl,
        description: `URL of the dead-letter queue of the ${role} queue`,
      });
    }
    for (const [name, queue] of Object.entries(this.deliverySaga.subscriberQueues)) {
      new CfnOutput(stack, `${OutputPrefix.queue}Subscriber${name}`, {
        value: queue.queueUrl,
        description: `URL of the queue of subscriber ${name}`,
      });
      new CfnOutput(stack, `${OutputPrefix.queue}Subscriber${name}Dlq`, {
        value: queue.deadLetterQueue.queueUrl,
        description: `URL of the dead-letter queue of subscriber ${name}`,
      });
    }
    new CfnOutput(stack, `${OutputPrefix.worker}Ingest`, {
      value: this.ingestContainer.describeJson(),
      description:
        'The ingest worker as JSON: cluster, task definition, container, network settings and cap for RunTask, ListTasks and StopTask',
    });
    new CfnOutput(stack, 'AlarmTopic', {
      value: this.monitoring.topic.topicArn,
      description: 'ARN of the SNS topic every alarm notifies: subscribe operators (e-mail, chat, paging) to it',
    });
    new CfnOutput(stack, `${OutputPrefix.stateMachine}Delivery`, {
      value: this.deliverySaga.stateMachineArn,
      description: 'ARN of the delivery saga state machine (executions are named product-<productId>)',
    });
    for (const role of TableRoles) {
      new CfnOutput(stack, `${OutputPrefix.table}${role}`, {
        value: this.tables.table(role).tableName,
        description: `Name of the ${role} table`,
      });
    }
  }
}
