import { describe, expect, it } from 'vitest';
import type { ExecutionEnvironment } from './lambda-host.ts';
import { periodOf, ScheduleRunner, schedulesOf } from './schedules.ts';

describe('local schedules', () => {
  it('reads rate expressions and refuses others, naming them', () => {
    expect(periodOf('rate(1 minute)')).toBe(60_000);
    expect(periodOf('rate(2 hours)')).toBe(7_200_000);
    expect(() => periodOf('cron(0 * * * ? *)')).toThrow(
      /"cron\(0 \* \* \* \? \*\)" is not run by the local runtime; expected rate/,
    );
  });

  it("takes a schedule's function and input from the template", () => {
    const [schedule] = schedulesOf({
      S: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          ScheduleExpression: 'rate(1 minute)',
          State: 'ENABLED',
          Target: { Arn: { 'Fn::GetAtt': ['Fn1', 'Arn'] }, Input: '{"check":"x"}' },
        },
      },
      Q: { Type: 'AWS::SQS::Queue' },
    });
    expect(schedule).toEqual({
      logicalId: 'S',
      expression: 'rate(1 minute)',
      functionId: 'Fn1',
      input: { check: 'x' },
      enabled: true,
    });
  });

  it('invokes the function with the input at every period, one run at a time', async () => {
    // Prepare
    const inputs: unknown[] = [];
    const environment = {
      invoke: async (input: unknown) => {
        inputs.push(input);
        await new Promise((r) => setTimeout(r, 25));
      },
    } as unknown as ExecutionEnvironment;
    const runner = new ScheduleRunner();

    // Act: a 10 ms period with runs taking 25 ms: overlapping ticks are skipped.
    runner.start(
      { logicalId: 'S', expression: 'rate(1 minute)', functionId: 'F', input: { check: 'x' }, enabled: true },
      environment,
      undefined,
      10,
    );
    await new Promise((r) => setTimeout(r, 120));
    await runner.stop();

    // Assess
    expect(inputs.length).toBeGreaterThanOrEqual(2);
    expect(inputs.length).toBeLessThan(12);
    expect(inputs.every((i) => JSON.stringify(i) === '{"check":"x"}')).toBe(true);
  });
});
