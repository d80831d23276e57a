/**
 * The machine-readable description of a running stack: where its endpoints are and the real
 * names of its resources. The local runtime writes it to `.cometflow/local-stack.json`; for a
 * stack deployed with `cdk deploy --outputs-file` (AWS or LocalStack) it is derived from the
 * same stack outputs. Testers and the integration suite start from it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { dirname, join } from 'node:path';
import { OutputPrefix } from '#shared/config.ts';

export interface StackDescription {
  readonly stackName: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Endpoint per service; absent on real AWS, where the SDK's defaults apply. */
  readonly endpoints: {
    readonly s3?: string;
    readonly sqs?: string;
    readonly dynamodb?: string;
    readonly stepfunctions?: string;
    readonly ecs?: string;
  };
  readonly buckets: Record<string, string>;
  readonly queues: Record<string, string>;
  readonly tables: Record<string, string>;
  /** State machine ARNs by role (`StateMachine<Role>` outputs), e.g. `delivery`. */
  readonly stateMachines?: Record<string, string>;
  /** Container workers by role (`Worker<Role>` outputs), e.g. `ingest`: how to list, run and stop their tasks. */
  readonly workers?: Record<string, WorkerDescription>;
  /**
   * Providers by name (`Provider<Name>` outputs): the role a provider assumes to upload, the
   * inbox bucket and the prefix it may write, its largest file and naming conventions.
   */
  readonly providers?: Record<string, ProviderUpload>;
  /** The process serving a local stack, so a client can tell whether it still runs. */
  readonly pid?: number;
  readonly startedAt?: string;
}

/** A provider's upload: the `Provider<Name>` output (`ProviderUploadOutput` of the CDK app). */
export interface ProviderUpload {
  readonly name: string;
  readonly prefix: string;
  readonly bucket: string;
  readonly roleArn: string;
  readonly maxFileBytes: number;
  readonly conventions: readonly string[];
}

/** How to run a container worker with ECS RunTask, and where its tasks are. */
export interface WorkerDescription {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly family: string;
  readonly container: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  /** The concurrency cap the wakers respect. */
  readonly maxTasks: number;
}

/**
 * The RunTask input that starts one task of a container worker as its description says, with
 * extra variables for its container: what a tester or a benchmark sends to start a worker by hand.
 *
 * @example
 * await ecs.send(new RunTaskCommand(runTaskInputOf(description.workers.ingest, 'cometflow-test')));
 */
export function runTaskInputOf(
  worker: WorkerDescription,
  startedBy: string,
  environment: Readonly<Record<string, string>> = {},
): RunTaskCommandInput {
  return {
    cluster: worker.cluster,
    taskDefinition: worker.taskDefinition,
    launchType: 'FARGATE',
    count: 1,
    startedBy,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...worker.subnets],
        securityGroups: [...worker.securityGroups],
        assignPublicIp: worker.assignPublicIp,
      },
    },
    overrides: {
      containerOverrides: [
        { name: worker.container, environment: Object.entries(environment).map(([name, value]) => ({ name, value })) },
      ],
    },
  };
}

/**
 * Whether the process that wrote a local stack's description still runs: a description left by
 * a killed process is stale. Deployed stacks have no pid and always count as running.
 */
