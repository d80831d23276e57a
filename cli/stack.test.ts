import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { descriptionFromOutputs, selectStack } from './stack.ts';

const outputs = {
  Cometflow: {
    BucketInbox: 'cometflow-inbox-1',
    QueueEventBus: 'https://sqs/bus',
    QueueEventBusDlq: 'https://sqs/bus-dlq',
    TableEventStore: 'Cometflow-EventStore',
    ProviderEcmwf: JSON.stringify({
      name: 'ecmwf',
      prefix: 'ecmwf/',
      bucket: 'cometflow-inbox-1',
      roleArn: 'arn:aws:iam::111122223333:role/Cometflow-ProvidersEcmwfUploadRole',
      maxFileBytes: 5368709120,
      conventions: ['ecmwf-dissemination'],
    }),
  },
};

describe('descriptionFromOutputs', () => {
  it('takes resources from the outputs and region, credentials and endpoints from the SDK settings', () => {
    // Act
    const description = descriptionFromOutputs(outputs, {
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'key',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL: 'http://localhost:4566',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:8000',
    });

    // Assess
    expect(description).toMatchObject({
      stackName: 'Cometflow',
      region: 'eu-central-1',
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      endpoints: {
        s3: 'http://localhost:4566',
        sqs: 'http://localhost:4566',
        dynamodb: 'http://localhost:8000',
        stepfunctions: 'http://localhost:4566',
      },
      buckets: { inbox: 'cometflow-inbox-1' },
      queues: { eventBus: 'https://sqs/bus', eventBusDlq: 'https://sqs/bus-dlq' },
      tables: { eventStore: 'Cometflow-EventStore' },
      providers: {
        ecmwf: {
          prefix: 'ecmwf/',
          bucket: 'cometflow-inbox-1',
          roleArn: 'arn:aws:iam::111122223333:role/Cometflow-ProvidersEcmwfUploadRole',
        },
      },
    });
  });

  it('leaves the endpoints to the SDK on AWS, and refuses a file that is no outputs file', () => {
    expect(descriptionFromOutputs(outputs, {}).endpoints).toEqual({});
    expect(() => descriptionFromOutputs([], {}, 'out.json')).toThrow(/out.json holds no stack outputs/);
  });
});

describe('selectStack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cometflow-cli-'));

  it('says how to start a local stack when none is described', () => {
    expect(() => selectStack({}, dir, {})).toThrow(
      /No stack is described at .*local-stack.json\. Start a local stack with `npm start -- --serve`/,
    );
  });

  it('refuses a description whose process is gone', () => {
    // Prepare
    const path = join(dir, 'stale.json');
    writeFileSync(path, JSON.stringify({ ...descriptionFromOutputs(outputs, {}), pid: 2 ** 22 + 12345 }));

    // Act / Assess
    expect(() => selectStack({ stack: path }, dir, {})).toThrow(
      /is not running \(its process \d+ is gone\)\. Start a local stack/,
    );
  });

  it('reads an outputs file, letting the SDK find credentials on AWS when none are in the environment', () => {
    // Prepare
    const path = join(dir, 'outputs.json');
    writeFileSync(path, JSON.stringify(outputs));

    // Act
    const onAws = selectStack({ outputs: path }, dir, {});
    const local = selectStack({ outputs: path }, dir, { AWS_ENDPOINT_URL: 'http://localhost:4566' });

    // Assess
    expect(onAws).toMatchObject({ from: path, sdkCredentials: true });
    expect(local.sdkCredentials).toBe(false);
  });
});
