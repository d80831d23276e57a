/**
 * Least privilege proven by evaluating the synthesized policies as AWS would: every function's
 * and the worker task's role is asked, through @cloud-copilot/iam-simulate (identity policies,
 * the bucket and queue resource policies with their explicit denies), for every data action on
 * every bucket (and every key prefix any policy names), queue, table and state machine of the
 * template. The grid comes from the template, so a new resource is covered without editing this
 * file; what a role may do comes from `Expected` below, written from the design, not from the
 * policies: a cell that differs fails with the role, action and resource.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { cdkPath, resourcesOfType, tempOutdir, type TemplateJson, PipelinePath } from './template-helpers.ts';
import { ReferenceProviders } from '#shared/conventions/providers.ts';
import { pascalOf } from '../constructs/provider-uploads.ts';

const Account = '111122223333';
const Region = 'eu-central-1';

/**
 * Access a role may have, by resource path (the construct path without the stack and `/Resource`).
 * `configure` (a bucket's policy) is given to no role: the stack's own deployment sets it.
 */
type Access = 'consume' | 'send' | 'read' | 'write' | 'put' | 'delete' | 'start' | 'configure';

/** The probes of each kind of resource: an action and the access it needs. */
const Probes = {
  bucket: [
    ['s3:GetObject', 'read'],
    ['s3:PutObject', 'put'],
    // A multipart upload: its parts are put as s3:PutObject; a writer may abort its upload, a
    // reader (and an uploader, to resume) list its parts.
    ['s3:AbortMultipartUpload', 'put'],
    ['s3:ListMultipartUploadParts', 'read'],
    ['s3:DeleteObject', 'delete'],
  ],
  /** The bucket itself (its ARN without a key): changing its policy. */
  bucketPolicy: [
    ['s3:PutBucketPolicy', 'configure'],
    ['s3:DeleteBucketPolicy', 'configure'],
  ],
  queue: [
    ['sqs:ReceiveMessage', 'consume'],
    ['sqs:SendMessage', 'send'],
  ],
  table: [
    ['dynamodb:GetItem', 'read'],
    ['dynamodb:PutItem', 'write'],
  ],
  stateMachine: [['states:StartExecution', 'start']],
} as const satisfies Record<string, readonly (readonly [string, Access])[]>;

/**
 * What each role may do, from the design: a stage consumes its queue, publishes on the event
 * bus, keeps its idempotency records, writes (never reads) its failure records, touches its own tables and buckets, and checks in large
 * event data under its own source's prefix of the claims bucket. A bucket entry with a prefix
 * (`Claims/cometflow/intake/`) allows keys under it only.
 */
