/**
 * The local stack: AWS-API emulators started by the project, the pipeline's resources created
 * from the synthesized template, every function's bundle run with the template's environment,
 * and its event source mappings (queues and table streams) and S3 notifications emulated; ECS RunTask runs a task
 * definition's container (its image's bundle) as a child process. `stop()` ends everything it
 * started, Java and the container processes included, by handle and PID.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { startDynamoDb } from './emulators/dynamodb.ts';
import { startEcs, type LaunchedContainer, type LaunchRequest } from './emulators/ecs.ts';
import { startFauxqs, type WrittenObject } from './emulators/fauxqs.ts';
import { startStepFunctions } from './emulators/stepfunctions.ts';
import type { ProxiedService } from './faults/aws-errors.ts';
import type { Chaos } from './faults/chaos.ts';
import { startFaultProxy, type FaultProxy } from './faults/proxy.ts';
import { containerLauncher, containerResourcesOf, defineContainerResources } from './runtime/containers.ts';
import { ExecutionEnvironment, openLog, type FunctionDefinition } from './runtime/lambda-host.ts';
import { BulkNiceness, bulkLanesOf } from './runtime/capacity.ts';
import { provision } from './runtime/provision.ts';
import { queueNotificationsOf, S3Notifier } from './runtime/s3-notifications.ts';
import { SqsEventSource, type InvocationReport } from './runtime/sqs-event-source.ts';
import { DynamoDbStreamSource } from './runtime/dynamodb-stream-source.ts';
import { ScheduleRunner, schedulesOf } from './runtime/schedules.ts';
import { localStateMachines } from './runtime/state-machines.ts';
import { ACCOUNT, loadTemplate, physicalName, resourcesOfType, Resolver, type Template } from './runtime/template.ts';
import {
  descriptionFileIn,
  isServing,
  readDescription,
  removeDescription,
  resourcesFromOutputs,
  writeDescription,
  type StackDescription,
} from './stack-description.ts';

export interface LocalStackOptions {
  /** The cloud assembly folder holding the synthesized template and the bundles. */
  readonly cdkOut: string;
  readonly stackName: string;
  readonly projectRoot: string;
  /** Write `local-stack.json` in `stateDir` while running. @default true */
  readonly describe?: boolean;
  /**
   * Folder for logs, run files and the description, so that two stacks on one checkout keep
   * apart: a stack refuses to start in a folder whose description names another running stack.
   * @default - `.cometflow` under `projectRoot`
   */
  readonly stateDir?: string;
  /** Per-invocation report (function, records, failures). */
  readonly onInvocation?: (report: InvocationReport) => void;
  /** Concurrent execution environments per event source mapping, at most. @default 2 */
  readonly maxConcurrency?: number;
  /**
   * The capacity model (`local/runtime/capacity.ts`): the functions consuming bulk lanes and the
   * container tasks of bulk lanes run at this nice value, so that on a shared machine they take
   * only the CPU real-time work leaves, as their own capacity on AWS would never take a real-time
   * function's. `0` turns it off.
   * @default BulkNiceness, or `COMETFLOW_LOCAL_CAPACITY_MODEL=off` for 0
   */
  readonly bulkNiceness?: number;
  /** Every state change of an ECS task (PROVISIONING, RUNNING with its PID, SIGTERM, SIGKILL, STOPPED). */
  readonly onTaskEvent?: (event: { taskArn: string; status: string; at: number; detail?: string }) => void;
  /**
   * Inject faults (the endurance run): functions and container workers reach S3, SQS, DynamoDB
   * and Step Functions through fault proxies (their `AWS_ENDPOINT_URL_<SERVICE>`), and `chaos`
   * crashes environments and redelivers early. The runtime's own pollers and notifications,
   * standing in for AWS's internals, and the description's endpoints stay direct.
   * @default - no proxies, no chaos
   */
  readonly faults?: { readonly seed?: number; readonly chaos?: Chaos };
}

/** A container worker process that runs now. */
export interface RunningContainer {
  readonly taskArn: string;
  readonly pid: number;
  kill(signal: NodeJS.Signals): void;
}

/** The handles of an endurance run on the faults it injects. */
export interface FaultControls {
  readonly proxies: Readonly<Record<ProxiedService, FaultProxy>>;
  /** Container workers running now, to kill one mid-file. */
  runningContainers(): RunningContainer[];
}

