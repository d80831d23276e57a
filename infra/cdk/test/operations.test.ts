/**
 * The operations side of the stack: the status read model (the event store's stream mapped to
 * the projector, which alone writes the status table), the dashboard, and the alarms with their
 * actions on the alarm topic.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env } from '#shared/config.ts';
import { MetricNames, MetricsNamespace } from '#shared/metrics.ts';
import { buildApp } from '../app.ts';
import { operations } from '../config.ts';
import { QueueRoles } from '../constructs/cometflow-pipeline.ts';
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

  it("maps the event store's stream of new images to the projector, from its start, with retries, bisection and an on-failure queue", () => {
    // Prepare
    const eventStore = Object.entries(resourcesOfType(json, 'AWS::DynamoDB::Table')).find(([, t]) =>
      (t.Properties?.GlobalSecondaryIndexes as { IndexName: string }[] | undefined)?.some(
        (i) => i.IndexName === 'byDay',
      ),
    );
    const mappings = Object.values(resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')).filter((m) =>
      JSON.stringify(m.Properties?.EventSourceArn).includes('StreamArn'),
    );

    // Assess
    expect(eventStore?.[1].Properties?.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(mappings).toHaveLength(1);
    const [mapping] = mappings;
    expect(referencedId(mapping!.Properties!.EventSourceArn)).toBe(eventStore![0]);
    expect(mapping!.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
    });
    const onFailure = (mapping!.Properties!.DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure
      .Destination;
    expect(json.Resources[referencedId(onFailure)]?.Type).toBe('AWS::SQS::Queue');
    const projectorId = referencedId(mapping!.Properties!.FunctionName);
    const projector = json.Resources[projectorId]!;
    const statusTableId = Object.entries(resourcesOfType(json, 'AWS::DynamoDB::Table')).find(([, t]) =>
      (t.Properties?.GlobalSecondaryIndexes as { IndexName: string }[] | undefined)?.some(
        (i) => i.IndexName === 'byKindDay',
      ),
    )![0];
    expect(
      referencedId(
        (projector.Properties!.Environment as { Variables: Record<string, unknown> }).Variables[Env.statusTable],
      ),
    ).toBe(statusTableId);
  });

  it('lets only the projector write the status table', () => {
    // Prepare
    const statusTableId = Object.entries(resourcesOfType(json, 'AWS::DynamoDB::Table')).find(([, t]) =>
      (t.Properties?.GlobalSecondaryIndexes as { IndexName: string }[] | undefined)?.some(
        (i) => i.IndexName === 'byKindDay',
      ),
    )![0];

    // Act: the policies with a statement writing the status table.
    const writers = Object.entries(resourcesOfType(json, 'AWS::IAM::Policy')).filter(([, policy]) => {
      const statements = (
        policy.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }
      ).Statement;
      return statements.some(
        (s) =>
          [s.Action].flat().includes('dynamodb:PutItem') && JSON.stringify(s.Resource).includes(`"${statusTableId}"`),
      );
    });

    // Assess
    expect(writers).toHaveLength(1);
    expect(writers[0]![0]).toMatch(/^StatusProjectionFunctionRole/);
  });

  it('sends every alarm to the alarm topic, which is encrypted, TLS-only and a stack output', () => {
    // Prepare
    const alarms = Object.entries(resourcesOfType(json, 'AWS::CloudWatch::Alarm'));
    const topicId = referencedId(json.Outputs?.AlarmTopic?.Value);

    // Assess
    expect(json.Resources[topicId]?.Type).toBe('AWS::SNS::Topic');
    expect(json.Resources[topicId]?.Properties?.KmsMasterKeyId).toBeDefined();
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] },
    });
    expect(alarms.length).toBeGreaterThan(0);
    for (const [id, alarm] of alarms)
      expect((alarm.Properties?.AlarmActions as unknown[]).map(referencedId), id).toEqual([topicId]);
  });

  it("alarms on every lane's dead letters and oldest message, on timeliness p99 over budget, and on failed compensations", () => {
    // Prepare
    const alarms = Object.values(resourcesOfType(json, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties!);
    const byMetric = (name: string) => alarms.filter((a) => a.MetricName === name);

    // Assess: one oldest-message alarm per stage queue, with the lane's bound.
    const oldest = byMetric('ApproximateAgeOfOldestMessage');
    expect(oldest).toHaveLength(QueueRoles.length);
    expect(oldest.map((a) => a.Threshold).sort()).toEqual(
      QueueRoles.map(
        (role) => operations.oldestMessageAgeSecondsByLane[role] ?? operations.oldestMessageAgeSeconds,
      ).sort(),
    );
    const timeliness = byMetric(MetricNames.productTimeliness);
    expect(timeliness.map((a) => [a.Namespace, a.ExtendedStatistic, a.Threshold, a.Dimensions])).toEqual(
      Object.entries(operations.timelinessBudgetSeconds).map(([productType, budget]) => [
        MetricsNamespace,
        'p99',
        budget,
        [
          { Name: 'productType', Value: productType },
          { Name: 'service', Value: 'projector' },
        ],
      ]),
    );
    expect(byMetric('DeliveryCompensationsFailed')).toHaveLength(1);
    expect(byMetric('ApproximateNumberOfMessagesVisible').length).toBeGreaterThanOrEqual(QueueRoles.length);
  });

  it('draws a dashboard of every lane, timeliness per product type, saga outcomes and container tasks', () => {
    // Prepare
    const [dashboard] = Object.values(resourcesOfType(json, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);

    // Assess
    for (const title of [
      'intake: throughput',
      'scheduler: oldest message (s)',
      'process (bulk): dead letters',
      'ingest (container): throughput',
      'timeliness (s)',
      'delivery sagas',
      'container tasks',
    ])
      expect(body).toContain(title);
    for (const metric of [
      MetricNames.productTimeliness,
      MetricNames.arrivalLateness,
      MetricNames.deliveriesCompensated,
      'RunningTaskCount',
      'ExecutionsSucceeded',
      'ApproximateAgeOfOldestMessage',
    ])
      expect(body).toContain(metric);
  });

  it('runs the calendar check every minute, reading the event store and publishing on the event bus, with an alarm per provider', () => {
    // Prepare
    const [schedule] = Object.values(resourcesOfType(json, 'AWS::Scheduler::Schedule'));
    const checkId = referencedId((schedule!.Properties!.Target as { Arn: unknown }).Arn);
    const variables = (json.Resources[checkId]!.Properties!.Environment as { Variables: Record<string, unknown> })
      .Variables;
    const alarms = Object.values(resourcesOfType(json, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties!);

    // Assess
    expect(schedule!.Properties!.ScheduleExpression).toBe('rate(1 minute)');
    expect(Object.keys(variables)).toEqual(expect.arrayContaining([Env.eventStoreTable, Env.eventBusQueueUrl]));
    for (const name of [MetricNames.inputMissing, MetricNames.providerSilent]) {
      expect(
        alarms
          .filter((a) => a.MetricName === name)
          .map((a) => (a.Dimensions as { Name: string; Value: string }[]).find((d) => d.Name === 'provider')?.Value)
          .sort(),
      ).toEqual(['ecmwf', 'eumetsat']);
    }
  });
});
