/**
 * Retention and failure records in the synthesized template: every bucket has a lifecycle from
 * `retention` (the inbox's leftovers expire, the archive moves to a colder class, products,
 * distribution and access logs expire, quarantine moves to a colder class and never expires, incomplete multipart uploads are aborted), and
 * the failure records table has its indexes and is written, never read, by the stages.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureTable } from '#shared/stage/failure-records.ts';
import { buildApp } from '../app.ts';
import { retention } from '../config.ts';
import {
  cdkPath,
  logicalIdAt,
  PipelinePath,
  resourcesOfType,
  tempOutdir,
  type TemplateJson,
} from './template-helpers.ts';

interface Rule {
  readonly Status: string;
  readonly ExpirationInDays?: number;
  readonly AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
  readonly Transitions?: { StorageClass: string; TransitionInDays: number }[];
}

describe('retention', () => {
  let json: TemplateJson;
  let cleanup: () => void;

  beforeAll(() => {
    const out = tempOutdir();
    cleanup = out.cleanup;
    json = Template.fromStack(buildApp({ outdir: out.outdir }).stack).toJSON() as TemplateJson;
  });

  afterAll(() => cleanup());

  const rulesOf = (bucket: string): Rule[] => {
    const id = logicalIdAt(json, `${PipelinePath}/${bucket}/Resource/Resource`);
    return (json.Resources[id]!.Properties?.['LifecycleConfiguration'] as { Rules: Rule[] } | undefined)?.Rules ?? [];
  };
  const expiration = (rules: Rule[]): number | undefined => rules.find((r) => r.ExpirationInDays)?.ExpirationInDays;

  it('gives every bucket a lifecycle from the retention settings', () => {
    // Act
    const buckets = Object.values(resourcesOfType(json, 'AWS::S3::Bucket')).map(cdkPath);
    const withoutRules = Object.values(resourcesOfType(json, 'AWS::S3::Bucket'))
      .filter(
        (b) => (b.Properties?.['LifecycleConfiguration'] as { Rules?: unknown[] } | undefined)?.Rules === undefined,
      )
      .map(cdkPath);

    // Assess
    expect(buckets.length).toBeGreaterThanOrEqual(7);
    expect(withoutRules).toEqual([]);
    expect(expiration(rulesOf('Inbox'))).toBe(retention.inboxLeftoverDays);
    expect(expiration(rulesOf('Quarantine'))).toBeUndefined();
    expect(rulesOf('Quarantine').flatMap((r) => r.Transitions ?? [])).toEqual([
      { StorageClass: 'GLACIER_IR', TransitionInDays: retention.quarantineColdAfterDays },
    ]);
    expect(expiration(rulesOf('Products'))).toBe(retention.productsDays);
    expect(expiration(rulesOf('Distribution'))).toBe(retention.distributionDays);
    expect(expiration(rulesOf('Archive'))).toBeUndefined();
    expect(rulesOf('Archive').flatMap((r) => r.Transitions ?? [])).toEqual([
      { StorageClass: 'GLACIER_IR', TransitionInDays: retention.archiveColdAfterDays },
    ]);
    const logsId = logicalIdAt(json, `${PipelinePath}/AccessLogs/Resource/Resource`);
    expect(
      expiration((json.Resources[logsId]!.Properties?.['LifecycleConfiguration'] as { Rules: Rule[] }).Rules),
    ).toBe(retention.accessLogsDays);
    for (const bucket of ['Inbox', 'Quarantine', 'Archive', 'Products', 'Distribution'])
      expect(
        rulesOf(bucket).some((r) => r.AbortIncompleteMultipartUpload !== undefined),
        bucket,
      ).toBe(true);
  });

  it('keeps the inbox leftovers longer than a dead letter waits for its rerun', () => {
    expect(retention.inboxLeftoverDays).toBeGreaterThan(14);
  });

  it('indexes the failure records by day and by correlation, and lets the stages write them without reading', () => {
    // Prepare
    const id = logicalIdAt(json, `${PipelinePath}/Tables/Failures/Resource`);
    const table = json.Resources[id]!;
    const grants = Object.values(resourcesOfType(json, 'AWS::IAM::Policy')).flatMap((p) =>
      (
        p.Properties?.['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown }[] }
      ).Statement.filter((s) => JSON.stringify(s.Resource).includes(id)).map((s) => ({
        roles: JSON.stringify(p.Properties?.['Roles']),
        actions: [s.Action].flat(),
      })),
    );

    // Assess
    expect(table.Properties?.['KeySchema']).toEqual([{ AttributeName: FailureTable.partitionKey, KeyType: 'HASH' }]);
    expect(
      (table.Properties?.['GlobalSecondaryIndexes'] as { IndexName: string }[]).map((i) => i.IndexName).sort(),
    ).toEqual([FailureTable.byCorrelation, FailureTable.byDay]);
    expect(grants.length).toBeGreaterThanOrEqual(6);
    for (const grant of grants) {
      expect(grant.actions).toContain('dynamodb:PutItem');
      expect(grant.actions).not.toContain('dynamodb:GetItem');
      expect(grant.actions).not.toContain('dynamodb:Query');
    }
  });
});