export function isServing(description: Pick<StackDescription, 'pid'>): boolean {
  if (description.pid === undefined) return true;
  try {
    process.kill(description.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where a local stack whose state is in `stateDir` describes itself. */
export const descriptionFileIn = (stateDir: string): string => join(stateDir, 'local-stack.json');

/** Where the project's local stack (state in `.cometflow`, the default) describes itself. */
export const descriptionPath = (projectRoot: string): string => descriptionFileIn(join(projectRoot, '.cometflow'));

const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);

/**
 * Sorts stack outputs (`BucketInbox`, `QueueIntakeDlq`, `TableCatalog`, `StateMachineDelivery`,
 * `WorkerIngest`, `ProviderEumetsat`) into roles.
 */
export function resourcesFromOutputs(
  outputs: Record<string, string>,
): Pick<StackDescription, 'buckets' | 'queues' | 'tables' | 'stateMachines' | 'workers' | 'providers'> {
  const pick = (prefix: string): Record<string, string> =>
    Object.fromEntries(
      Object.entries(outputs)
        .filter(([name]) => name.startsWith(prefix) && name.length > prefix.length)
        .map(([name, value]): [string, string] => [lowerFirst(name.slice(prefix.length)), value])
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  return {
    buckets: pick(OutputPrefix.bucket),
    queues: pick(OutputPrefix.queue),
    tables: pick(OutputPrefix.table),
    stateMachines: pick(OutputPrefix.stateMachine),
    workers: Object.fromEntries(
      Object.entries(pick(OutputPrefix.worker)).map(([role, json]) => [role, JSON.parse(json) as WorkerDescription]),
    ),
    providers: Object.fromEntries(
      Object.values(pick(OutputPrefix.provider)).map((json) => {
        const provider = JSON.parse(json) as ProviderUpload;
        return [provider.name, provider];
      }),
    ),
  };
}

export function writeDescription(path: string, description: StackDescription): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(description, null, 2)}\n`);
}

/** Reads a description; undefined when the file does not exist. */
export function readDescription(path: string): StackDescription | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StackDescription;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path} is not a stack description: ${(error as Error).message}`);
  }
}

export function removeDescription(path: string): void {
  rmSync(path, { force: true });
}

/** The SDK's standard environment settings that point a client at the stack. */
export function sdkEnvironmentOf(description: StackDescription): Record<string, string> {
  return {
    AWS_REGION: description.region,
    AWS_DEFAULT_REGION: description.region,
    AWS_ACCESS_KEY_ID: description.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: description.credentials.secretAccessKey,
    ...(description.endpoints.s3 === undefined ? {} : { AWS_ENDPOINT_URL_S3: description.endpoints.s3 }),
    ...(description.endpoints.sqs === undefined ? {} : { AWS_ENDPOINT_URL_SQS: description.endpoints.sqs }),
    ...(description.endpoints.dynamodb === undefined
      ? {}
      : { AWS_ENDPOINT_URL_DYNAMODB: description.endpoints.dynamodb }),
    ...(description.endpoints.stepfunctions === undefined
      ? {}
      : { AWS_ENDPOINT_URL_SFN: description.endpoints.stepfunctions }),
    ...(description.endpoints.ecs === undefined ? {} : { AWS_ENDPOINT_URL_ECS: description.endpoints.ecs }),
  };
}

/** The SDK's standard environment settings, as `process.env` holds them. */
export type SdkEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * A stack description from the outputs of `cdk deploy --outputs-file` (`{ <stack>: { BucketInbox,
 * QueueEventBus, TableEventStore, ... } }`): resources from the outputs; region, credentials and
 * endpoints from the SDK's standard environment settings (`AWS_REGION`, `AWS_ACCESS_KEY_ID`,
 * `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`). The test global setup and the CLI derive a
 * deployed stack (AWS or LocalStack) with it. Throws when the file holds no stack outputs.
 *
 * @example
 * descriptionFromOutputs(JSON.parse(readFileSync('outputs.json', 'utf8')), process.env, 'outputs.json');
 */
export function descriptionFromOutputs(
  file: unknown,
  env: SdkEnvironment,
  path = 'the outputs file',
): StackDescription {
  const entries = file !== null && typeof file === 'object' && !Array.isArray(file) ? Object.entries(file) : [];
  const [stackName, outputs] = entries[0] ?? [];
  if (stackName === undefined || outputs === null || typeof outputs !== 'object') {
    throw new Error(
      `${path} holds no stack outputs; expected the file written by cdk deploy --outputs-file ({ "<stack>": { "BucketInbox": ..., "QueueEventBus": ... } })`,
    );
  }
  const endpoint = (service: string): string | undefined => env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const endpoints = Object.fromEntries(
    [
      ['s3', endpoint('S3')],
      ['sqs', endpoint('SQS')],
      ['dynamodb', endpoint('DYNAMODB')],
      ['stepfunctions', endpoint('SFN')],
      ['ecs', endpoint('ECS')],
    ].filter(([, value]) => value !== undefined && value !== ''),
  ) as StackDescription['endpoints'];
  return {
    stackName,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test' },
    endpoints,
    ...resourcesFromOutputs(outputs as Record<string, string>),
  };
}
