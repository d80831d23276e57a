/**
 * The container fallback of ingest: files too large or too slow for Lambda are ingested by the
 * same code (`ingestFile`) in an ECS Fargate task, started on demand with RunTask by whoever
 * sends it work (the scheduler, or the ingest Lambda handing a file over) and consuming its own
 * `StageQueue` until the queue stays empty.
 *
 * Networking: a VPC of two public subnets (two AZs), tasks with a public IP and a security group
 * that admits nothing and lets out only HTTPS. Isolated subnets would need interface endpoints
 * for SQS, ECR (api and dkr), CloudWatch Logs and ECS (about USD 7 a month each per AZ, some
 * USD 60 a month before the first file) or NAT gateways (about USD 32 a month each); tasks
 * that run minutes a day do not justify that. S3 and DynamoDB, which carry the bulk of the
 * bytes, are reached through gateway endpoints (free, the data never crosses the internet
 * gateway). VPC flow logs go to CloudWatch Logs.
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import {
  type CfnCluster,
  Cluster,
  ContainerInsights,
  CpuArchitecture,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  type ContainerDefinition,
} from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement, Role, ServicePrincipal, type IGrantable, type IPrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Env } from '#shared/config.ts';
import type { ContainerSettings } from '../config.ts';
import { bundledImage, BundleFileName } from './bundled-image.ts';
import { acknowledgeFindings, acknowledgeOnGrantee } from './nag.ts';
import { MetricsNamespace, type ConfigurableGrantee } from './bundled-function.ts';
import { StageQueue } from './stage-queue.ts';

/** Properties of an `IngestContainer`. */
export interface IngestContainerProps {
  /** Size, cap and timings of the worker. */
  readonly settings: ContainerSettings;
  /** Folder holding package.json, package-lock.json and `functions/`. */
  readonly projectRoot: string;
  /**
   * The worker's entry file, bundled into the image.
   * @default - `functions/ingest/container.ts` under `projectRoot`
   */
  readonly entry?: string;
  /**
   * The Dockerfile of the image.
   * @default - `infra/cdk/container/Dockerfile` under `projectRoot`
   */
  readonly dockerfile?: string;
  /**
   * How long the worker's logs and the VPC flow logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** The name of the worker's container in its task definition (RunTask overrides name it). */
export const WorkerContainerName = 'worker';

/**
 * A queue and the Fargate worker that consumes it: VPC, cluster (Container Insights), ARM64 task
 * definition whose image holds the esbuild bundle of the worker entry, its log group, a task
 * role that starts with no permission (grant it with the buckets' and tables' intent methods),
 * and the settings a waker needs (`wakeEnvironment`, `grantWake`).
 *
 * @example
 * const worker = new IngestContainer(this, 'IngestContainer', { settings, projectRoot });
 * archive.grantPutObjects(worker);
 * worker.grantWake(scheduler.fn); // also sets the variables wakeWorker reads
 */
export class IngestContainer extends Construct implements IGrantable {
  /** The queue the worker consumes, with its dead-letter queue. */
  public readonly queue: StageQueue;
  public readonly vpc: Vpc;
  public readonly cluster: Cluster;
  public readonly taskDefinition: FargateTaskDefinition;
  public readonly container: ContainerDefinition;
  /** The role the worker's code runs with. */
  public readonly taskRole: Role;
  public readonly securityGroup: SecurityGroup;
  /** The worker's log group. */
  public readonly logGroup: LogGroup;
  private readonly settings: ContainerSettings;

  public constructor(scope: Construct, id: string, props: IngestContainerProps) {
    super(scope, id);
    const { settings, projectRoot } = props;
    this.settings = settings;
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.queue = new StageQueue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(settings.leaseSeconds),
      maxReceiveCount: settings.maxReceiveCount,
      urlVariable: Env.ingestContainerQueueUrl,
    });

