/**
 * One owner per table and per bucket: reads the synthesized IAM policies and fails when the
 * roles of two services may write the same table, or the same bucket (and key prefix). A
 * service is every role its code runs under: the deliver stage and the delivery saga's function
 * are the deliver service, the ingest Lambda and the ingest container the ingest service.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { Lanes } from '../config.ts';
import {
  cdkPath,
  referencedId,
  resourcesOfType,
  tempOutdir,
  type TemplateJson,
  PipelinePath,
} from './template-helpers.ts';

/** The service of a role, by the top-level construct the role belongs to. */
const ServiceOfConstruct: Readonly<Record<string, string>> = {
  Intake: 'intake',
  Scheduler: 'scheduler',
  Ingest: 'ingest',
  IngestContainer: 'ingest',
  Process: 'process',
  Deliver: 'deliver',
  // An extra lane runs its stage's code: it is that stage's service.
  ...Object.fromEntries(Object.values(Lanes).map((lane) => [lane.id, lane.stage])),
  DeliverySaga: 'deliver',
  StatusProjection: 'projector',
};

/**
 * Resources the review found written by more than one service on purpose, each with why that
 * does not break ownership. Anything else written by two services fails the test.
 */
const SharedOnPurpose: Readonly<Record<string, string>> = {
  'Tables/Idempotency':
    'Powertools idempotency records are keyed by function name: each function writes only its own ' +
    "records, no service reads another's, and one table saves a table per stage for the same layout.",
  'Tables/Failures':
    'Failure records are written by one code path, the stage handler (shared/stage/failure-records.ts), ' +
    'each stage for the messages it received and gives up on, keyed by their message ids; no stage reads them ' +
    '(write-only grants): the CLI and the console do.',
  'Inbox/*':
    'The inbox belongs to the providers; intake and ingest each remove only a file they themselves moved to ' +
    'quarantine, after announcing it, so the file exists somewhere at every moment.',
  'Quarantine/*':
    'Quarantine is written only by quarantineObject, the one way a service gives up on a file: intake for ' +
    'what the name or first bytes refuse, ingest for what the content refuses (a file reaches ingest only once intake accepted it).',
};

const TableWrites = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:*',
];
const ObjectWrites = /^s3:(PutObject|DeleteObject|Abort|\*)/;

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** `Table/<path>` or `<Bucket path>/<prefix>*` for one resource of a statement, from the template. */
function writtenResource(json: TemplateJson, resource: unknown): string | undefined {
  const pathOf = (id: string): string => {
    const r = json.Resources[id];
    return r === undefined
      ? id
      : cdkPath(r)
          .replace(`${PipelinePath}/`, '')
          .replace(/\/Resource(\/Resource)?$/, '');
  };
  if (typeof resource === 'string') return resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join === undefined) return pathOf(referencedId(resource));
  const [first, ...rest] = join[1];
  const suffix = rest.map((part) => (typeof part === 'string' ? part : '?')).join('');
  // `<bucket arn>/*` or `<bucket arn>/<prefix>*`: the object keys of one bucket.
  // `<table arn>/index/*`: the table's indexes, written only through the table.
  const base = pathOf(referencedId(first));
  if (base.startsWith('Tables/')) return base;
  if (suffix.startsWith('/')) return `${base}${suffix}`;
  return undefined;
}

/** Who may write what: resource -> services whose roles hold a write action on it. */
function writers(json: TemplateJson): Map<string, Set<string>> {
  const roles = Object.fromEntries(
    Object.entries(resourcesOfType(json, 'AWS::IAM::Role')).map(([id, role]) => [id, cdkPath(role)]),
  );
  const byResource = new Map<string, Set<string>>();
  for (const policy of Object.values(resourcesOfType(json, 'AWS::IAM::Policy'))) {
    const services = (policy.Properties?.['Roles'] as unknown[]).map((role) => {
      const path = roles[referencedId(role)] ?? '';
      const inPipeline = path.replace(`${PipelinePath}/`, '').split('/');
      // Each provider's upload role is a writer of its own (its inbox prefix).
      if (inPipeline[0] === 'Providers') return `provider ${inPipeline[1]}`;
      return ServiceOfConstruct[inPipeline[0] ?? ''];
    });
    for (const statement of (policy.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement) {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      if (statement.Effect !== 'Allow') continue;
      const writesTables = actions.some((action) => TableWrites.includes(action));
      const writesObjects = actions.some((action) => ObjectWrites.test(action));
      if (!writesTables && !writesObjects) continue;
      for (const resource of Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]) {
        const written = writtenResource(json, resource);
        if (written === undefined) continue;
        if (writesTables && !written.startsWith('Tables/')) continue;
        if (!writesTables && written.startsWith('Tables/')) continue;
        for (const service of services) {
          if (service === undefined)
            throw new Error(
              `A role outside every service may write ${written}; expected each writing role to be a service's`,
            );
          byResource.set(written, (byResource.get(written) ?? new Set()).add(service));
        }
      }
    }
  }
  return byResource;
}

describe('ownership of tables and buckets', () => {
  let json: TemplateJson;
  let cleanup: () => void;

  beforeAll(() => {
    const out = tempOutdir();
    cleanup = out.cleanup;
    json = Template.fromStack(buildApp({ outdir: out.outdir }).stack).toJSON() as TemplateJson;
  });

  afterAll(() => cleanup());

  it('gives every table and bucket prefix one writing service, except what is shared on purpose', () => {
    // Act
    const shared = [...writers(json)]
      .filter(([resource, services]) => services.size > 1 && SharedOnPurpose[resource] === undefined)
      .map(([resource, services]) => `${resource} is written by ${[...services].sort().join(' and ')}`);

    // Assess
    expect(shared).toEqual([]);
  });

  it('finds each table written by its owner', () => {
    // Act
    const owners = Object.fromEntries(
      [...writers(json)]
        .filter(([resource]) => resource.startsWith('Tables/'))
        .map(([resource, services]) => [resource, [...services].sort()]),
    );

    // Assess: the writers the review settled on; a new writer of a table shows here.
    expect(owners).toEqual({
      'Tables/Catalog': ['intake'],
      'Tables/Scheduler': ['scheduler'],
      'Tables/EventStore': ['scheduler'],
      'Tables/Deliveries': ['deliver'],
      'Tables/Idempotency': ['deliver', 'ingest', 'intake', 'process', 'scheduler'],
      'Tables/Status': ['projector'],
      'Tables/Failures': ['deliver', 'ingest', 'intake', 'process', 'scheduler'],
    });
  });

  it("gives each provider's inbox prefix its provider as only writer", () => {
    // Act
    const all = writers(json);

    // Assess
    expect(all.get('Inbox/eumetsat/*')).toEqual(new Set(['provider EumetsatUploadRole']));
    expect(all.get('Inbox/ecmwf/*')).toEqual(new Set(['provider EcmwfUploadRole']));
  });

  it('keeps each shared-on-purpose entry in use, so the list cannot outlive what it excuses', () => {
    // Act
    const all = writers(json);

    // Assess
    for (const resource of Object.keys(SharedOnPurpose))
      expect(all.get(resource)?.size ?? 0, resource).toBeGreaterThan(1);
  });
});
