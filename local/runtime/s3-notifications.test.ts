import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { WrittenObject } from '../emulators/fauxqs.ts';
import { encodeNotificationKey, queueNotificationsOf, S3Notifier, type QueueNotification } from './s3-notifications.ts';

/** The parts of a notification record the tests read. */
interface SentRecord {
  readonly eventName: string;
  readonly eventTime: string;
  readonly s3: { readonly object: { readonly key: string; readonly sequencer: string } };
}

/** A fake SQS client that records the input of every command sent. */
function fakeSqs() {
  const sent: { QueueUrl: string; MessageBody: string }[] = [];
  const client = {
    send: async (command: { input: { QueueUrl: string; MessageBody: string } }) => {
      sent.push(command.input);
      return {};
    },
  } as unknown as SQSClient;
  return { client, sent };
}

const notificationTo = (overrides: Partial<QueueNotification> = {}): QueueNotification => ({
  bucket: 'cometflow-inbox',
  queueUrl: 'http://127.0.0.1/000000000000/intake',
  events: ['s3:ObjectCreated:*'],
  id: 'InboxObjectCreated',
  ...overrides,
});

const written = (overrides: Partial<WrittenObject> = {}): WrittenObject => ({
  bucket: 'cometflow-inbox',
  key: 'ecmwf/S1D11221200112218001',
  size: 1024,
  etag: '34d363a1abad5cbad226d6a3358ba49d',
  status: 'uploaded',
  ...overrides,
});

/** Writes objects through a notifier and returns the records sent, per queue URL. */
async function notify(notifications: QueueNotification[], objects: WrittenObject[]) {
  const sqs = fakeSqs();
  const notifier = new S3Notifier(notifications, sqs.client, 'eu-central-1', (error) => {
    throw error;
  });
  for (const object of objects) notifier.objectWritten(object);
  await notifier.flush();
  return sqs.sent.map((m) => ({
    queueUrl: m.QueueUrl,
    record: (JSON.parse(m.MessageBody) as { Records: SentRecord[] }).Records[0]!,
  }));
}

describe('encodeNotificationKey', () => {
  it('encodes a key the way S3 does in notifications: + for a space, %2C and %2B, / kept', () => {
    // Act
    const encoded = encodeNotificationKey('eumetsat/W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+FCI red flower.nc');

    // Assess
    expect(encoded).toBe('eumetsat/W_XX-EUMETSAT-Darmstadt%2CIMG%2BSAT%2CMTI1%2BFCI+red+flower.nc');
  });

  it('percent-encodes non-ASCII characters as UTF-8', () => {
    // Act & Assess
    expect(encodeNotificationKey('a/é%.nc')).toBe('a/%C3%A9%25.nc');
  });

  it('round-trips through the form decoding intake applies', () => {
    // Prepare
    const keys = ['eumetsat/a b+c,d/e.nc', 'x/%2B literal', 'ecmwf/S1D11221200112218001'];

    // Act
    const decoded = keys.map((k) => decodeURIComponent(encodeNotificationKey(k).replace(/\+/g, ' ')));

    // Assess
    expect(decoded).toEqual(keys);
  });
});

describe('queueNotificationsOf', () => {
  it('reads queue, events, filters and id of each queue configuration', () => {
    // Prepare
    const properties = {
      BucketName: 'cometflow-inbox',
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            QueueArn: 'arn:intake',
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'Prefix', Value: 'eumetsat/' },
                  { Name: 'suffix', Value: '.nc' },
                ],
              },
            },
            Id: 'Fci',
          },
          { Events: ['s3:ObjectCreated:Put'], QueueArn: 'arn:other' },
        ],
      },
    };

    // Act
    const notifications = queueNotificationsOf(properties, (arn) => `url-of-${arn}`);

    // Assess
    expect(notifications).toEqual([
      {
        bucket: 'cometflow-inbox',
        queueUrl: 'url-of-arn:intake',
        events: ['s3:ObjectCreated:*'],
        id: 'Fci',
        prefix: 'eumetsat/',
        suffix: '.nc',
      },
      {
        bucket: 'cometflow-inbox',
        queueUrl: 'url-of-arn:other',
        events: ['s3:ObjectCreated:Put'],
        id: 'notification-1',
      },
    ]);
  });

  it('reads a bucket without queue configurations as none', () => {
    // Act & Assess
    expect(queueNotificationsOf({ BucketName: 'b' }, () => 'never')).toEqual([]);
  });
});