    const flowLogs = new LogGroup(this, 'FlowLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
      // Restricting the default security group takes a custom-resource Lambda; nothing here
      // uses the default group: the tasks have their own.
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        FlowLog: { destination: FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: FlowLogTrafficType.ALL },
      },
    });

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'cometflow ingest worker: no inbound traffic, outbound HTTPS to AWS APIs only',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      Peer.anyIpv4(),
      Port.tcp(443),
      'HTTPS to S3, SQS, DynamoDB, ECR and CloudWatch Logs',
    );

    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ContainerInsights.ENABLED });

    this.logGroup = new LogGroup(this, 'LogGroup', { retention, removalPolicy: RemovalPolicy.RETAIN });
    this.taskRole = new Role(this, 'TaskRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Task role of the cometflow ingest worker',
    });
    this.taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: settings.cpu,
      memoryLimitMiB: settings.memoryMiB,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
      taskRole: this.taskRole,
    });

    const { image, cleanup } = bundledImage({
      entry: props.entry ?? join(projectRoot, 'functions', 'ingest', 'container.ts'),
      projectRoot,
      dockerfile: props.dockerfile ?? join(projectRoot, 'infra', 'cdk', 'container', 'Dockerfile'),
    });
    try {
      this.container = this.taskDefinition.addContainer('Worker', {
        containerName: WorkerContainerName,
        image,
        // Also the Dockerfile's CMD; stated here so that the template says what runs (the local
        // runtime runs this command on the bundle).
        command: ['node', BundleFileName],
        workingDirectory: '/app',
        essential: true,
        readonlyRootFilesystem: true,
        stopTimeout: Duration.seconds(settings.stopTimeoutSeconds),
        logging: LogDrivers.awsLogs({ streamPrefix: 'ingest', logGroup: this.logGroup }),
        environment: {
          [Env.ingestContainerQueueUrl]: this.queue.queueUrl,
          [Env.workerIdleSeconds]: String(settings.idleSeconds),
          [Env.workerGraceSeconds]: String(settings.graceSeconds),
          [Env.workerLeaseSeconds]: String(settings.leaseSeconds),
          POWERTOOLS_SERVICE_NAME: 'ingest',
          POWERTOOLS_METRICS_NAMESPACE: MetricsNamespace,
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      });
    } finally {
      // CDK copied the folder into the cloud assembly when the image was bound.
      cleanup();
    }
    this.queue.queue.grantConsumeMessages(this.taskRole);

    acknowledgeFindings(this.taskDefinition, [
      {
        rule: 'ECS2',
        reason:
          'The environment holds resource names, queue URLs and timings set by the CDK app, no secrets; the worker reads no secret at all.',
      },
    ]);
    const executionRole = this.taskDefinition.executionRole;
    if (executionRole !== undefined) {
      acknowledgeFindings(executionRole, [
        {
          rule: 'IAM5[Resource::*]',
          reason:
            'The execution role pulls the worker image from ECR: ecr:GetAuthorizationToken supports no resource-level permissions.',
        },
      ]);
    }
  }

  /** The task role: grant it what the worker's code needs. */
  public get grantPrincipal(): IPrincipal {
    return this.taskRole;
  }

  /** Adds a variable to the worker container's environment. */
  public addEnvironment(name: string, value: string): this {
    this.container.addEnvironment(name, value);
    return this;
  }

  /**
   * The worker as a JSON string (a stack output): what an operator or a test needs to list, run
   * and stop its tasks (`WorkerDescription` in local/stack-description.ts).
   */
  public describeJson(): string {
    return Stack.of(this).toJsonString({
      cluster: this.cluster.clusterArn,
      taskDefinition: this.taskDefinition.taskDefinitionArn,
      family: this.taskDefinition.family,
      container: this.container.containerName,
      subnets: this.vpc.selectSubnets({ subnetType: SubnetType.PUBLIC }).subnetIds,
      securityGroups: [this.securityGroup.securityGroupId],
      assignPublicIp: 'ENABLED',
      maxTasks: this.settings.maxTasks,
    });
  }

  /** What a waker (`wakeWorker` in shared/containers/wake.ts) reads from its environment. */
  public wakeEnvironment(): Record<string, string> {
    return {
      [Env.workerClusterArn]: this.cluster.clusterArn,
      [Env.workerTaskDefinitionArn]: this.taskDefinition.taskDefinitionArn,
      [Env.workerTaskFamily]: this.taskDefinition.family,
      [Env.workerContainerName]: this.container.containerName,
      [Env.workerSubnets]: this.vpc.selectSubnets({ subnetType: SubnetType.PUBLIC }).subnetIds.join(','),
      [Env.workerSecurityGroups]: this.securityGroup.securityGroupId,
      [Env.workerAssignPublicIp]: 'ENABLED',
      [Env.workerMaxTasks]: String(this.settings.maxTasks),
    };
  }

  /**
   * Lets `grantee` start the worker and keep to the cap: ecs:RunTask on this task definition,
   * iam:PassRole on its task and execution roles (to ECS only), ecs:ListTasks in this cluster,
   * and ecs:DescribeTasks and ecs:StopTask on this cluster's tasks (to stop a task that a race
   * started over the cap). Also tells `grantee` what a waker reads (`wakeEnvironment`).
   */
  public grantWake(grantee: ConfigurableGrantee): void {
    for (const [name, value] of Object.entries(this.wakeEnvironment())) grantee.addEnvironment(name, value);
    this.taskDefinition.grantRun(grantee);
    const inCluster = { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: inCluster,
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
        resources: [
          Stack.of(this).formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.cluster.clusterName}/*` }),
        ],
        conditions: inCluster,
      }),
    );
    acknowledgeOnGrantee(grantee, [
      {
        rule: 'IAM5[Resource::*]',
        reason:
          'ecs:ListTasks supports no resource-level permissions; the statement is limited to the worker cluster by the ecs:cluster condition.',
      },
      {
        rule: `IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${String(Stack.of(this).resolve((this.cluster.node.defaultChild as CfnCluster).logicalId))}>/*]`,
        reason:
          'DescribeTasks and StopTask on the tasks of the worker cluster only; task ids are not known in advance.',
      },
    ]);
  }
}
