import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { Env } from './config.ts';
import { EnvironmentError, parseEnvironment, Setting } from './environment.ts';

const shape = {
  [Env.eventBusQueueUrl]: Setting.url(),
  [Env.catalogTable]: Setting.name('a table name'),
  [Env.workerMaxTasks]: Setting.integer({ min: 1, unit: 'tasks' }),
};
const good = {
  [Env.eventBusQueueUrl]: 'http://127.0.0.1:4566/000000000000/bus',
  [Env.catalogTable]: 'catalog',
  [Env.workerMaxTasks]: '2',
};

describe('parseEnvironment', () => {
  it('returns every setting parsed to its type', () => {
    // Act
    const env = parseEnvironment(shape, good);

    // Assess
    expect(env).toEqual({ ...good, [Env.workerMaxTasks]: 2 });
  });

  it('fails on a non-numeric count, naming the variable, its value and the expected form', () => {
    // Act
    const act = (): unknown => parseEnvironment(shape, { ...good, [Env.workerMaxTasks]: 'two' });

    // Assess
    expect(act).toThrow(EnvironmentError);
    expect(act).toThrow('COMETFLOW_WORKER_MAX_TASKS is "two"; expected a whole number of at least 1 (tasks)');
  });

  it('names every bad variable at once, an empty one as not set', () => {
    // Act
    const act = (): unknown => parseEnvironment(shape, { [Env.eventBusQueueUrl]: 'bus', [Env.catalogTable]: '' });

    // Assess
    expect(act).toThrow(
      /COMETFLOW_EVENT_BUS_QUEUE_URL is "bus"; expected an http\(s\) URL.*COMETFLOW_CATALOG_TABLE is not set; expected a table name.*COMETFLOW_WORKER_MAX_TASKS is not set/,
    );
  });

  it('refuses fractions, signs and values out of range for whole numbers', () => {
    // Prepare
    const shape = { [Env.workerMaxTasks]: Setting.integer({ min: 1, max: 10 }) };

    // Assess
    for (const bad of ['1.5', '-1', '0', '11', ' ', '1e3', '0x2']) {
      expect(() => parseEnvironment(shape, { [Env.workerMaxTasks]: bad }), bad).toThrow(
        'expected a whole number from 1 to 10',
      );
    }
    expect(parseEnvironment(shape, { [Env.workerMaxTasks]: '10' })[Env.workerMaxTasks]).toBe(10);
  });

  it('reads lists, choices, ARNs, positive numbers and JSON', () => {
    // Prepare
    const shape = {
      [Env.workerSubnets]: Setting.list(),
      [Env.workerAssignPublicIp]: Setting.oneOf(['ENABLED', 'DISABLED']),
      [Env.deliveryStateMachineArn]: Setting.arn(),
      [Env.breakerCoolDownSeconds]: Setting.positive('seconds'),
      [Env.subscribers]: Setting.json(z.array(z.object({ name: z.string() })), '[{ name }]'),
    };

    const raw = {
      [Env.workerSubnets]: 'subnet-1, subnet-2,',
      [Env.workerAssignPublicIp]: 'DISABLED',
      [Env.deliveryStateMachineArn]: 'arn:aws:states:us-east-1:000000000000:stateMachine:delivery',
      [Env.breakerCoolDownSeconds]: '0.5',
      [Env.subscribers]: '[{"name":"Nowcasting"}]',
    };

    // Act
    const env = parseEnvironment(shape, raw);

    // Assess
    expect(env).toEqual({
      [Env.workerSubnets]: ['subnet-1', 'subnet-2'],
      [Env.workerAssignPublicIp]: 'DISABLED',
      [Env.deliveryStateMachineArn]: 'arn:aws:states:us-east-1:000000000000:stateMachine:delivery',
      [Env.breakerCoolDownSeconds]: 0.5,
      [Env.subscribers]: [{ name: 'Nowcasting' }],
    });
    expect(() =>
      parseEnvironment(shape, { ...raw, [Env.workerSubnets]: ',', [Env.workerAssignPublicIp]: 'yes' }),
    ).toThrow(
      /COMETFLOW_WORKER_SUBNETS is ","; expected a comma-separated list.*COMETFLOW_WORKER_ASSIGN_PUBLIC_IP is "yes"; expected one of ENABLED, DISABLED/,
    );
    expect(() =>
      parseEnvironment({ [Env.subscribers]: shape[Env.subscribers] }, { [Env.subscribers]: '[{"nom":1}]' }),
    ).toThrow('COMETFLOW_SUBSCRIBERS is "[{\\"nom\\":1}]"; expected JSON: [{ name }]');
  });

  it('takes the fallback of an optional setting when unset, and still checks a set one', () => {
    // Prepare
    const shape = { [Env.workerIdleSeconds]: Setting.optional(Setting.integer({ min: 0, unit: 'seconds' }), 60) };

    // Assess
    expect(parseEnvironment(shape, {})[Env.workerIdleSeconds]).toBe(60);
    expect(parseEnvironment(shape, { [Env.workerIdleSeconds]: '' })[Env.workerIdleSeconds]).toBe(60);
    expect(parseEnvironment(shape, { [Env.workerIdleSeconds]: '5' })[Env.workerIdleSeconds]).toBe(5);
    expect(() => parseEnvironment(shape, { [Env.workerIdleSeconds]: 'soon' })).toThrow(
      'COMETFLOW_WORKER_IDLE_SECONDS is "soon"; expected a whole number of at least 0 (seconds), or unset for 60',
    );
  });
});