export interface LocalStack {
  readonly description: StackDescription;
  readonly template: Template;
  /** Seconds from call to ready, per phase. */
  readonly timings: Record<string, number>;
  readonly logDir: string;
  /** Present when started with `faults`. */
  readonly faults?: FaultControls;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
// DynamoDB Local accepts only letters and digits in an access key id.
const CREDENTIALS = { accessKeyId: 'cometflowlocal', secretAccessKey: 'cometflowlocal' } as const;

/** Functions that only exist to run CloudFormation custom resources; nothing invokes them locally. */
const isBundledFunction = (metadata: Record<string, unknown> | undefined): metadata is { 'aws:asset:path': string } =>
  typeof metadata?.['aws:asset:path'] === 'string';

/** Starts the local stack from a synthesized template. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const mark = (phase: string, since: number): void => {
    timings[phase] = Math.round(performance.now() - since) / 1000;
  };
  const template = loadTemplate(join(options.cdkOut, `${options.stackName}.template.json`));
  const stateDir = options.stateDir ?? join(options.projectRoot, '.cometflow');
  const path = descriptionFileIn(stateDir);
  // A second stack in the same folder would wipe the first one's logs and description while it runs.
  const other = readDescription(path);
  if (other?.pid !== undefined && other.pid !== process.pid && isServing(other)) {
    throw new Error(
      `A local stack (pid ${other.pid}, ${other.stackName}) already runs with its state in ${stateDir}; ` +
        'stop it, or give this one its own folder (`npm start -- --state-dir <folder>`, or `stateDir`)',
    );
  }
  mkdirSync(stateDir, { recursive: true });
  const runDir = mkdtempSync(join(stateDir, 'run-'));
  // Logs of the last run stay for reading after the stack stopped; object storage does not.
  const logDir = join(stateDir, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir);

  let notifier: S3Notifier | undefined;
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    const tEmulators = performance.now();
    const [s3sqs, dynamodb, stepFunctions] = await Promise.all([
      startFauxqs({
        storageDir: join(runDir, 's3'),
        onObjectWritten: (object: WrittenObject) => notifier?.objectWritten(object),
      }),
      startDynamoDb(),
      startStepFunctions({ region: REGION }),
    ]);
    stoppers.push(
      () => s3sqs.stop(),
      () => dynamodb.stop(),
      () => stepFunctions.stop(),
    );
    mark('emulators', tEmulators);

    let proxies: Record<ProxiedService, FaultProxy> | undefined;
    if (options.faults !== undefined) {
      const seed = options.faults.seed ?? 1;
      const upstreams: [ProxiedService, string][] = [
        ['s3', s3sqs.endpoint],
        ['sqs', s3sqs.endpoint],
        ['dynamodb', dynamodb.endpoint],
        ['sfn', stepFunctions.endpoint],
      ];
      const started = await Promise.all(
        upstreams.map(([service, upstream], i) => startFaultProxy({ service, upstream, seed: seed + i })),
      );
      for (const proxy of started) stoppers.push(() => proxy.stop());
      proxies = Object.fromEntries(started.map((p) => [p.service, p])) as Record<ProxiedService, FaultProxy>;
    }
    // Queue URLs in environments carry the host the SDK sends to (it prefers a queue URL's host
    // over the endpoint setting), so through a proxy they must name the proxy.
    const viaProxy = (value: string): string =>
      proxies === undefined || !value.startsWith(`${s3sqs.endpoint}/`)
        ? value
        : `${proxies.sqs.endpoint}${value.slice(s3sqs.endpoint.length)}`;
    const environmentViaProxy = (env: Readonly<Record<string, string>>): Record<string, string> =>
      Object.fromEntries(Object.entries(env).map(([k, v]) => [k, viaProxy(v)]));

    // A copy: the SDK annotates the credentials object it is given.
    const clientConfig = { region: REGION, credentials: { ...CREDENTIALS } };
    const s3 = new S3Client({ ...clientConfig, endpoint: s3sqs.endpoint, forcePathStyle: true });
    const sqs = new SQSClient({ ...clientConfig, endpoint: s3sqs.endpoint });
    const ddb = new DynamoDBClient({ ...clientConfig, endpoint: dynamodb.endpoint });

    const tProvision = performance.now();
    const resolver = new Resolver({ region: REGION, stackName: options.stackName });
    defineContainerResources(template, resolver, { region: REGION, stackName: options.stackName });
    const provisioned = await provision(
      template,
      resolver,
      { s3, sqs, dynamodb: ddb },
      { region: REGION, stackName: options.stackName },
    );
    mark('provision', tProvision);

    // Container workers: ECS RunTask runs the container's command on its image's bundle as a
    // child process; the launcher needs the environment below, the environment ECS's endpoint.
    const containers = containerResourcesOf(template, resolver, options.cdkOut);
    let launch: ((request: LaunchRequest) => LaunchedContainer) | undefined;
    const running = new Map<string, RunningContainer>();
    const ecs = await startEcs({
      region: REGION,
      account: ACCOUNT,
      clusters: containers.clusters,
      taskDefinitions: containers.taskDefinitions,
      launch: (request) => {
        const launched = launch!({ ...request, environment: environmentViaProxy(request.environment) });
        running.set(request.taskArn, { taskArn: request.taskArn, pid: launched.pid, kill: launched.kill });
        void launched.exited.then(() => running.delete(request.taskArn));
        return launched;
      },
      ...(options.onTaskEvent === undefined ? {} : { onTaskEvent: options.onTaskEvent }),
    });
    stoppers.push(() => ecs.stop());

    const endpoints = {
      s3: s3sqs.endpoint,
      sqs: s3sqs.endpoint,
      dynamodb: dynamodb.endpoint,
      stepfunctions: stepFunctions.endpoint,
      ecs: ecs.endpoint,
    };
    const baseEnv: Record<string, string> = {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: proxies?.s3.endpoint ?? endpoints.s3,
      AWS_ENDPOINT_URL_SQS: proxies?.sqs.endpoint ?? endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: proxies?.dynamodb.endpoint ?? endpoints.dynamodb,
      AWS_ENDPOINT_URL_SFN: proxies?.sfn.endpoint ?? endpoints.stepfunctions,
      AWS_ENDPOINT_URL_ECS: endpoints.ecs,
      TZ: 'UTC',
    };
    // Functions: the bundle each one was synthesized with, and its environment.
    const functions = new Map<string, FunctionDefinition>();
    for (const [id, resource] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      if (!isBundledFunction(resource.Metadata)) continue;
      const props = resource.Properties ?? {};
      const [file, exportName] = String(props.Handler ?? 'index.handler').split('.') as [string, string];
      const variables = resolver.resolve(
        (props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
      ) as Record<string, unknown>;
      functions.set(id, {
        logicalId: id,
        name: physicalName(options.stackName, id, { maxLength: 64 }),
        entryPath: resolve(options.cdkOut, resource.Metadata['aws:asset:path'], `${file}.mjs`),
        exportName,
        timeoutSeconds: Number(props.Timeout ?? 3),
        memoryMb: Number(props.MemorySize ?? 128),
        environment: environmentViaProxy(Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)]))),
      });
    }

    // The capacity model: bulk lanes (from the lane table the scheduler received) run niced.
    const niceness = options.bulkNiceness ?? (process.env.COMETFLOW_LOCAL_CAPACITY_MODEL === 'off' ? 0 : BulkNiceness);
    const bulk = bulkLanesOf([...functions.values()].map((f) => f.environment));
    launch = containerLauncher({
      resources: containers,
      baseEnv,
      logDir,
      ...(bulk.containers && niceness > 0 ? { niceness } : {}),
    });

    // State machines: the template's definitions run by aws-local-stepfunctions, each Lambda
    // task in execution environments of the function it names.
    const machines = localStateMachines({ template, resolver, functions, baseEnv, logDir });
    for (const registration of machines.registrations) stepFunctions.register(registration);
    stoppers.push(() => machines.discard());

    // Event source mappings: queue -> function, with the mapping's batch size and concurrency.
    const sources: (SqsEventSource | DynamoDbStreamSource)[] = [];
    const environments: ExecutionEnvironment[] = [];
    const streams = new DynamoDBStreamsClient({ ...clientConfig, endpoint: dynamodb.endpoint });
    stoppers.push(async () => streams.destroy());
    let lastReadError: string | undefined;
    for (const [, resource] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const props = resource.Properties ?? {};
      const functionId = (props.FunctionName as { Ref?: string }).Ref;
      const [sourceId, sourceAttribute] =
        (props.EventSourceArn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'] ?? [];
      const streamFunction = functionId === undefined ? undefined : functions.get(functionId);
      if (sourceAttribute === 'StreamArn' && streamFunction !== undefined && sourceId !== undefined) {
        // A table's stream: one environment, as one shard is read by one invocation at a time.
        const environment = new ExecutionEnvironment(
          streamFunction,
          baseEnv,
          openLog(join(logDir, `${functionId}.log`)),
        );
        environments.push(environment);
        const onFailure = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
          ?.Destination;
        const onFailureArn = onFailure === undefined ? undefined : String(resolver.resolve(onFailure));
        const onFailureQueue = Object.values(provisioned.queues).find((q) => q.arn === onFailureArn);
        sources.push(
          new DynamoDbStreamSource({
            functionName: streamFunction.name,
            streamArn: resolver.getAtt(sourceId, 'StreamArn'),
            region: REGION,
            batchSize: Number(props.BatchSize ?? 100),
            startingPosition: props.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
            maximumRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
            bisectOnError: props.BisectBatchOnFunctionError === true,
            ...(onFailureQueue === undefined ? {} : { onFailureQueueUrl: onFailureQueue.url }),
            environment,
            streams,
            sqs,
            onReadError: (error) => {
              // Said once per distinct error: the source retries every poll interval.
              const message = `reading the stream of ${sourceId} failed: ${error.name}: ${error.message}`;
              if (message !== lastReadError) process.stderr.write(`${message}\n`);
              lastReadError = message;
            },
            ...(options.onInvocation === undefined ? {} : { onInvocation: options.onInvocation }),
          }),
        );
        continue;
      }
      const queueId = sourceId;
      const definition = functionId === undefined ? undefined : functions.get(functionId);
      const queue = queueId === undefined ? undefined : provisioned.queues[queueId];
      if (definition === undefined || queue === undefined) {
        throw new Error(
          `Event source mapping ${JSON.stringify(props)} names a function or queue the local runtime cannot run`,
        );
      }
      const maximum = Number(
        (props.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ?? Infinity,
      );
      const concurrency = Math.max(1, Math.min(maximum, options.maxConcurrency ?? 2));
      const log = openLog(join(logDir, `${functionId}.log`));
      const chaos = options.faults?.chaos;
      const niced =
        niceness > 0 && bulk.queueNames.has(queue.url.slice(queue.url.lastIndexOf('/') + 1))
          ? { ...definition, niceness }
          : definition;
      const envs = Array.from({ length: concurrency }, () => new ExecutionEnvironment(niced, baseEnv, log, chaos));
      environments.push(...envs);
      sources.push(
        new SqsEventSource({
          functionName: definition.name,
          queueUrl: queue.url,
          queueArn: queue.arn,
          region: REGION,
          batchSize: Number(props.BatchSize ?? 10),
          reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes(
            'ReportBatchItemFailures',
          ),
          environments: envs,
          sqs,
          ...(chaos === undefined ? {} : { chaos }),
          ...(options.onInvocation === undefined ? {} : { onInvocation: options.onInvocation }),
        }),
      );
    }

    const arnToUrl = new Map(Object.values(provisioned.queues).map((q) => [q.arn, q.url]));
    const notifications = resourcesOfType(template, 'Custom::S3BucketNotifications').flatMap(([, resource]) =>
      queueNotificationsOf(resolver.resolve(resource.Properties) as never, (arn) => {
        const url = arnToUrl.get(arn);
        if (url === undefined) throw new Error(`S3 notification targets ${arn}, which is not a queue of this stack`);
        return url;
      }),
    );
    notifier = new S3Notifier(notifications, sqs, REGION, (error) =>
      process.stderr.write(`S3 notification failed: ${error.message}\n`),
    );

    // Schedules (EventBridge Scheduler): a timer per schedule, running its function.
    const schedules = new ScheduleRunner();
    for (const schedule of schedulesOf(template.Resources)) {
      const definition = functions.get(schedule.functionId);
      if (definition === undefined)
        throw new Error(
          `Schedule ${schedule.logicalId} targets ${schedule.functionId}, which is no function of this stack`,
        );
      const environment = new ExecutionEnvironment(
        definition,
        baseEnv,
        openLog(join(logDir, `${schedule.functionId}.log`)),
      );
      environments.push(environment);
      schedules.start(schedule, environment, (error) => {
        if (error !== undefined) process.stderr.write(`schedule ${schedule.logicalId} failed: ${error.message}\n`);
      });
    }

    for (const source of sources) source.start();
    stoppers.push(async () => {
      await Promise.all(sources.map((s) => s.stop()));
      await Promise.all(environments.map((e) => e.discard()));
    });
    // Stoppers run last first: the timers stop before the environments are discarded.
    stoppers.push(() => schedules.stop());

    const outputs = Object.fromEntries(
      Object.entries(template.Outputs ?? {}).map(([name, output]) => [name, String(resolver.resolve(output.Value))]),
    );
    const description: StackDescription = {
      stackName: options.stackName,
      region: REGION,
      credentials: { ...CREDENTIALS },
      endpoints,
      ...resourcesFromOutputs(outputs),
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    if (options.describe ?? true) {
      writeDescription(path, description);
      // Only its own: a description another stack wrote since stays.
      stoppers.unshift(async () => {
        if (readDescription(path)?.pid === process.pid) removeDescription(path);
      });
    }
    mark('total', t0);
    let stopped: Promise<void> | undefined;
    const faults = proxies === undefined ? undefined : { proxies, runningContainers: () => [...running.values()] };
    return {
      description,
      template,
      timings,
      logDir,
      ...(faults === undefined ? {} : { faults }),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