const stage = (queue: string, source: string): Record<string, readonly Access[]> => ({
  [queue]: ['consume'],
  // The event bus's two lanes: each event goes to the lane of its priority.
  'Scheduler/EventBus': ['send'],
  'EventBusBulk/Queue': ['send'],
  'Tables/Idempotency': ['read', 'write'],
  // Failure records: written on the last receive before the DLQ, read only by operators.
  'Tables/Failures': ['write'],
  Claims: ['read'],
  [`Claims/cometflow/${source}/`]: ['read', 'put'],
});
const Expected: Readonly<Record<string, Readonly<Record<string, readonly Access[]>>>> = {
  'Intake/FunctionRole': {
    ...stage('Intake/Queue', 'intake'),
    'Tables/Catalog': ['read', 'write'],
    Inbox: ['read', 'delete'],
    Quarantine: ['put'],
  },
  'Scheduler/FunctionRole': {
    ...stage('Scheduler/EventBus', 'scheduler'),
    'Scheduler/EventBus': ['consume', 'send'],
    'Ingest/Queue': ['send'],
    'IngestBulk/Queue': ['send'],
    'IngestContainer/Queue': ['send'],
    'Process/Queue': ['send'],
    'ProcessBulk/Queue': ['send'],
    'Deliver/Queue': ['send'],
    'Tables/Scheduler': ['read', 'write'],
    'Tables/EventStore': ['read', 'write'],
  },
  // The bulk event bus runs the scheduler's code with the same access, from its own queue.
  'EventBusBulk/FunctionRole': {
    ...stage('EventBusBulk/Queue', 'scheduler'),
    'EventBusBulk/Queue': ['consume', 'send'],
    'Scheduler/EventBus': ['send'],
    'Ingest/Queue': ['send'],
    'IngestBulk/Queue': ['send'],
    'IngestContainer/Queue': ['send'],
    'Process/Queue': ['send'],
    'ProcessBulk/Queue': ['send'],
    'Deliver/Queue': ['send'],
    'Tables/Scheduler': ['read', 'write'],
    'Tables/EventStore': ['read', 'write'],
  },
  'Ingest/FunctionRole': {
    ...stage('Ingest/Queue', 'ingest'),
    'IngestContainer/Queue': ['send'],
    Inbox: ['read', 'delete'],
    Archive: ['put'],
    Quarantine: ['put'],
  },
  // The bulk ingest lane runs the ingest code with the same access, from its own queue.
  'IngestBulk/FunctionRole': {
    ...stage('IngestBulk/Queue', 'ingest'),
    'IngestContainer/Queue': ['send'],
    Inbox: ['read', 'delete'],
    Archive: ['put'],
    Quarantine: ['put'],
  },
  'IngestContainer/TaskRole': {
    ...stage('IngestContainer/Queue', 'ingest'),
    Inbox: ['read', 'delete'],
    Archive: ['put'],
    Quarantine: ['put'],
  },
  'Process/FunctionRole': { ...stage('Process/Queue', 'process'), Archive: ['read'], Products: ['read', 'put'] },
  'ProcessBulk/FunctionRole': {
    ...stage('ProcessBulk/Queue', 'process'),
    Archive: ['read'],
    Products: ['read', 'put'],
  },
  'Deliver/FunctionRole': { ...stage('Deliver/Queue', 'deliver'), 'DeliverySaga/StateMachine': ['start'] },
  'DeliverySaga/FunctionRole': {
    'Scheduler/EventBus': ['send'],
    'EventBusBulk/Queue': ['send'],
    'DeliverySaga/SubscriberNowcasting': ['send'],
    'DeliverySaga/SubscriberClimate': ['send'],
    'Tables/Deliveries': ['read', 'write'],
    Products: ['read'],
    Distribution: ['put', 'delete'],
    Claims: ['read'],
    'Claims/cometflow/deliver/': ['read', 'put'],
  },
  // The projector's failed stream batches go to its own on-failure queue.
  // It reads back the data of claim-checked events it folds.
  'StatusProjection/FunctionRole': {
    'Tables/Status': ['read', 'write'],
    'StatusProjection/OnFailure': ['send'],
    Claims: ['read'],
  },
  // The delivery calendar reads the event store and reports what is missing on the event bus
  // (its events are far below the claim-check bound: no claims access).
  'Calendar/FunctionRole': { 'Tables/EventStore': ['read'], 'Scheduler/EventBus': ['send'] },
  // Each provider uploads under its own inbox prefix, reads its uploads back and lists the parts
  // of its multipart uploads: nothing else, not another provider's prefix, not a delete.
  ...Object.fromEntries(
    ReferenceProviders.map((provider) => [
      `Providers/${pascalOf(provider.name)}UploadRole`,
      { [`Inbox/${provider.prefix}`]: ['read', 'put'] },
    ]),
  ),
};

type Json = Record<string, unknown>;

interface ProbedResource {
  readonly path: string;
  readonly kind: keyof typeof Probes;
  readonly arn: string;
  /** For object probes: the bucket's ARN, so its policy applies. */
  readonly bucketId?: string;
  readonly queueId?: string;
}

