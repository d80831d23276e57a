/**
 * The container fallback of ingest: the Fargate worker, its image asset, its network, its task
 * role, and who may start it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env, OutputPrefix } from '#shared/config.ts';
import { buildApp, StackId } from '../app.ts';
import { topology, validateTopology, TopologyError, type Topology } from '../config.ts';
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

const settings = topology.containers['ingest-container'];

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** Every statement of the inline policies attached to a role. */
function statementsOf(json: TemplateJson, roleId: string): Statement[] {
  return Object.values(resourcesOfType(json, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.['Roles'] as unknown[]).some((r) => referencedId(r) === roleId))
    .flatMap((p) => (p.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement);
}

/** The logical ids a statement's resources refer to (Ref, GetAtt, or inside a Join). */
function referencedIds(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref.startsWith('AWS::') ? [] : [ref];
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return [String(getAtt[0])];
  return Object.values(value as Record<string, unknown>).flatMap((v) =>
    Array.isArray(v) ? v.flatMap(referencedIds) : referencedIds(v),
  );
}

describe('IngestContainer', () => {
  let json: TemplateJson;
  let outdir: string;
  let cleanup: () => void;
  let taskDefinitionId: string;
  let taskDefinition: CfnResourceJson;
  let container: Record<string, unknown>;

  beforeAll(() => {
    const out = tempOutdir();
    outdir = out.outdir;
    cleanup = out.cleanup;
    const { stack } = buildApp({ outdir });
    json = Template.fromStack(stack).toJSON() as TemplateJson;
    taskDefinitionId = logicalIdAt(json, `${PipelinePath}/IngestContainer/TaskDefinition/Resource`);
    taskDefinition = resource(json, taskDefinitionId, 'AWS::ECS::TaskDefinition');
    [container] = taskDefinition.Properties?.['ContainerDefinitions'] as [Record<string, unknown>];
  });

  afterAll(() => cleanup());

  it('defines an ARM64 Fargate task sized from the topology, running the bundle with a stop timeout', () => {
    // Assess
    expect(taskDefinition.Properties).toMatchObject({
      Cpu: String(settings.cpu),
      Memory: String(settings.memoryMiB),
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    expect(container).toMatchObject({
      Name: 'worker',
      Essential: true,
      Command: ['node', 'index.mjs'],
      WorkingDirectory: '/app',
      ReadonlyRootFilesystem: true,
      StopTimeout: settings.stopTimeoutSeconds,
    });
    expect(settings.graceSeconds).toBeLessThan(settings.stopTimeoutSeconds);
  });

  it('logs to its own log group', () => {
    // Act
    const options = container['LogConfiguration'] as { LogDriver: string; Options: Record<string, unknown> };
    const logGroup = resource(json, referencedId(options.Options['awslogs-group']), 'AWS::Logs::LogGroup');

    // Assess
    expect(options.LogDriver).toBe('awslogs');
    expect(cdkPath(logGroup)).toBe(`${PipelinePath}/IngestContainer/LogGroup/Resource`);
    expect(logGroup.Properties?.['RetentionInDays']).toBe(30);
  });

  it('gives the worker its queue, buckets, tables and timings in its environment', () => {
    // Act
    const environment = Object.fromEntries(
      (container['Environment'] as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
    );

    // Assess
    expect(Object.keys(environment).sort()).toEqual(
      [
        Env.ingestContainerQueueUrl,
        Env.workerIdleSeconds,
        Env.workerGraceSeconds,
        Env.workerLeaseSeconds,
        Env.archiveBucket,
        Env.quarantineBucket,
        Env.idempotencyTable,
        Env.failuresTable,
        Env.maxReceiveCount,
        Env.eventBusQueueUrl,
        Env.eventBusLanes,
        Env.claimsBucket,
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
      ].sort(),
    );
    expect(referencedId(environment[Env.ingestContainerQueueUrl])).toBe(
      referencedId(json.Outputs?.[`${OutputPrefix.queue}IngestContainer`]?.Value),
    );
    expect(environment[Env.workerGraceSeconds]).toBe(String(settings.graceSeconds));
  });

  it('builds its image at deploy time from a staged folder holding the bundle of container.ts and a node:22 slim Dockerfile', () => {
    // Prepare
    const assets = JSON.parse(readFileSync(join(outdir, `${StackId}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; platform?: string } }>;
    };

    // Act
    const images = Object.values(assets.dockerImages);
    const folder = join(outdir, images[0]!.source.directory);
    const dockerfile = readFileSync(join(folder, 'Dockerfile'), 'utf8');
    const bundle = readFileSync(join(folder, 'index.mjs'), 'utf8');

    // Assess
    expect(images).toHaveLength(1);
    expect(images[0]!.source.platform).toBe('linux/arm64');
    expect(dockerfile).toMatch(/^FROM \S+node:22-\S*slim$/m);
    expect(dockerfile).toMatch(/^COPY index\.mjs \.\/$/m);
    expect(bundle.split('\n', 1)[0]).toMatch(
      /^import \{ createRequire as (\w+) \} from 'node:module'; const require = \1\(import\.meta\.url\);$/,
    );
    expect(bundle).toContain('worker started');
    expect(JSON.stringify(container['Image'])).toContain(Object.keys(assets.dockerImages)[0]);
  });

  it('runs in two public subnets of two AZs with flow logs, gateway endpoints and no inbound traffic', () => {
    // Act
    const subnets = Object.values(resourcesOfType(json, 'AWS::EC2::Subnet'));
    const flowLogs = Object.values(resourcesOfType(json, 'AWS::EC2::FlowLog'));
    const endpoints = Object.values(resourcesOfType(json, 'AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify(e.Properties?.['ServiceName']),
    );
    const groupId = logicalIdAt(json, `${PipelinePath}/IngestContainer/SecurityGroup/Resource`);
    const group = resource(json, groupId, 'AWS::EC2::SecurityGroup');

    // Assess
    expect(subnets).toHaveLength(2);
    expect(subnets.every((s) => s.Properties?.['MapPublicIpOnLaunch'] === true)).toBe(true);
    expect(flowLogs).toHaveLength(1);
    expect(flowLogs[0]!.Properties).toMatchObject({ TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    expect(endpoints.some((e) => e.includes('.s3'))).toBe(true);
    expect(endpoints.some((e) => e.includes('.dynamodb'))).toBe(true);
    expect(group.Properties?.['SecurityGroupIngress']).toBeUndefined();
    expect(group.Properties?.['SecurityGroupEgress']).toEqual([
      { CidrIp: '0.0.0.0/0', Description: expect.any(String), FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
  });

  it('describes itself in the WorkerIngest output: cluster, task definition, container, network and cap', () => {
    // Prepare
    const value = json.Outputs?.[`${OutputPrefix.worker}Ingest`]?.Value as { 'Fn::Join': [string, unknown[]] };
    const clusterId = logicalIdAt(json, `${PipelinePath}/IngestContainer/Cluster/Resource`);

    // Act: the JSON with each reference replaced by its logical id.
    const text = value['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : referencedId(part))).join('');
    const described = JSON.parse(text) as Record<string, unknown>;

    // Assess
    expect(described).toEqual({
      cluster: clusterId,
      taskDefinition: taskDefinitionId,
      family: taskDefinition.Properties?.['Family'],
      container: 'worker',
      subnets: [expect.stringContaining('PublicSubnet1'), expect.stringContaining('PublicSubnet2')],
      securityGroups: [logicalIdAt(json, `${PipelinePath}/IngestContainer/SecurityGroup/Resource`)],
      assignPublicIp: 'ENABLED',
      maxTasks: settings.maxTasks,
    });
  });

  it('enables Container Insights on its cluster', () => {
    // Act
    const [cluster] = Object.values(resourcesOfType(json, 'AWS::ECS::Cluster'));

    // Assess
    expect(cluster!.Properties?.['ClusterSettings']).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);
  });

  it('consumes a queue with a dead-letter queue that no Lambda function reads', () => {
    // Prepare
    const queueId = referencedId(json.Outputs?.[`${OutputPrefix.queue}IngestContainer`]?.Value);
    const queue = resource(json, queueId, 'AWS::SQS::Queue');

    // Act
    const mappings = Object.values(resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')).filter(
      (m) => referencedId(m.Properties?.['EventSourceArn']) === queueId,
    );

    // Assess
    expect(mappings).toEqual([]);
    expect(queue.Properties?.['VisibilityTimeout']).toBe(settings.leaseSeconds);
    expect((queue.Properties?.['RedrivePolicy'] as { maxReceiveCount: number }).maxReceiveCount).toBe(
      settings.maxReceiveCount,
    );
  });

  it('grants the task role only its queue, the inbox, archive and quarantine objects, its two tables, its failure records, the event bus lanes and the claim check', () => {
    // Prepare
    const roleId = referencedId(taskDefinition.Properties?.['TaskRoleArn']);
    const pathOf = (id: string): string => cdkPath(json.Resources[id]!).replace(`${PipelinePath}/`, '');

    // Act
    const grants = statementsOf(json, roleId).map((s) => ({
      actions: actionsOf(s).sort(),
      on: [...new Set(resourcesOf(s).flatMap(referencedIds))].map(pathOf).sort(),
    }));

    // Assess
    expect(grants).toEqual([
      {
        actions: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        on: ['IngestContainer/Queue/Resource/Resource'],
      },
      // CDK merges statements with the same actions: the claim check's read and put join the others.
      {
        actions: ['s3:GetBucket*', 's3:GetObject*', 's3:List*'],
        on: ['Claims/Resource/Resource', 'Inbox/Resource/Resource'],
      },
      { actions: ['s3:DeleteObject*'], on: ['Inbox/Resource/Resource'] },
      {
        actions: expect.arrayContaining(['s3:Abort*', 's3:PutObject']),
        on: ['Archive/Resource/Resource', 'Claims/Resource/Resource', 'Quarantine/Resource/Resource'],
      },
      {
        actions: expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ]),
        on: ['Tables/Idempotency/Resource'],
      },
      // Failure records: written on the last receive before the DLQ, never read.
      {
        actions: expect.not.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan']),
        on: ['Tables/Failures/Resource'],
      },
      {
        actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        on: ['EventBusBulk/Queue/Resource/Resource', 'Scheduler/EventBus/Resource/Resource'],
      },
    ]);
  });

  it.each(['Scheduler', 'Ingest'])(
    "lets the %s role run the task definition, pass only its two roles to ECS and list and stop only the cluster's tasks",
    (stage) => {
      // Prepare
      const roleId = logicalIdAt(json, `${PipelinePath}/${stage}/FunctionRole/Resource`);
      const statements = statementsOf(json, roleId);
      const withAction = (action: string): Statement[] => statements.filter((s) => actionsOf(s).includes(action));
      const clusterId = logicalIdAt(json, `${PipelinePath}/IngestContainer/Cluster/Resource`);
      const inCluster = { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [clusterId, 'Arn'] } } };

      // Act
      const [runTask] = withAction('ecs:RunTask');
      const [passRole] = withAction('iam:PassRole');
      const [listTasks] = withAction('ecs:ListTasks');
      const [stopTask] = withAction('ecs:StopTask');

      // Assess
      expect(withAction('ecs:RunTask')).toHaveLength(1);
      expect(resourcesOf(runTask!)).toEqual([{ Ref: taskDefinitionId }]);
      expect(resourcesOf(passRole!).map(referencedId).sort()).toEqual(
        [
          referencedId(taskDefinition.Properties?.['ExecutionRoleArn']),
          referencedId(taskDefinition.Properties?.['TaskRoleArn']),
        ].sort(),
      );
      expect(passRole!.Condition).toEqual({ StringLike: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
      expect(listTasks!.Condition).toEqual(inCluster);
      expect(stopTask!.Condition).toEqual(inCluster);
      expect(referencedIds(stopTask!.Resource)).toEqual([clusterId]);
    },
  );
});

describe('topology validation of container workers', () => {
  const withWorker = (change: Partial<Topology['containers']['ingest-container']>): Topology => ({
    ...topology,
    containers: { 'ingest-container': { ...settings, ...change } },
  });

  it('refuses a grace period that does not end 5 s before ECS kills the task', () => {
    // Act
    const act = (): Topology => validateTopology(withWorker({ graceSeconds: 41, stopTimeoutSeconds: 45 }));

    // Assess
    expect(act).toThrow(TopologyError);
    expect(act).toThrow(
      'Topology of container "ingest-container": graceSeconds 41 is invalid; expected an integer from 0 to 40',
    );
  });

  it('refuses a memory size Fargate does not offer for the CPU size', () => {
    // Assess
    expect(() => validateTopology(withWorker({ cpu: 1024, memoryMiB: 1024 }))).toThrow(
      'memoryMiB 1024 is invalid for cpu 1024; expected 2048 to 8192 in steps of 1024',
    );
    expect(() => validateTopology(withWorker({ cpu: 1000 }))).toThrow(/cpu 1000 is invalid; expected one of 256, 512/);
  });

  it("refuses a stop timeout beyond Fargate's 120 s", () => {
    // Assess
    expect(() => validateTopology(withWorker({ stopTimeoutSeconds: 121 }))).toThrow(
      /stopTimeoutSeconds 121 is invalid; expected an integer from 2 to 120/,
    );
  });
});
