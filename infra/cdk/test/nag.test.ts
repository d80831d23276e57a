/**
 * cdk-nag AwsSolutions checks on the synthesized app.
 *
 * Findings acknowledged in the code (cdk-nag 3: `Validations.of(scope).acknowledge`), each next to
 * the code that causes it, with its own reason:
 *
 * - `IAM5[Resource::*]` on each stage role (constructs/pipeline-stage.ts): Tracing.ACTIVE grants
 *   xray:PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions.
 * - `L1` on each stage function (constructs/pipeline-stage.ts): the project pins nodejs22.x.
 * - `IAM5[Resource::<Bucket.Arn>/*]` on a stage role, per bucket granted (constructs/secure-bucket.ts):
 *   object-level access needs the object-key wildcard of that one bucket.
 * - `IAM5[Action::s3:GetObject*]`, `IAM5[Action::s3:GetBucket*]`, `IAM5[Action::s3:List*]`
 *   (Bucket.grantRead), `IAM5[Action::s3:Abort*]` (Bucket.grantPut: AbortMultipartUpload) and
 *   `IAM5[Action::s3:DeleteObject*]` (Bucket.grantDelete) on the roles granted them
 *   (constructs/secure-bucket.ts).
 * - `IAM5[Resource::<EventStore.Arn>/index/*]` on the scheduler role (constructs/pipeline-tables.ts):
 *   queries on the `byDay` index.
 * - `IAM4[Policy::...AWSLambdaBasicExecutionRole]` on the aws-cdk-lib BucketNotificationsHandler
 *   singleton (constructs/secure-bucket.ts): the library attaches it even to a role passed in.
 *
 * - `IAM5[Resource::*]` and `L1` on the delivery saga function and its role, for the same reasons as
 *   the stages (constructs/delivery-saga.ts).
 * - On the delivery state machine's role (constructs/delivery-saga.ts): `IAM5[Resource::*]`
 *   (log delivery and X-Ray actions support no resource-level permissions) and
 *   `IAM5[Resource::<SagaFunction.Arn>:*]` (LambdaInvoke: the function's versions and aliases).
 *   The state machine itself has no finding: it logs ALL events with execution data (SF1) and
 *   traces with X-Ray (SF2).
 *
 * - On the ingest container (constructs/ingest-container.ts): `ECS2` on its task definition (the
 *   environment holds resource names and timings, no secrets); `IAM5[Resource::*]` on its
 *   execution role (ecr:GetAuthorizationToken); on whoever may wake it (the scheduler and ingest
 *   roles) `IAM5[Resource::*]` (ecs:ListTasks, limited by the ecs:cluster condition) and
 *   `IAM5[Resource::...:task/<Cluster>/*]` (DescribeTasks and StopTask on the cluster's tasks).
 *
 * The access-logs bucket has no access logs of its own; cdk-nag's S1 accepts a bucket other
 * buckets log into, so it needs no acknowledgement.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { tempOutdir } from './template-helpers.ts';

/** A finding: rule id (with its `[finding]` suffix) and the construct path of the resource. */
interface Finding {
  readonly rule: string;
  readonly path: string;
}

/** An acknowledgement recorded on a construct. */
interface Acknowledgement {
  readonly rule: string;
  readonly path: string;
  readonly reason: string;
}

/** The violations of the validation report CDK writes into the cloud assembly. */
interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly violations: ReadonlyArray<{
      readonly ruleName: string;
      readonly severity?: string;
      readonly violatingConstructs?: ReadonlyArray<{ readonly constructPath?: string }>;
    }>;
  }>;
}

/** Every AwsSolutions finding of the app, acknowledged or not. */
function allFindings(app: App): Finding[] {
  const pack = new AwsSolutionsChecks();
  // cdk-nag 3.0.2 consults acknowledgements in its private `isAcknowledged`; turning it off lists
  // every finding, so that acknowledgements can be checked against real findings.
  Object.assign(pack, { isAcknowledged: () => false });
  return pack
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })));
}

/**
 * Every AwsSolutions acknowledgement recorded in the construct tree. aws-cdk-lib records its own
 * `CloudFormation-Validate::*` acknowledgements (the VPC's availability zones, the flow log's
 * destination options), which are no cdk-nag findings.
 */
function allAcknowledgements(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ rule: id.replace(/^annotation::/i, ''), path: construct.node.path, reason }))
      .filter((ack) => ack.rule.startsWith('AwsSolutions-')),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  let app: App;
  let outdir: string;
  let cleanup: () => void;
  let synthError: unknown;

  beforeAll(() => {
    const out = tempOutdir();
    outdir = out.outdir;
    cleanup = out.cleanup;
    app = buildApp({ outdir }).app;
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
    } catch (error) {
      synthError = error;
    }
  });

  afterAll(() => cleanup());

  it('synthesizes without an unacknowledged finding', () => {
    // Act
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
    const unacknowledged = report.pluginReports
      .filter((r) => r.pluginName === 'AwsSolutions')
      .flatMap((r) => r.violations)
      .map(
        (v) =>
          `${v.severity ?? '?'} ${v.ruleName} at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`,
      );

    // Assess
    expect(unacknowledged).toEqual([]);
    expect(synthError).toBeUndefined();
  });

  it('acknowledges only findings that occur, on an ancestor of the resource concerned', () => {
    // Prepare
    const findings = allFindings(app);

    // Act
    const stale = allAcknowledgements(app).filter(
      (ack) => !findings.some((f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))),
    );

    // Assess
    expect(findings.length).toBeGreaterThan(0);
    expect(stale).toEqual([]);
  });

  it('gives every acknowledgement a specific reason', () => {
    // Act
    const acknowledgements = allAcknowledgements(app);

    // Assess
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const ack of acknowledgements) {
      expect(ack.rule, ack.path).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.rule} at ${ack.path}`).toBeGreaterThanOrEqual(40);
    }
  });
});
