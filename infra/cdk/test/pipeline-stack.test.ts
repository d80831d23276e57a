import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env, OutputPrefix, Stages, type Stage } from '#shared/config.ts';
import { buildApp, PipelineStack, StackId } from '../app.ts';
import {
  Lanes,
  topology,
  validateTopology,
  TopologyError,
  type Lane,
  type StageSettings,
  type Topology,
} from '../config.ts';
import { TableRoles } from '../constructs/pipeline-tables.ts';
import { BucketRoles, QueueRoles } from '../constructs/cometflow-pipeline.ts';
import { subscribers } from '../subscribers.ts';
import { intakeViewOf, ReferenceProviders } from '#shared/conventions/providers.ts';
import { pascalOf } from '../constructs/provider-uploads.ts';
import { Resolver } from '../../../local/runtime/template.ts';
import {
  cdkPath,
  logicalIdAt,
  referencedId,
  resource,
  resourcesOfType,
  tempOutdir,
  type CfnResourceJson,
  type TemplateJson,
  PipelinePath,
} from './template-helpers.ts';

const pascal = (stage: Stage): string => stage.charAt(0).toUpperCase() + stage.slice(1);

/** A stage's function, its event source mapping and the queue that mapping reads. */
interface StageWiring {
  readonly functionId: string;
  readonly fn: CfnResourceJson;
  readonly mapping: CfnResourceJson;
  readonly queueId: string;
  readonly queue: CfnResourceJson;
}

/** Every consumer: the stages, then the extra lanes running a stage's code. */
const consumers: { name: string; id: string; stage: Stage; settings: StageSettings }[] = [
  ...Stages.map((stage) => ({ name: stage, id: pascal(stage), stage, settings: topology.stages[stage] })),
  ...(Object.keys(Lanes) as Lane[]).map((lane) => ({
    name: lane,
    id: Lanes[lane].id,
    stage: Lanes[lane].stage as Stage,
    settings: topology.lanes[lane],
  })),
];

function wiringOf(json: TemplateJson, stageOrId: string): StageWiring {
  const stage = stageOrId;
  const functionId = logicalIdAt(
    json,
    `${PipelinePath}/${/^[a-z]/.test(stageOrId) ? pascal(stageOrId as Stage) : stageOrId}/Function/Resource`,
  );
  const fn = resource(json, functionId, 'AWS::Lambda::Function');
  const mappings = Object.values(resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')).filter(
    (m) => referencedId(m.Properties?.['FunctionName']) === functionId,
  );
  expect(mappings, `event source mappings of ${stage}`).toHaveLength(1);
  const mapping = mappings[0] as CfnResourceJson;
  const queueId = referencedId(mapping.Properties?.['EventSourceArn']);
  return { functionId, fn, mapping, queueId, queue: resource(json, queueId, 'AWS::SQS::Queue') };
}