describe('S3Notifier', () => {
  it('sends a record shaped like S3 event version 2.1 with the encoded key', async () => {
    // Act
    const [sent, ...rest] = await notify([notificationTo()], [written({ key: 'eumetsat/a,b+c d.nc' })]);

    // Assess
    expect(rest).toEqual([]);
    expect(sent!.queueUrl).toBe('http://127.0.0.1/000000000000/intake');
    expect(sent!.record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-central-1',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'InboxObjectCreated',
        bucket: { name: 'cometflow-inbox', arn: 'arn:aws:s3:::cometflow-inbox' },
        object: { key: 'eumetsat/a%2Cb%2Bc+d.nc', size: 1024, eTag: '34d363a1abad5cbad226d6a3358ba49d' },
      },
    });
    expect(Number.isNaN(Date.parse(sent!.record.eventTime))).toBe(false);
  });

  it('names the event after how the object was written', async () => {
    // Prepare
    const objects = [
      written({ key: 'ecmwf/put' }),
      written({ key: 'ecmwf/multipart', etag: '707d3b68d39d9acb914406b3c2d47ae9-167' }),
      written({ key: 'ecmwf/copy', status: 'copied' }),
    ];

    // Act
    const sent = await notify([notificationTo()], objects);

    // Assess
    expect(sent.map((s) => s.record.eventName)).toEqual([
      'ObjectCreated:Put',
      'ObjectCreated:CompleteMultipartUpload',
      'ObjectCreated:Copy',
    ]);
  });

  it('matches s3:ObjectCreated:* to every creation and an exact event name only to itself', async () => {
    // Prepare
    const notifications = [
      notificationTo({ queueUrl: 'all', events: ['s3:ObjectCreated:*'] }),
      notificationTo({ queueUrl: 'puts', events: ['s3:ObjectCreated:Put'] }),
      notificationTo({ queueUrl: 'removals', events: ['s3:ObjectRemoved:*'] }),
    ];
    const objects = [written({ key: 'a' }), written({ key: 'b', status: 'copied' })];

    // Act
    const sent = await notify(notifications, objects);

    // Assess
    expect(sent.map((s) => `${s.queueUrl} ${s.record.s3.object.key}`)).toEqual(['all a', 'puts a', 'all b']);
  });

  it('notifies only for keys under the prefix and with the suffix', async () => {
    // Prepare
    const notifications = [notificationTo({ prefix: 'eumetsat/', suffix: '.nc' })];
    const objects = [
      written({ key: 'eumetsat/chunk.nc' }),
      written({ key: 'ecmwf/chunk.nc' }),
      written({ key: 'eumetsat/chunk.nc.reason.json' }),
      written({ key: 'other/eumetsat/chunk.nc' }),
    ];

    // Act
    const sent = await notify(notifications, objects);

    // Assess
    expect(sent.map((s) => s.record.s3.object.key)).toEqual(['eumetsat/chunk.nc']);
  });

  it('notifies only for writes to its bucket', async () => {
    // Act
    const sent = await notify([notificationTo()], [written({ bucket: 'cometflow-archive' })]);

    // Assess
    expect(sent).toEqual([]);
  });

  it('gives each notification a larger sequencer than the one before', async () => {
    // Act
    const sent = await notify(
      [notificationTo()],
      Array.from({ length: 20 }, (_, i) => written({ key: `k${i}` })),
    );

    // Assess
    const sequencers = sent.map((s) => s.record.s3.object.sequencer);
    expect(sequencers.every((s) => /^[0-9A-F]{16}$/.test(s))).toBe(true);
    expect([...sequencers].sort()).toEqual(sequencers);
    expect(sent.map((s) => s.record.s3.object.key)).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
  });

  it('reports a failed send to onError and keeps sending the next ones', async () => {
    // Prepare
    const errors: string[] = [];
    let calls = 0;
    const sqs = {
      send: async () => {
        calls += 1;
        if (calls === 1) throw new Error('queue does not exist');
        return {};
      },
    } as unknown as SQSClient;
    const notifier = new S3Notifier([notificationTo()], sqs, 'eu-central-1', (error) => errors.push(error.message));

    // Act
    notifier.objectWritten(written({ key: 'first' }));
    notifier.objectWritten(written({ key: 'second' }));
    await notifier.flush();

    // Assess
    expect(errors).toEqual(['queue does not exist']);
    expect(calls).toBe(2);
  });
});
