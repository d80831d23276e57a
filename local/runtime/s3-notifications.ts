/**
 * Turns S3 writes into S3 event notifications where the template configures them
 * (`Custom::S3BucketNotifications`, which CDK emits for `addEventNotification`): the record
 * has the shape S3 sends (event version 2.1, URL-encoded key, size, ETag, sequencer) and goes
 * to the configured queue through the SQS API.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WrittenObject } from '../emulators/fauxqs.ts';

export interface QueueNotification {
  readonly bucket: string;
  readonly queueUrl: string;
  readonly events: readonly string[];
  readonly prefix?: string;
  readonly suffix?: string;
  readonly id: string;
}

interface NotificationProperties {
  BucketName: string;
  NotificationConfiguration?: {
    QueueConfigurations?: {
      Events: string[];
      QueueArn: string;
      Filter?: { Key?: { FilterRules?: { Name: string; Value: string }[] } };
      Id?: string;
    }[];
  };
}

/** Reads the queue notifications of a resolved `Custom::S3BucketNotifications`. */
export function queueNotificationsOf(
  properties: NotificationProperties,
  queueUrlOfArn: (arn: string) => string,
): QueueNotification[] {
  return (properties.NotificationConfiguration?.QueueConfigurations ?? []).map((config, index) => {
    const rules = config.Filter?.Key?.FilterRules ?? [];
    const rule = (name: string): string | undefined => rules.find((r) => r.Name.toLowerCase() === name)?.Value;
    const prefix = rule('prefix');
    const suffix = rule('suffix');
    return {
      bucket: properties.BucketName,
      queueUrl: queueUrlOfArn(config.QueueArn),
      events: config.Events,
      id: config.Id ?? `notification-${index}`,
      ...(prefix === undefined ? {} : { prefix }),
      ...(suffix === undefined ? {} : { suffix }),
    };
  });
}

const eventNameOf = (object: WrittenObject): string =>
  object.status === 'copied'
    ? 'ObjectCreated:Copy'
    : object.size > 0 && object.etag.includes('-')
      ? 'ObjectCreated:CompleteMultipartUpload'
      : 'ObjectCreated:Put';

const matches = (pattern: string, eventName: string): boolean =>
  pattern === `s3:${eventName}` || (pattern.endsWith(':*') && `s3:${eventName}`.startsWith(pattern.slice(0, -1)));

/** S3 encodes keys in notifications like a form: per character, with `+` for spaces. */
export const encodeNotificationKey = (key: string): string =>
  key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');

/** Sends notifications for written objects, in write order per bucket. */
export class S3Notifier {
  private sequence = 0;
  private pending: Promise<void> = Promise.resolve();
  private readonly notifications: readonly QueueNotification[];
  private readonly sqs: SQSClient;
  private readonly region: string;
  private readonly onError: (error: Error) => void;

  public constructor(
    notifications: readonly QueueNotification[],
    sqs: SQSClient,
    region: string,
    onError: (error: Error) => void,
  ) {
    this.notifications = notifications;
    this.sqs = sqs;
    this.region = region;
    this.onError = onError;
  }

  /** Called synchronously by the S3 emulator after each write. */
  public objectWritten(object: WrittenObject): void {
    const eventName = eventNameOf(object);
    const targets = this.notifications.filter(
      (n) =>
        n.bucket === object.bucket &&
        n.events.some((e) => matches(e, eventName)) &&
        (n.prefix === undefined || object.key.startsWith(n.prefix)) &&
        (n.suffix === undefined || object.key.endsWith(n.suffix)),
    );
    for (const target of targets) {
      this.sequence += 1;
      const body = JSON.stringify({
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: this.region,
            eventTime: new Date().toISOString(),
            eventName,
            userIdentity: { principalId: 'local' },
            requestParameters: { sourceIPAddress: '127.0.0.1' },
            responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
            s3: {
              s3SchemaVersion: '1.0',
              configurationId: target.id,
              bucket: {
                name: object.bucket,
                ownerIdentity: { principalId: 'local' },
                arn: `arn:aws:s3:::${object.bucket}`,
              },
              object: {
                key: encodeNotificationKey(object.key),
                size: object.size,
                eTag: object.etag,
                sequencer: this.sequence.toString(16).toUpperCase().padStart(16, '0'),
              },
            },
          },
        ],
      });
      this.pending = this.pending
        .then(async () => {
          await this.sqs.send(new SendMessageCommand({ QueueUrl: target.queueUrl, MessageBody: body }));
        })
        .catch((error: Error) => this.onError(error));
    }
  }

  /** Waits until every notification so far has been sent. */
  public async flush(): Promise<void> {
    await this.pending;
  }
}