describe('PipelineStack', () => {
  let template: Template;
  let json: TemplateJson;
  let outdir: string;
  let cleanup: () => void;

  beforeAll(() => {
    const out = tempOutdir();
    outdir = out.outdir;
    cleanup = out.cleanup;
    const { stack } = buildApp({ outdir });
    template = Template.fromStack(stack);
    json = template.toJSON() as TemplateJson;
  });

  afterAll(() => cleanup());

  it('runs every stage function on nodejs22.x arm64 with the configured size', () => {
    // Prepare
    const wirings = Stages.map((stage) => [stage, wiringOf(json, stage)] as const);

    // Act
    const runtimes = wirings.map(([stage, { fn }]) => ({
      stage,
      runtime: fn.Properties?.['Runtime'],
      architectures: fn.Properties?.['Architectures'],
      timeout: fn.Properties?.['Timeout'],
      memory: fn.Properties?.['MemorySize'],
      tracing: fn.Properties?.['TracingConfig'],
    }));

    // Assess
    expect(runtimes).toEqual(
      Stages.map((stage) => ({
        stage,
        runtime: 'nodejs22.x',
        architectures: ['arm64'],
        timeout: topology.stages[stage].timeoutSeconds,
        memory: topology.stages[stage].memoryMiB,
        tracing: { Mode: 'Active' },
      })),
    );
  });

  it('runs no other Node.js function than the stages, their lanes, the delivery saga, the status projector and the calendar check', () => {
    // Prepare
    const functions = Object.values(resourcesOfType(json, 'AWS::Lambda::Function'));

    // Act
    const nodeFunctionPaths = functions
      .filter((fn) => String(fn.Properties?.['Runtime']).startsWith('nodejs'))
      .map(cdkPath)
      .sort();

    // Assess
    expect(nodeFunctionPaths).toEqual(
      [
        ...consumers.map((c) => `${PipelinePath}/${c.id}/Function/Resource`),
        `${PipelinePath}/DeliverySaga/Function/Resource`,
        `${PipelinePath}/StatusProjection/Function/Resource`,
        `${PipelinePath}/Calendar/Function/Resource`,
      ].sort(),
    );
  });

  it('reports batch item failures with the configured batch size on every event source mapping', () => {
    // Prepare
    const mappings = consumers.map((c) => [c.name, wiringOf(json, c.id).mapping] as const);

    // Act
    const settings = mappings.map(([stage, mapping]) => ({
      stage,
      responseTypes: mapping.Properties?.['FunctionResponseTypes'],
      batchSize: mapping.Properties?.['BatchSize'],
      maxConcurrency: (mapping.Properties?.['ScalingConfig'] as { MaximumConcurrency?: number } | undefined)
        ?.MaximumConcurrency,
    }));

    // Assess
    expect(settings).toEqual(
      consumers.map((c) => ({
        stage: c.name,
        responseTypes: ['ReportBatchItemFailures'],
        batchSize: c.settings.batchSize,
        maxConcurrency: c.settings.maxConcurrency,
      })),
    );
    // Besides the queue mappings, one reads a table stream (the projector's, operations.test.ts).
    const queueMappings = Object.values(resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')).filter(
      (m) => !JSON.stringify(m.Properties?.['EventSourceArn']).includes('StreamArn'),
    );
    expect(queueMappings).toHaveLength(consumers.length);
  });

  it('sets no reserved concurrency on any function', () => {
    // Act
    const reserved = Object.values(resourcesOfType(json, 'AWS::Lambda::Function')).filter(
      (fn) => fn.Properties?.['ReservedConcurrentExecutions'] !== undefined,
    );

    // Assess
    expect(reserved).toEqual([]);
  });

  it('redrives every source queue to its own DLQ after 3 receives and hides messages for 6 x the function timeout', () => {
    for (const stage of Stages) {
      // Prepare
      const { fn, queue } = wiringOf(json, stage);
      const redrive = queue.Properties?.['RedrivePolicy'] as { deadLetterTargetArn: unknown; maxReceiveCount: number };

      // Act
      const dlq = resource(json, referencedId(redrive.deadLetterTargetArn), 'AWS::SQS::Queue');
      const visibility = Number(queue.Properties?.['VisibilityTimeout']);
      const functionTimeout = Number(fn.Properties?.['Timeout']);

      // Assess
      expect(redrive.maxReceiveCount, stage).toBe(3);
      expect(dlq.Properties?.['RedrivePolicy'], stage).toBeUndefined();
      expect(dlq.Properties?.['MessageRetentionPeriod'], stage).toBe(14 * 24 * 60 * 60);
      expect(visibility, stage).toBeGreaterThanOrEqual(6 * functionTimeout);
    }
  });

  it('consumes each queue with exactly one stage, the event bus with the scheduler', () => {
    // Prepare
    const queueOf = (stage: Stage): string => wiringOf(json, stage).queueId;

    // Act
    const consumed = Stages.map(queueOf);
    const eventBusId = referencedId(json.Outputs?.[`${OutputPrefix.queue}EventBus`]?.Value);

    // Assess
    expect(new Set(consumed).size).toBe(Stages.length);
    expect(queueOf('scheduler')).toBe(eventBusId);
  });

  it('sends object-created events of the inbox, unfiltered, to the intake queue only', () => {
    // Prepare
    const inboxId = referencedId(json.Outputs?.[`${OutputPrefix.bucket}Inbox`]?.Value);
    const intakeQueueId = wiringOf(json, 'intake').queueId;

    // Act
    const notifications = Object.values(resourcesOfType(json, 'Custom::S3BucketNotifications'));

    // Assess
    expect(notifications).toHaveLength(1);
    const [notification] = notifications as [CfnResourceJson];
    expect(referencedId(notification.Properties?.['BucketName'])).toBe(inboxId);
    expect(notification.Properties?.['NotificationConfiguration']).toEqual({
      QueueConfigurations: [{ Events: ['s3:ObjectCreated:*'], QueueArn: { 'Fn::GetAtt': [intakeQueueId, 'Arn'] } }],
    });
  });

  it('blocks public access, encrypts, logs and retains every bucket', () => {
    // Prepare
    const accessLogsId = referencedId(json.Outputs?.[`${OutputPrefix.bucket}AccessLogs`]?.Value);

    // Act
    const buckets = Object.entries(resourcesOfType(json, 'AWS::S3::Bucket'));

    // Assess
    expect(buckets).toHaveLength(BucketRoles.length);
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties?.['PublicAccessBlockConfiguration'], id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties?.['BucketEncryption'], id).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      expect(bucket.Properties?.['VersioningConfiguration'], id).toBeUndefined();
      expect(bucket.DeletionPolicy, id).toBe('Retain');
      if (id !== accessLogsId) {
        const logging = bucket.Properties?.['LoggingConfiguration'] as {
          DestinationBucketName: unknown;
          LogFilePrefix: string;
        };
        expect(referencedId(logging.DestinationBucketName), id).toBe(accessLogsId);
        expect(logging.LogFilePrefix, id).toMatch(/^[a-z]+\/$/);
      }
    }
  });

  it('denies requests without TLS on every bucket and every queue', () => {
    // Prepare
    const denyInsecure = Match.arrayWith([
      Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
    const bucketIds = Object.keys(resourcesOfType(json, 'AWS::S3::Bucket'));
    const queueIds = Object.keys(resourcesOfType(json, 'AWS::SQS::Queue'));

    // Act
    const bucketPolicies = Object.values(
      template.findResources('AWS::S3::BucketPolicy', {
        Properties: { PolicyDocument: { Statement: denyInsecure } },
      }),
    );
    const queuePolicies = Object.values(
      template.findResources('AWS::SQS::QueuePolicy', {
        Properties: { PolicyDocument: { Statement: denyInsecure } },
      }),
    );

    // Assess
    expect(bucketPolicies.map((p) => referencedId(p.Properties.Bucket)).sort()).toEqual(bucketIds.sort());
    expect(queuePolicies.flatMap((p) => (p.Properties.Queues as unknown[]).map(referencedId)).sort()).toEqual(
      queueIds.sort(),
    );
  });

  it('encrypts every queue with SQS-managed keys', () => {
    // Act
    const queues = Object.entries(resourcesOfType(json, 'AWS::SQS::Queue'));

    // Assess
    // Each role's queue and DLQ, each subscriber's, and the projector's on-failure queue.
    expect(queues).toHaveLength(2 * (QueueRoles.length + subscribers.length) + 1);
    for (const [id, queue] of queues) {
      expect(queue.Properties?.['SqsManagedSseEnabled'], id).toBe(true);
    }
  });

  it('alarms as soon as any dead-letter queue holds a message', () => {
    // Prepare
    const dlqIds = [...QueueRoles, ...subscribers.map((s) => `Subscriber${s.name}`)].map((role) =>
      referencedId(json.Outputs?.[`${OutputPrefix.queue}${role}Dlq`]?.Value),
    );

    // Act
    const alarmedQueues = Object.values(resourcesOfType(json, 'AWS::CloudWatch::Alarm'))
      .filter(
        (a) =>
          a.Properties?.['MetricName'] === 'ApproximateNumberOfMessagesVisible' &&
          a.Properties?.['Threshold'] === 0 &&
          a.Properties?.['ComparisonOperator'] === 'GreaterThanThreshold',
      )
      .map((a) => {
        const [dimension] = a.Properties?.['Dimensions'] as [{ Name: string; Value: unknown }];
        return referencedId(dimension.Value);
      });

    // Assess
    expect(alarmedQueues.sort()).toEqual(dlqIds.sort());
  });

  it('creates on-demand, recoverable, encrypted and retained tables with their keys', () => {
    // Prepare
    const tableId = (role: string): string => referencedId(json.Outputs?.[`${OutputPrefix.table}${role}`]?.Value);
    const keyOf = (role: string): unknown =>
      resource(json, tableId(role), 'AWS::DynamoDB::Table').Properties?.['KeySchema'];
    const ttlOf = (role: string): unknown =>
      resource(json, tableId(role), 'AWS::DynamoDB::Table').Properties?.['TimeToLiveSpecification'];

    // Act
    const tables = Object.entries(resourcesOfType(json, 'AWS::DynamoDB::Table'));

    // Assess
    expect(tables).toHaveLength(TableRoles.length);
    for (const [id, table] of tables) {
      expect(table.Properties?.['BillingMode'], id).toBe('PAY_PER_REQUEST');
      expect(table.Properties?.['PointInTimeRecoverySpecification'], id).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties?.['SSESpecification'], id).toEqual({ SSEEnabled: true });
      expect(table.DeletionPolicy, id).toBe('Retain');
    }
    const pkSk = [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ];
    expect(keyOf('Catalog')).toEqual(pkSk);
    expect(keyOf('Scheduler')).toEqual(pkSk);
    expect(keyOf('EventStore')).toEqual(pkSk);
    expect(keyOf('Deliveries')).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(keyOf('Idempotency')).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(ttlOf('Scheduler')).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(ttlOf('EventStore')).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(ttlOf('Idempotency')).toEqual({ AttributeName: 'expiration', Enabled: true });
    expect(
      resource(json, tableId('EventStore'), 'AWS::DynamoDB::Table').Properties?.['GlobalSecondaryIndexes'],
    ).toEqual([
      {
        IndexName: 'byDay',
        KeySchema: [
          { AttributeName: 'day', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it('gives each function exactly the environment of its stage', () => {
    // Prepare: whoever sends to ingest-container (the scheduler; ingest, for a hand-over) can wake the worker.
    const wakeVariables = [
      Env.workerClusterArn,
      Env.workerTaskDefinitionArn,
      Env.workerTaskFamily,
      Env.workerContainerName,
      Env.workerSubnets,
      Env.workerSecurityGroups,
      Env.workerAssignPublicIp,
      Env.workerMaxTasks,
    ];
    const expected: Record<Stage, string[]> = {
      intake: [
        Env.eventBusQueueUrl,
        Env.eventBusLanes,
        Env.quarantineBucket,
        Env.catalogTable,
        Env.idempotencyTable,
        Env.providers,
      ],
      scheduler: [
        Env.eventBusQueueUrl,
        Env.eventBusLanes,
        Env.deadlineMinimumWaitSeconds,
        Env.lanes,
        Env.schedulerTable,
        Env.eventStoreTable,
        Env.idempotencyTable,
        ...wakeVariables,
      ],
      ingest: [
        Env.eventBusQueueUrl,
        Env.eventBusLanes,
        Env.archiveBucket,
        Env.quarantineBucket,
        Env.idempotencyTable,
        Env.ingestContainerQueueUrl,
        ...wakeVariables,
      ],
      process: [Env.eventBusQueueUrl, Env.eventBusLanes, Env.productsBucket, Env.idempotencyTable],
      deliver: [Env.eventBusQueueUrl, Env.eventBusLanes, Env.deliveryStateMachineArn, Env.idempotencyTable],
    };
    // Every function may check in event data too large for a message (claim check), and writes
    // the failure record of a message on its queue's last receive.
    const powertools = [
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      Env.claimsBucket,
      Env.failuresTable,
      Env.maxReceiveCount,
    ];

    for (const { id, stage } of consumers) {
      // Act
      const variables = (wiringOf(json, id).fn.Properties?.['Environment'] as { Variables: Record<string, unknown> })
        .Variables;

      // Assess: a lane has exactly the environment of the stage whose code it runs.
      expect(Object.keys(variables).sort(), id).toEqual([...expected[stage], ...powertools].sort());
      expect(variables['POWERTOOLS_SERVICE_NAME'], stage).toBe(stage);
      expect(variables['POWERTOOLS_METRICS_NAMESPACE'], stage).toBe('cometflow');
    }
    // Intake holds each upload to its provider's entry of rules/providers.json.
    const intakeProviders = (
      wiringOf(json, 'intake').fn.Properties?.['Environment'] as { Variables: Record<string, unknown> }
    ).Variables[Env.providers];
    expect(JSON.parse(String(intakeProviders))).toEqual(intakeViewOf(ReferenceProviders));
  });

  it('gives the scheduler every lane with its stage, priority and queue, and the event bus to every stage', () => {
    // Prepare
    const schedulerEnv = (
      wiringOf(json, 'scheduler').fn.Properties?.['Environment'] as { Variables: Record<string, unknown> }
    ).Variables;
    const intakeEnv = (
      wiringOf(json, 'intake').fn.Properties?.['Environment'] as { Variables: Record<string, unknown> }
    ).Variables;
    const resolver = new Resolver({ region: 'us-east-1', stackName: StackId });
    for (const id of Object.keys(resourcesOfType(json, 'AWS::SQS::Queue')))
      resolver.define(id, { ref: `queue:${id}`, attributes: { QueueUrl: `queue:${id}` } });

    // Act
    const lanes = JSON.parse(String(resolver.resolve(schedulerEnv[Env.lanes]))) as Record<
      string,
      { stage: string; priority: string; queueUrl: string }
    >;

    // Assess
    const queueOf = (role: string): string =>
      `queue:${referencedId(json.Outputs?.[`${OutputPrefix.queue}${role}`]?.Value)}`;
    expect(lanes).toEqual({
      'event-bus': { stage: 'scheduler', priority: 'realtime', queueUrl: queueOf('EventBus') },
      'event-bus-bulk': { stage: 'scheduler', priority: 'bulk', queueUrl: queueOf('EventBusBulk') },
      ingest: { stage: 'ingest', priority: 'realtime', queueUrl: queueOf('Ingest') },
      'ingest-bulk': { stage: 'ingest', priority: 'bulk', queueUrl: queueOf('IngestBulk') },
      'ingest-container': { stage: 'ingest-container', priority: 'bulk', queueUrl: queueOf('IngestContainer') },
      'process-realtime': { stage: 'process', priority: 'realtime', queueUrl: queueOf('Process') },
      'process-bulk': { stage: 'process', priority: 'bulk', queueUrl: queueOf('ProcessBulk') },
      deliver: { stage: 'deliver', priority: 'realtime', queueUrl: queueOf('Deliver') },
    });
    expect(queueOf('Ingest')).toBe(`queue:${wiringOf(json, 'ingest').queueId}`);
    expect(referencedId(intakeEnv[Env.eventBusQueueUrl])).toBe(wiringOf(json, 'scheduler').queueId);
    // Every publisher chooses the event bus lane by the event's priority, from the same table.
    expect(JSON.parse(String(resolver.resolve(intakeEnv[Env.eventBusLanes])))).toEqual({
      'event-bus': { priority: 'realtime', queueUrl: queueOf('EventBus') },
      'event-bus-bulk': { priority: 'bulk', queueUrl: queueOf('EventBusBulk') },
    });
  });

  it('bundles every stage as one ESM file that defines require and exports handler', () => {
    for (const stage of Stages) {
      // Prepare
      const { fn } = wiringOf(json, stage);
      const assetPath = String(fn.Metadata?.['aws:asset:path']);

      // Act
      const bundle = readFileSync(join(outdir, assetPath, 'index.mjs'), 'utf8');

      // Assess
      expect(fn.Properties?.['Handler'], stage).toBe('index.handler');
      expect(fn.Metadata?.['aws:asset:is-bundled'], stage).toBe(true);
      expect(assetPath, stage).toMatch(/^asset\.[0-9a-f]{64}$/);
      expect((fn.Properties?.['Code'] as { S3Key: string }).S3Key, stage).toBe(
        `${assetPath.slice('asset.'.length)}.zip`,
      );
      expect(bundle.split('\n', 1)[0], stage).toMatch(
        /^import \{ createRequire as (\w+) \} from 'node:module'; const require = \1\(import\.meta\.url\);$/,
      );
      expect(/export\{[\w$]+ as handler\}/.test(bundle), `${stage} exports handler`).toBe(true);
    }
  });

  it('exports a name, URL or ARN output for every bucket, queue, table, state machine and the alarm topic, without exports', () => {
    // Prepare
    const expected = [
      ...BucketRoles.map((r) => [`${OutputPrefix.bucket}${r}`, 'AWS::S3::Bucket'] as const),
      ...[...QueueRoles, ...subscribers.map((s) => `Subscriber${s.name}`)].flatMap((r) => [
        [`${OutputPrefix.queue}${r}`, 'AWS::SQS::Queue'] as const,
        [`${OutputPrefix.queue}${r}Dlq`, 'AWS::SQS::Queue'] as const,
      ]),
      ...TableRoles.map((r) => [`${OutputPrefix.table}${r}`, 'AWS::DynamoDB::Table'] as const),
      [`${OutputPrefix.stateMachine}Delivery`, 'AWS::StepFunctions::StateMachine'] as const,
      ['AlarmTopic', 'AWS::SNS::Topic'] as const,
    ];

    // Act
    const outputs = json.Outputs ?? {};

    // Assess
    expect(Object.keys(outputs).sort()).toEqual(
      [
        ...expected.map(([name]) => name),
        `${OutputPrefix.worker}Ingest`,
        ...ReferenceProviders.map((provider) => `${OutputPrefix.provider}${pascalOf(provider.name)}`),
      ].sort(),
    );
    for (const [name, type] of expected) {
      const output = outputs[name] as { Value: unknown; Export?: unknown };
      expect(output.Export, name).toBeUndefined();
      expect(json.Resources[referencedId(output.Value)]?.Type, name).toBe(type);
    }
    for (const role of QueueRoles) {
      const queue = resource(json, referencedId(outputs[`${OutputPrefix.queue}${role}`]?.Value), 'AWS::SQS::Queue');
      const redrive = queue.Properties?.['RedrivePolicy'] as { deadLetterTargetArn: unknown };
      expect(referencedId(redrive.deadLetterTargetArn), role).toBe(
        referencedId(outputs[`${OutputPrefix.queue}${role}Dlq`]?.Value),
      );
    }
  });
});

describe('topology validation', () => {
  const withIngest = (change: Partial<Topology['stages']['ingest']>): Topology => ({
    ...topology,
    stages: { ...topology.stages, ingest: { ...topology.stages.ingest, ...change } },
  });

  it('accepts the deployed topology', () => {
    // Act
    const checked = validateTopology(topology);

    // Assess
    expect(checked).toBe(topology);
  });

  it('throws a message naming the stage, the bad batch size and the allowed range', () => {
    // Prepare
    const bad = withIngest({ batchSize: 11 });

    // Act
    const act = (): Topology => validateTopology(bad);

    // Assess
    expect(act).toThrow(TopologyError);
    expect(act).toThrow('Topology of stage "ingest": batchSize 11 is invalid; expected an integer from 1 to 10');
  });

  it('throws for a batch size of zero or a fraction', () => {
    // Assess
    expect(() => validateTopology(withIngest({ batchSize: 0 }))).toThrow(/batchSize 0 is invalid/);
    expect(() => validateTopology(withIngest({ batchSize: 2.5 }))).toThrow(/batchSize 2\.5 is invalid/);
  });

  it('throws for an event source concurrency below 2', () => {
    // Assess
    expect(() => validateTopology(withIngest({ maxConcurrency: 1 }))).toThrow(/maxConcurrency 1 is invalid.*2 to 1000/);
  });

  it("checks the sizing of a team's own extra lane like the reference lanes'", () => {
    // Prepare
    const sized = { ...topology.stages.deliver, batchSize: 11 };
    const withTeamLane: Topology = { ...topology, lanes: { ...topology.lanes, 'deliver-bulk': sized } };

    // Act
    const act = (): Topology => validateTopology(withTeamLane);

    // Assess
    expect(act).toThrow('Topology of lane "deliver-bulk": batchSize 11 is invalid; expected an integer from 1 to 10');
  });

  it('refuses to build a stack from an invalid topology', () => {
    // Prepare
    const app = new App();

    // Act
    const act = (): PipelineStack => new PipelineStack(app, 'Invalid', { topology: withIngest({ batchSize: 11 }) });

    // Assess
    expect(act).toThrow(/stage "ingest": batchSize 11/);
  });
});