/** Concrete ARNs and names for the template's references, as they would be once deployed. */
function resolver(json: TemplateJson): (value: unknown) => unknown {
  const arnOf = (id: string): string => {
    const type = json.Resources[id]?.Type;
    if (type === 'AWS::S3::Bucket') return `arn:aws:s3:::${id.toLowerCase()}`;
    if (type === 'AWS::SQS::Queue') return `arn:aws:sqs:${Region}:${Account}:${id}`;
    if (type === 'AWS::DynamoDB::Table') return `arn:aws:dynamodb:${Region}:${Account}:table/${id}`;
    if (type === 'AWS::StepFunctions::StateMachine') return `arn:aws:states:${Region}:${Account}:stateMachine:${id}`;
    if (type === 'AWS::IAM::Role') return `arn:aws:iam::${Account}:role/${id}`;
    return `arn:aws:cloudformation:${Region}:${Account}:resource/${id}`;
  };
  const refOf = (id: string): string => {
    const type = json.Resources[id]?.Type;
    if (id === 'AWS::Partition') return 'aws';
    if (id === 'AWS::Region') return Region;
    if (id === 'AWS::AccountId') return Account;
    if (id === 'AWS::URLSuffix') return 'amazonaws.com';
    if (type === 'AWS::S3::Bucket') return id.toLowerCase();
    if (type === 'AWS::SQS::Queue') return `https://sqs.${Region}.amazonaws.com/${Account}/${id}`;
    if (type === 'AWS::DynamoDB::Table') return id;
    return arnOf(id);
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const object = value as Json;
    if (typeof object['Ref'] === 'string') return refOf(object['Ref']);
    const getAtt = object['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt !== undefined) {
      const [id, attribute] = getAtt;
      if (attribute === 'Arn') return arnOf(id);
      if (attribute === 'StreamArn') return `${arnOf(id)}/stream/2026-12-01T00:00:00.000`;
      if (attribute === 'QueueName') return id;
      return `${arnOf(id)}#${attribute}`;
    }
    const join = object['Fn::Join'] as [string, unknown[]] | undefined;
    if (join !== undefined) return (resolve(join[1]) as unknown[]).join(join[0]);
    return Object.fromEntries(Object.entries(object).map(([key, child]) => [key, resolve(child)]));
  };
  return resolve;
}

const pathOf = (json: TemplateJson, id: string): string =>
  cdkPath(json.Resources[id]!)
    .replace(`${PipelinePath}/`, '')
    .replace(/\/Resource(\/Resource)?$/, '');

