import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFauxqs, type RunningFauxqs } from '../emulators/fauxqs.ts';
import { ExecutionEnvironment, InvocationError, openLog, type FunctionDefinition } from '../runtime/lambda-host.ts';
import { SqsEventSource } from '../runtime/sqs-event-source.ts';
import { Chaos, type InvocationChaos, type InvocationPlan } from './chaos.ts';

let dir: string;
let fauxqs: RunningFauxqs;

// A handler that sleeps, then records its effect with the id of its environment's cold start.
const HANDLER = `
import { appendFileSync } from 'node:fs';
const coldStart = Math.random().toString(36).slice(2);
export const handler = async (event) => {
  const records = event.Records ?? [event];
  for (const record of records) {
    const body = record.body === undefined ? record : JSON.parse(record.body);
    await new Promise((r) => setTimeout(r, body.sleepMs ?? 0));
    appendFileSync(process.env.EFFECTS, JSON.stringify({ coldStart, id: body.id }) + '\\n');
  }
  return { coldStart, batchItemFailures: [] };
};`;

const effects = (): { coldStart: string; id: string }[] => {
  const file = join(dir, 'effects.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { coldStart: string; id: string });
};

const definition = (timeoutSeconds = 5): FunctionDefinition => ({
  logicalId: 'Probe',
  name: 'probe',
  entryPath: join(dir, 'index.mjs'),
  exportName: 'handler',
  timeoutSeconds,
  memoryMb: 128,
  environment: { EFFECTS: join(dir, 'effects.jsonl') },
});

/** A chaos that plans the given faults for the next invocations, one each, and records what happened. */
function scripted(...plans: InvocationPlan[]): InvocationChaos & { crashes: number; timeouts: number } {
  const planned = [...plans];
  return {
    crashes: 0,
    timeouts: 0,
    plan() {
      return planned.shift() ?? {};
    },
    crashed() {
      this.crashes += 1;
    },
    timedOut() {
      this.timeouts += 1;
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chaos-'));
  writeFileSync(join(dir, 'index.mjs'), HANDLER);
  fauxqs = await startFauxqs({ storageDir: join(dir, 's3') });
});

afterAll(async () => {
  await fauxqs.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Worker threads cold-start and queues long-poll: slower than a unit test on a busy machine.
describe('crash injection', { timeout: 30_000 }, () => {
  it('kills an environment mid-invocation and replaces it with a fresh one', async () => {
    // Prepare: a warm environment, whose next invocation loses its worker 50 ms in, before its effect.
    const chaos = scripted({}, { crashAfterMs: 50 });
    const environment = new ExecutionEnvironment(definition(), {}, openLog(join(dir, 'probe.log')), chaos);
    const { coldStart: before } = (await environment.invoke({ id: 'warm-up' })) as { coldStart: string };

    // Act
    const crashed = await environment.invoke({ id: 'crashed', sleepMs: 1000 }).catch((e: unknown) => e);
    const { coldStart: after } = (await environment.invoke({ id: 'after' })) as { coldStart: string };
    await environment.discard();

    // Assess
    expect(crashed).toBeInstanceOf(InvocationError);
    expect((crashed as InvocationError).errorType).toBe('Runtime.ExitError');
    expect(chaos.crashes).toBe(1);
    expect(after).not.toBe(before);
    expect(effects().filter((e) => e.id === 'crashed')).toEqual([]);
  });

  it('lets a hanging invocation do its work and then time out, in a discarded environment', async () => {
    // Prepare
    const chaos = scripted({ hangPastTimeout: true });
    const environment = new ExecutionEnvironment(definition(1), {}, openLog(join(dir, 'probe.log')), chaos);

    // Act
    const timedOut = await environment.invoke({ id: 'hung' }).catch((e: unknown) => e);
    const { coldStart } = (await environment.invoke({ id: 'next' })) as { coldStart: string };
    await environment.discard();

    // Assess: the effect happened, the answer never came.
    expect((timedOut as InvocationError).errorType).toBe('Sandbox.Timedout');
    expect(chaos.timeouts).toBe(1);
    const hung = effects().filter((e) => e.id === 'hung');
    expect(hung).toHaveLength(1);
    expect(hung[0]!.coldStart).not.toBe(coldStart);
  });

  it('redelivers the message of a crashed invocation after its visibility timeout and processes it once', async () => {
    // Prepare
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: fauxqs.endpoint,
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
    });
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'crashing', Attributes: { VisibilityTimeout: '1' } }),
    );
    const chaos = scripted({ crashAfterMs: 50 });
    const environment = new ExecutionEnvironment(definition(), {}, openLog(join(dir, 'probe.log')), chaos);
    const source = new SqsEventSource({
      functionName: 'probe',
      queueUrl: QueueUrl!,
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:crashing',
      region: 'us-east-1',
      batchSize: 1,
      reportBatchItemFailures: true,
      environments: [environment],
      sqs,
    });
    await sqs.send(
      new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id: 'redelivered', sleepMs: 500 }) }),
    );

    // Act
    source.start();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !effects().some((e) => e.id === 'redelivered'))
      await new Promise((r) => setTimeout(r, 100));
    await source.stop();
    await environment.discard();
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));

    // Assess
    expect(chaos.crashes).toBe(1);
    expect(effects().filter((e) => e.id === 'redelivered')).toHaveLength(1);
    expect(
      Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
    ).toBe(0);
  });

  it('makes a message visible again while its first delivery runs, so two deliveries overlap', async () => {
    // Prepare: two environments polling, every batch redelivered early.
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: fauxqs.endpoint,
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
    });
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'early', Attributes: { VisibilityTimeout: '30' } }),
    );
    const chaos = new Chaos({ rates: { crash: 0, hang: 0, earlyRedelivery: 1 } });
    const log = openLog(join(dir, 'probe.log'));
    const environments = [
      new ExecutionEnvironment(definition(), {}, log, chaos),
      new ExecutionEnvironment(definition(), {}, log, chaos),
    ];
    const source = new SqsEventSource({
      functionName: 'probe',
      queueUrl: QueueUrl!,
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:early',
      region: 'us-east-1',
      batchSize: 1,
      reportBatchItemFailures: true,
      environments,
      sqs,
      chaos,
    });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id: 'twice', sleepMs: 1500 }) }));

    // Act
    source.start();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && effects().filter((e) => e.id === 'twice').length < 2)
      await new Promise((r) => setTimeout(r, 100));
    chaos.setEnabled(false);
    await source.stop();
    await Promise.all(environments.map((e) => e.discard()));

    // Assess: two environments ran the same message at once.
    const runs = effects().filter((e) => e.id === 'twice');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.map((r) => r.coldStart)).size).toBe(2);
    expect(chaos.counts().earlyRedelivery.probe).toBeGreaterThanOrEqual(1);
  });
});
