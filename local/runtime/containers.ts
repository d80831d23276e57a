/**
 * Container workers, locally: the template's ECS clusters and Fargate task definitions, given
 * ECS-shaped ARNs, and a launcher that runs a container's command as a child process the way the
 * image would run it: `node index.mjs` becomes `process.execPath index.mjs` in the image's
 * staged asset folder (the same bundle the image holds), with the container's environment from
 * the template, RunTask's overrides, and the SDK endpoint settings of the local stack.
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  ClusterSpec,
  ContainerSpec,
  LaunchedContainer,
  LaunchRequest,
  TaskDefinitionSpec,
} from '../emulators/ecs.ts';
import { ACCOUNT, physicalName, resourcesOfType, type Resolver, type Template } from './template.ts';

/** The clusters and task definitions of a template, with the image folder of each container. */
export interface ContainerResources {
  readonly clusters: ClusterSpec[];
  readonly taskDefinitions: TaskDefinitionSpec[];
  /** The staged image folder (`cdk.out/asset.<hash>`) of each container, by `<family>/<container>`. */
  readonly imageFolders: ReadonlyMap<string, string>;
}

interface ContainerDefinitionJson {
  readonly Name?: string;
  readonly Image?: unknown;
  readonly Command?: string[];
  readonly Environment?: { Name?: string; Value?: unknown }[];
  readonly StopTimeout?: number;
}

/**
 * Declares ECS-shaped names for the template's clusters (`Ref` the name, `Arn`
 * `arn:aws:ecs:<region>:<account>:cluster/<name>`) and task definitions (`Ref` the ARN with
 * revision 1), before the rest of the template is provisioned.
 */
export function defineContainerResources(
  template: Template,
  resolver: Resolver,
  options: { region: string; stackName: string },
): void {
  for (const [id, resource] of resourcesOfType(template, 'AWS::ECS::Cluster')) {
    const name =
      (resource.Properties?.ClusterName as string | undefined) ??
      physicalName(options.stackName, id, { maxLength: 255 });
    resolver.define(id, { ref: name, attributes: { Arn: `arn:aws:ecs:${options.region}:${ACCOUNT}:cluster/${name}` } });
  }
  for (const [id, resource] of resourcesOfType(template, 'AWS::ECS::TaskDefinition')) {
    const family =
      (resource.Properties?.Family as string | undefined) ?? physicalName(options.stackName, id, { maxLength: 255 });
    const arn = `arn:aws:ecs:${options.region}:${ACCOUNT}:task-definition/${family}:1`;
    resolver.define(id, { ref: arn, attributes: { TaskDefinitionArn: arn } });
  }
}

/** The image tag of a CDK container asset, the asset's hash: `...container-assets-...:<hash>`. */
function assetHashOf(image: unknown): string | undefined {
  const text = typeof image === 'string' ? image : JSON.stringify(image);
  return /:([0-9a-f]{64})\W*$/.exec(text)?.[1];
}

/** Reads the clusters and task definitions once the template's resources are defined. */
export function containerResourcesOf(template: Template, resolver: Resolver, cdkOut: string): ContainerResources {
  const clusters = resourcesOfType(template, 'AWS::ECS::Cluster').map(([id]) => ({
    name: resolver.ref(id),
    arn: resolver.getAtt(id, 'Arn'),
  }));
  const imageFolders = new Map<string, string>();
  const taskDefinitions = resourcesOfType(template, 'AWS::ECS::TaskDefinition').map(
    ([id, resource]): TaskDefinitionSpec => {
      const props = resource.Properties ?? {};
      const arn = resolver.ref(id);
      const family = arn.slice(arn.indexOf('task-definition/') + 'task-definition/'.length, arn.lastIndexOf(':'));
      const containers = ((props.ContainerDefinitions ?? []) as ContainerDefinitionJson[]).map(
        (definition): ContainerSpec => {
          const name = definition.Name ?? 'container';
          const hash = assetHashOf(definition.Image);
          const folder = hash === undefined ? undefined : resolve(cdkOut, `asset.${hash}`);
          if (folder === undefined || !existsSync(folder)) {
            throw new Error(
              `Container ${name} of task definition ${id} uses image ${JSON.stringify(definition.Image)}, which is not a container asset staged in ${cdkOut}; the local runtime can only run asset images`,
            );
          }
          imageFolders.set(`${family}/${name}`, folder);
          const environment = Object.fromEntries(
            (definition.Environment ?? []).map((e) => [e.Name ?? '', String(resolver.resolve(e.Value))]),
          );
          return {
            name,
            command: definition.Command ?? [],
            environment,
            stopTimeoutSeconds: Number(definition.StopTimeout ?? 30),
          };
        },
      );
      return {
        arn,
        family,
        revision: 1,
        containers,
        ...(props.Cpu === undefined ? {} : { cpu: String(props.Cpu) }),
        ...(props.Memory === undefined ? {} : { memory: String(props.Memory) }),
      };
    },
  );
  return { clusters, taskDefinitions, imageFolders };
}

/** Options of `containerLauncher`. */
export interface ContainerLauncherOptions {
  readonly resources: ContainerResources;
  /** The SDK settings every process of the local stack gets (region, credentials, endpoints). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Where each task's output goes: `<logDir>/<family>-<task id>.log`. */
  readonly logDir: string;
  /** The capacity model: the nice value of every task's process. @default 0 */
  readonly niceness?: number;
}

/**
 * Launches a container as a child process: the command's `node` is this Node.js
 * (`process.execPath`), run in the image's staged folder (the image's working directory holds
 * the same files).
 */
export function containerLauncher(options: ContainerLauncherOptions): (request: LaunchRequest) => LaunchedContainer {
  return (request) => {
    const key = `${request.taskDefinition.family}/${request.container.name}`;
    const folder = options.resources.imageFolders.get(key);
    if (folder === undefined) throw new Error(`No image folder for container ${key}`);
    const [program, ...args] = request.command;
    if (program !== 'node') {
      throw new Error(
        `Container ${key} runs ${JSON.stringify(request.command)}; the local runtime runs only Node.js commands ("node <file>")`,
      );
    }
    const taskId = request.taskArn.slice(request.taskArn.lastIndexOf('/') + 1);
    const logFd = openSync(join(options.logDir, `${request.taskDefinition.family}-${taskId}.log`), 'a');
    const child = spawn(process.execPath, args, {
      cwd: folder,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...options.baseEnv,
        // What ECS sets in every Fargate container.
        AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
        ...request.environment,
      },
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    // Set at once, before Node has started the threads of its platform: they inherit it.
    if ((options.niceness ?? 0) > 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, options.niceness!);
      } catch {
        // The process already exited, or the platform refuses: it runs un-niced.
      }
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.once('exit', (code, signal) => done({ code, signal }));
      child.once('error', () => done({ code: 127, signal: null }));
    });
    return {
      pid: child.pid ?? -1,
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
      exited,
    };
  };
}