describe('IAM evaluation matrix of the synthesized policies', () => {
  let json: TemplateJson;
  let cleanup: () => void;
  const cells: { role: string; action: string; resource: string; allowed: boolean; expected: boolean }[] = [];
  /** The inbox's bucket id and resolved policy, for the denial test. */
  let inbox: { id: string; arn: string; policy: Json };
  let uploadRoles: { name: string; prefix: string; roleId: string }[];

  beforeAll(async () => {
    const out = tempOutdir();
    cleanup = out.cleanup;
    json = Template.fromStack(buildApp({ outdir: out.outdir }).stack).toJSON() as TemplateJson;
    const resolve = resolver(json);
    const policies = Object.values(resourcesOfType(json, 'AWS::IAM::Policy'));
    const bucketPolicies = new Map(
      Object.values(resourcesOfType(json, 'AWS::S3::BucketPolicy')).map((p) => [
        (p.Properties?.['Bucket'] as { Ref: string }).Ref,
        resolve(p.Properties?.['PolicyDocument']) as Json,
      ]),
    );
    const queuePolicies = new Map<string, Json>();
    for (const p of Object.values(resourcesOfType(json, 'AWS::SQS::QueuePolicy'))) {
      for (const queue of p.Properties?.['Queues'] as { Ref: string }[])
        queuePolicies.set(queue.Ref, resolve(p.Properties?.['PolicyDocument']) as Json);
    }

    const inboxId = (json.Outputs?.['BucketInbox']?.Value as { Ref: string }).Ref;
    inbox = {
      id: inboxId,
      arn: String(resolve({ 'Fn::GetAtt': [inboxId, 'Arn'] })),
      policy: bucketPolicies.get(inboxId)!,
    };
    uploadRoles = ReferenceProviders.map((provider) => ({
      name: provider.name,
      prefix: provider.prefix,
      roleId: Object.keys(resourcesOfType(json, 'AWS::IAM::Role')).find(
        (id) => pathOf(json, id) === `Providers/${pascalOf(provider.name)}UploadRole`,
      )!,
    }));

    // The grid: every data resource of the template; for buckets, any key and a key under every
    // prefix some policy of the template names on that bucket.
    const resources: ProbedResource[] = [];
    const documents = JSON.stringify(policies.map((p) => resolve(p.Properties?.['PolicyDocument'])));
    for (const [id, r] of Object.entries(json.Resources)) {
      const path = pathOf(json, id);
      const arn = String(resolve({ 'Fn::GetAtt': [id, 'Arn'] }));
      if (r.Type === 'AWS::S3::Bucket') {
        const prefixes = new Set(['']);
        for (const match of documents.matchAll(new RegExp(`${arn}/([^"*]*)\\*`, 'g'))) prefixes.add(match[1]!);
        for (const prefix of prefixes) {
          resources.push({
            path: prefix === '' ? path : `${path}/${prefix}`,
            kind: 'bucket',
            arn: `${arn}/${prefix}probe-object`,
            bucketId: id,
          });
        }
        resources.push({ path: `${path}#policy`, kind: 'bucketPolicy', arn, bucketId: id });
      } else if (r.Type === 'AWS::SQS::Queue') resources.push({ path, kind: 'queue', arn, queueId: id });
      else if (r.Type === 'AWS::DynamoDB::Table') resources.push({ path, kind: 'table', arn });
      else if (r.Type === 'AWS::StepFunctions::StateMachine') resources.push({ path, kind: 'stateMachine', arn });
    }

    for (const [roleId, role] of Object.entries(resourcesOfType(json, 'AWS::IAM::Role'))) {
      const rolePath = pathOf(json, roleId);
      const expected = Expected[rolePath];
      if (!/FunctionRole|TaskRole|UploadRole$/.test(rolePath)) continue;
      if (expected === undefined) throw new Error(`Role ${rolePath} has no expected access; add it to Expected`);
      const identityPolicies = policies
        .filter((p) => (p.Properties?.['Roles'] as { Ref: string }[]).some((r) => r.Ref === roleId))
        .map((p, i) => ({ name: `policy${i}`, policy: resolve(p.Properties?.['PolicyDocument']) as never }));
      for (const inline of (role.Properties?.['Policies'] as { PolicyDocument: unknown }[] | undefined) ?? []) {
        identityPolicies.push({
          name: `inline${identityPolicies.length}`,
          policy: resolve(inline.PolicyDocument) as never,
        });
      }
      for (const target of resources) {
        for (const [action, access] of Probes[target.kind]) {
          const resourcePolicy =
            target.bucketId !== undefined
              ? bucketPolicies.get(target.bucketId)
              : target.queueId !== undefined
                ? queuePolicies.get(target.queueId)
                : undefined;
          const simulation: Simulation = {
            identityPolicies,
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            ...(resourcePolicy === undefined ? {} : { resourcePolicy: resourcePolicy as never }),
            request: {
              // A provider acts through a session of its upload role (sts:AssumeRole), as the
              // inbox bucket policy's denials must recognize.
              principal: rolePath.endsWith('UploadRole')
                ? `arn:aws:sts::${Account}:assumed-role/${roleId}/upload`
                : `arn:aws:iam::${Account}:role/${roleId}`,
              action,
              resource: { resource: target.arn, accountId: Account },
              contextVariables: { 'aws:SecureTransport': 'true' },
            },
          };
          const response = await runSimulation(simulation, {});
          if (response.resultType === 'error')
            throw new Error(`Simulation of ${rolePath} ${action} ${target.arn}: ${JSON.stringify(response.errors)}`);
          // A prefix entry covers its keys; the whole bucket's entry covers every key.
          const bucketPath = target.path.split(/[/#]/)[0]!;
          const granted = [
            ...(expected[target.path] ?? []),
            ...(target.kind === 'bucket' && target.path !== bucketPath ? (expected[bucketPath] ?? []) : []),
          ];
          cells.push({
            role: rolePath,
            action,
            resource: target.path,
            allowed: response.overallResult === 'Allowed',
            expected: granted.includes(access),
          });
        }
      }
    }
  }, 600_000);

  afterAll(() => cleanup());

  it('allows every role exactly what the design gives it, on every resource of the stack', () => {
    // Act
    const wrong = cells
      .filter((cell) => cell.allowed !== cell.expected)
      .map(
        (cell) =>
          `${cell.role} ${cell.allowed ? 'may' : 'may not'} ${cell.action} on ${cell.resource}; expected ${cell.expected ? 'allowed' : 'denied'}`,
      );
    // Assess
    expect(wrong).toEqual([]);
    const roles = new Set(cells.map((c) => c.role)).size;
    const resources = new Set(cells.map((c) => c.resource)).size;
    console.log(
      `IAM matrix: ${cells.length} cells, ${roles} roles x ${resources} resources, ` +
        `${cells.filter((c) => c.allowed).length} allowed, ${cells.filter((c) => !c.allowed).length} denied, all as expected`,
    );
  });

  it("denies a provider's session outside its prefix even when its identity policy allowed all of S3", async () => {
    // Prepare: a mistaken grant of s3:* on everything; only the inbox bucket policy stands in the way.
    const everything = {
      name: 'mistake',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
    };
    const results: string[] = [];

    // Act
    for (const role of uploadRoles) {
      const others = uploadRoles.filter((other) => other.name !== role.name).map((other) => other.prefix);
      const probes: [string, string][] = [
        ['s3:PutObject', `${inbox.arn}/${role.prefix}probe-object`],
        ...others.flatMap((prefix): [string, string][] => [
          ['s3:PutObject', `${inbox.arn}/${prefix}probe-object`],
          ['s3:GetObject', `${inbox.arn}/${prefix}probe-object`],
          ['s3:AbortMultipartUpload', `${inbox.arn}/${prefix}probe-object`],
        ]),
        ['s3:PutObject', `${inbox.arn}/probe-object-at-the-top`],
        ['s3:DeleteObject', `${inbox.arn}/${others[0]}probe-object`],
        ['s3:PutBucketPolicy', inbox.arn],
        ['s3:DeleteBucketPolicy', inbox.arn],
        ['s3:PutLifecycleConfiguration', inbox.arn],
      ];
      for (const [action, resource] of probes) {
        const response = await runSimulation(
          {
            identityPolicies: [everything as never],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            resourcePolicy: inbox.policy as never,
            request: {
              principal: `arn:aws:sts::${Account}:assumed-role/${role.roleId}/upload`,
              action,
              resource: { resource, accountId: Account },
              contextVariables: { 'aws:SecureTransport': 'true' },
            },
          },
          {},
        );
        results.push(
          `${role.name} ${action} ${resource.replace(inbox.arn, 'inbox')}: ${response.resultType === 'error' ? JSON.stringify(response.errors) : response.overallResult}`,
        );
      }
    }

    // Assess: its own prefix stays writable; everything else in the inbox is explicitly denied.
    const own = (line: string): boolean =>
      uploadRoles.some((r) => line.startsWith(`${r.name} s3:PutObject inbox/${r.prefix}`));
    expect(results.filter(own).every((line) => line.endsWith(': Allowed'))).toBe(true);
    expect(results.filter((line) => !own(line)).filter((line) => !line.endsWith(': ExplicitlyDenied'))).toEqual([]);
    expect(results.length).toBeGreaterThan(10);
  });

  it('covers every function and task role, and every data resource of the template', () => {
    expect(new Set(cells.map((c) => c.role))).toEqual(new Set(Object.keys(Expected)));
    expect(cells.some((c) => c.resource === 'Claims/cometflow/intake/')).toBe(true);
    expect(cells.filter((c) => c.allowed).length).toBeGreaterThan(50);
  });
});
