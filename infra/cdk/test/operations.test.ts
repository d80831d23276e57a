/**
 * The operations side of the stack: the status read model (the event store's stream mapped to
 * the projector, which alone writes the status table).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env } from '#shared/config.ts';
import { buildApp } from '../app.ts';
import { referencedId, resourcesOfType, tempOutdir, type TemplateJson } from './template-helpers.ts';

describe('operations', () => {
  let template: Template;
  let json: TemplateJson;
  let cleanup: () => void;

  beforeAll(() => {
    const out = tempOutdir();
    cleanup = out.cleanup;
    template = Template.fromStack(buildApp({ outdir: out.outdir }).stack);
    json = template.toJSON() as TemplateJson;
  });

  afterAll(() => cleanup());

  it('maps the event store\'s stream of new images to the projector, from its start, with retries, bisection and an on-failure queue', () => {
    // Prepare
    const eventStore = Object.entries(resourcesOfType(json, 'AWS::DynamoDB::Table'))
      .find(([, t]) => (t.Properties?.GlobalSecondaryIndexes as { IndexName: string }[] | undefined)?.some((i) => i.IndexName === 'byDay'));
    const mappings = Object.values(resourcesOfType(json, 'AWS::Lambda::EventSourceMapping'))
      .filter((m) => JSON.stringify(m.Properties?.EventSourceArn).includes('StreamArn'));

    // Assess
    expect(eventStore?.[1].Properties?.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(mappings).toHaveLength(1);
    const [mapping] = mappings;
    expect(referencedId(mapping!.Properties!.EventSourceArn)).toBe(eventStore![0]);
    expect(mapping!.Properties).toMatchObject({ StartingPosition: 'TRIM_HORIZON', BisectBatchOnFunctionError: true, MaximumRetryAttempts: 10 });
    const onFailure = (mapping!.Properties!.DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure.Destination;
    expect(json.Resources[referencedId(onFailure)]?.Type).toBe('AWS::SQS::Queue');
    const projectorId = referencedId(mapping!.Properties!.FunctionName);
    const projector = json.Resources[projectorId]!;
    const statusTableId = Object.entries(resourcesOfType(json, 'AWS::DynamoDB::Table'))
      .find(([, t]) => (t.Properties?.GlobalSecondaryIndexes as { IndexName: string }[] | undefined)?.some((i) => i.IndexName === 'byKindDay'))![0];
    expect(referencedId((projector.Properties!.Environment as { Variables: Record<string, unknown> }).Variables[Env.statusTable])).toBe(statusTableId);
  });

  it('lets only the projector write the status table', () => {
    // Prepare
    const statusTableId = Object.entries(resourcesOfType(json, 'AWS::DynamoDB::Table'))
      .find(([, t]) => (t.Properties?.GlobalSecondaryIndexes as { IndexName: string }[] | undefined)?.some((i) => i.IndexName === 'byKindDay'))![0];

    // Act: the policies with a statement writing the status table.
    const writers = Object.entries(resourcesOfType(json, 'AWS::IAM::Policy')).filter(([, policy]) => {
      const statements = (policy.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
      return statements.some((s) => [s.Action].flat().includes('dynamodb:PutItem') && JSON.stringify(s.Resource).includes(`"${statusTableId}"`));
    });

    // Assess
    expect(writers).toHaveLength(1);
    expect(writers[0]![0]).toMatch(/^StatusProjectionFunctionRole/);
  });
});
