/**
 * Lanes come from one table: adding an entry deploys its queue, function and event source
 * mapping, gives the scheduler its queue, and lets rules reach it by stage and priority; a
 * rule whose stage and priority name no lane fails the synth, naming the rule.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Env, Lanes, type LaneTable } from '#shared/config.ts';
import { RuleSetError } from '#shared/rules/errors.ts';
import { projectRoot } from '../config.ts';
import { PipelineStack } from '../app.ts';
import { cdkPath, referencedId, resourcesOfType, type TemplateJson } from './template-helpers.ts';

/** The flags of cdk.json, for an app built here. */
const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ??
  {};

/** A stack without bundling (an app context CDK honours), so that only the wiring is built. */
const synth = (lanes: LaneTable): TemplateJson => {
  const app = new App({
    context: {
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
      ...cdkJsonContext(),
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:bundling-stacks': [],
    },
  });
  return Template.fromStack(new PipelineStack(app, 'Lanes', { lanes })).toJSON() as TemplateJson;
};

describe('lanes', () => {
  it("synthesizes a lane added to the table: its queue, function, bounded mapping and the scheduler's grant", () => {
    // Prepare
    const lanes: LaneTable = { ...Lanes, 'deliver-bulk': { stage: 'deliver', priority: 'bulk', id: 'DeliverBulk' } };

    // Act
    const json = synth(lanes);

    // Assess
    const queues = Object.entries(resourcesOfType(json, 'AWS::SQS::Queue')).filter(
      ([, q]) => cdkPath(q) === 'Lanes/Default/DeliverBulk/Queue/Resource/Resource',
    );
    expect(queues).toHaveLength(1);
    const queueId = queues[0]![0];
    const functions = Object.entries(resourcesOfType(json, 'AWS::Lambda::Function')).filter(([, f]) =>
      cdkPath(f).startsWith('Lanes/Default/DeliverBulk/'),
    );
    expect(functions).toHaveLength(1);
    const [functionId] = functions[0]!;
    const mappings = Object.values(resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')).filter(
      (m) => referencedId(m.Properties?.['FunctionName']) === functionId,
    );
    expect(mappings).toHaveLength(1);
    expect(referencedId(mappings[0]!.Properties?.['EventSourceArn'])).toBe(queueId);
    expect(mappings[0]!.Properties?.['ScalingConfig']).toEqual({ MaximumConcurrency: 2 });
    // The scheduler may send to it, and finds it in COMETFLOW_LANES.
    const scheduler = Object.values(resourcesOfType(json, 'AWS::Lambda::Function')).find((f) =>
      cdkPath(f).startsWith('Lanes/Default/Scheduler/'),
    )!;
    const lanesVariable = JSON.stringify(
      (scheduler.Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables[Env.lanes],
    );
    expect(lanesVariable).toContain('deliver-bulk');
    expect(lanesVariable).toContain(queueId);
    const schedulerSends = Object.values(resourcesOfType(json, 'AWS::IAM::Policy'))
      .filter((p) =>
        (p.Properties?.['Roles'] as unknown[]).some(
          (r) => referencedId(r) === referencedId(scheduler.Properties?.['Role']),
        ),
      )
      .flatMap(
        (p) =>
          (p.Properties?.['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown }[] })
            .Statement,
      )
      .filter((st) => [st.Action].flat().includes('sqs:SendMessage'))
      .flatMap((st) => [st.Resource].flat().map(referencedId));
    expect(schedulerSends).toContain(queueId);
    // It runs the deliver code with the deliver stage's grants: it may start the saga.
    expect(functions[0]![1].Properties?.['Handler']).toBe('index.handler');
    const startsSaga = Object.values(resourcesOfType(json, 'AWS::IAM::Policy'))
      .filter((p) =>
        (p.Properties?.['Roles'] as unknown[]).some(
          (r) => referencedId(r) === referencedId(functions[0]![1].Properties?.['Role']),
        ),
      )
      .flatMap((p) => (p.Properties?.['PolicyDocument'] as { Statement: { Action: string | string[] }[] }).Statement)
      .some((st) => [st.Action].flat().includes('states:StartExecution'));
    expect(startsSaga).toBe(true);
  });

  it('fails the synth naming the rule when its stage and priority have no lane', () => {
    // Prepare
    const { 'process-bulk': _removed, ...lanes } = Lanes;

    // Act
    const act = (): TemplateJson => synth(lanes);

    // Assess
    expect(act).toThrow(RuleSetError);
    expect(act).toThrow('Rule "join-fci-cycle": emit.target: no lane of stage "process" has priority "bulk"');
  });

  it('gives the event bus a bulk lane: its own queue, a scheduler function with a bounded mapping, known to every publisher', () => {
    // Act
    const json = synth(Lanes);

    // Assess
    const functions = Object.entries(resourcesOfType(json, 'AWS::Lambda::Function'));
    const byPath = (part: string): [string, (typeof functions)[number][1]] =>
      functions.find(([, f]) => cdkPath(f).includes(part))!;
    const [bulkId, bulk] = byPath('/EventBusBulk/Function/');
    const [, scheduler] = byPath('/Scheduler/Function/');
    const mappingOf = (functionId: string) =>
      Object.values(resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')).find(
        (m) => referencedId(m.Properties?.['FunctionName']) === functionId,
      )!;
    const bulkQueueId = referencedId(mappingOf(bulkId).Properties?.['EventSourceArn']);
    expect(cdkPath(json.Resources[bulkQueueId]!)).toMatch(/\/EventBusBulk\/Queue\/Resource\/Resource$/);
    expect(mappingOf(bulkId).Properties?.['ScalingConfig']).toEqual({ MaximumConcurrency: 2 });
    const variablesOf = (f: typeof bulk): Record<string, unknown> =>
      (f.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    // The same scheduler code and settings, resolving rules against the same lanes.
    expect(variablesOf(bulk)[Env.lanes]).toEqual(variablesOf(scheduler)[Env.lanes]);
    expect(variablesOf(bulk)[Env.deadlineMinimumWaitSeconds]).toBe(
      variablesOf(scheduler)[Env.deadlineMinimumWaitSeconds],
    );
    // Every function that publishes events knows both lanes of the bus, with their priorities.
    const publishers = functions.filter(([, f]) => variablesOf(f)[Env.eventBusQueueUrl] !== undefined);
    expect(publishers.length).toBeGreaterThanOrEqual(8);
    for (const [, f] of publishers.filter(([, f]) => !cdkPath(f).includes('/Calendar/'))) {
      const busLanes = JSON.stringify(variablesOf(f)[Env.eventBusLanes]);
      expect(busLanes, cdkPath(f)).toContain(bulkQueueId);
      expect(busLanes, cdkPath(f)).toContain('\\"priority\\":\\"bulk\\"');
    }
  });
});
