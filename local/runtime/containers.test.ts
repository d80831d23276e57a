import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerLauncher, containerResourcesOf, defineContainerResources } from './containers.ts';
import { Resolver, type Template } from './template.ts';

const hash = 'c414d15829ab78c3b57441ba0a8c1a0811112b46d27a8b9813c4188ceb30bdfe';
const cdkOut = mkdtempSync(join(tmpdir(), 'containers-test-'));
mkdirSync(join(cdkOut, `asset.${hash}`));
// The image's bundle: prints its arguments and one variable of each origin, then exits.
writeFileSync(
  join(cdkOut, `asset.${hash}`, 'index.mjs'),
  'process.stdout.write(JSON.stringify({ queue: process.env.QUEUE, grace: process.env.GRACE, endpoint: process.env.AWS_ENDPOINT_URL_SQS, cwd: process.cwd(), env: process.env.AWS_EXECUTION_ENV }));\n',
);

/** A template with one cluster and one task definition whose container runs a staged asset image. */
const template: Template = {
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue' },
    Cluster: { Type: 'AWS::ECS::Cluster' },
    TaskDef: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: {
        Family: 'ingest-worker',
        Cpu: '1024',
        Memory: '2048',
        ContainerDefinitions: [
          {
            Name: 'worker',
            Command: ['node', 'index.mjs'],
            StopTimeout: 45,
            Image: {
              'Fn::Sub': `\${AWS::AccountId}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/cdk-hnb659fds-container-assets-\${AWS::AccountId}-\${AWS::Region}:${hash}`,
            },
            Environment: [
              { Name: 'QUEUE', Value: { Ref: 'Queue' } },
              { Name: 'GRACE', Value: '20' },
            ],
          },
        ],
      },
    },
  },
};

describe('container resources of a template', () => {
  afterAll(() => rmSync(cdkOut, { recursive: true, force: true }));

  function resolved() {
    const resolver = new Resolver({ region: 'us-east-1', stackName: 'Cometflow' });
    defineContainerResources(template, resolver, { region: 'us-east-1', stackName: 'Cometflow' });
    resolver.define('Queue', { ref: 'http://127.0.0.1:1/000000000000/q', attributes: {} });
    return { resolver, resources: containerResourcesOf(template, resolver, cdkOut) };
  }

  it("gives clusters and task definitions ECS-shaped ARNs and resolves the containers' environment", () => {
    // Act
    const { resolver, resources } = resolved();

    // Assess
    expect(resolver.getAtt('Cluster', 'Arn')).toBe('arn:aws:ecs:us-east-1:000000000000:cluster/Cometflow-Cluster');
    expect(resources.taskDefinitions).toEqual([
      {
        arn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/ingest-worker:1',
        family: 'ingest-worker',
        revision: 1,
        cpu: '1024',
        memory: '2048',
        containers: [
          {
            name: 'worker',
            command: ['node', 'index.mjs'],
            environment: { QUEUE: 'http://127.0.0.1:1/000000000000/q', GRACE: '20' },
            stopTimeoutSeconds: 45,
          },
        ],
      },
    ]);
    expect(resources.imageFolders.get('ingest-worker/worker')).toBe(join(cdkOut, `asset.${hash}`));
  });

  it("runs the container's command with this Node.js in the image folder, with the overrides and the stack's endpoints", async () => {
    // Prepare
    const { resources } = resolved();
    const logDir = mkdtempSync(join(tmpdir(), 'containers-log-'));
    const launch = containerLauncher({ resources, baseEnv: { AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9' }, logDir });
    const [taskDefinition] = resources.taskDefinitions;

    // Act
    const launched = launch({
      taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workers/abc',
      taskDefinition: taskDefinition!,
      container: taskDefinition!.containers[0]!,
      environment: { ...taskDefinition!.containers[0]!.environment, GRACE: '0' },
      command: ['node', 'index.mjs'],
    });
    const exit = await launched.exited;

    // Assess
    const output = JSON.parse(readFileSync(join(logDir, 'ingest-worker-abc.log'), 'utf8')) as Record<string, string>;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(output).toEqual({
      queue: 'http://127.0.0.1:1/000000000000/q',
      grace: '0',
      endpoint: 'http://127.0.0.1:9',
      cwd: join(cdkOut, `asset.${hash}`),
      env: 'AWS_ECS_FARGATE',
    });
    rmSync(logDir, { recursive: true, force: true });
  });

  it('refuses an image that is not a staged asset', () => {
    // Prepare
    const other: Template = {
      Resources: {
        TaskDef: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: { ContainerDefinitions: [{ Name: 'x', Image: 'nginx:latest' }] },
        },
      },
    };
    const resolver = new Resolver({ region: 'us-east-1', stackName: 'Cometflow' });
    defineContainerResources(other, resolver, { region: 'us-east-1', stackName: 'Cometflow' });

    // Act & Assess
    expect(() => containerResourcesOf(other, resolver, cdkOut)).toThrow(
      /uses image "nginx:latest", which is not a container asset staged in/,
    );
  });
});
