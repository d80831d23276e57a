/**
 * Private, encrypted S3 buckets: `SecureBucket` for pipeline data and `AccessLogsBucket` for the
 * server access logs of the others.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  EventType,
  ObjectOwnership,
  type StorageClass,
  type BucketProps,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvName } from '#shared/config.ts';
import type { ConfigurableGrantee } from './bundled-function.ts';
import { acknowledgeFindings, acknowledgeOnGrantee, arnReference, type NagFinding } from './nag.ts';

/** Settings every bucket of the pipeline shares. */
const privateBucketDefaults = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  encryption: BucketEncryption.S3_MANAGED,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  versioned: false,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies BucketProps;

/** Properties of a `SecureBucket`. */
export interface SecureBucketProps {
  /** Bucket that receives this bucket's server access logs. */
  readonly accessLogsBucket: IBucket;
  /**
   * Key prefix of this bucket's access logs in `accessLogsBucket`.
   * @default - the construct id in lower case followed by `/`, e.g. `inbox/`
   */
  readonly accessLogsPrefix?: string;
  /**
   * Days after which S3 aborts a multipart upload that was never completed (large uploads leave
   * invisible, billed parts behind otherwise).
   * @default 7
   */
  readonly abortIncompleteUploadsAfterDays?: number;
  /**
   * The environment variable through which a writer finds the bucket: `grantPutObjects` sets it
   * on a configurable grantee. Readers and deleters are not told: the objects they touch are
   * named by the events they receive.
   * @default - none
   */
  readonly nameVariable?: EnvName;
  /**
   * Days after which S3 deletes an object, for data that must live exactly as long as what
   * refers to it (claim-checked event data and the event store's TTL).
   * @default - objects are kept
   */
  readonly expireAfterDays?: number;
  /**
   * Days after which S3 moves an object to a colder storage class (a lifecycle transition).
   * @default - objects stay in S3 Standard
   */
  readonly transitions?: readonly { readonly storageClass: StorageClass; readonly afterDays: number }[];
}

/**
 * A private bucket: all public access blocked, TLS enforced, S3-managed encryption, server access
 * logs, no versioning, retained when the stack is deleted.
 *
 * @example
 * const inbox = new SecureBucket(this, 'Inbox', { accessLogsBucket: logs.bucket });
 * inbox.grantReadObjects(intake.fn);
 */
export class SecureBucket extends Construct {
  /** The bucket. */
  public readonly bucket: Bucket;
  /** The variable naming the bucket on its writers, when it has one. */
  public readonly nameVariable?: EnvName;

  public constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    if (props.nameVariable !== undefined) this.nameVariable = props.nameVariable;
    this.bucket = new Bucket(this, 'Resource', {
      ...privateBucketDefaults,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: props.accessLogsPrefix ?? `${id.toLowerCase()}/`,
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(props.abortIncompleteUploadsAfterDays ?? 7) },
        ...(props.expireAfterDays === undefined ? [] : [{ expiration: Duration.days(props.expireAfterDays) }]),
        ...(props.transitions === undefined || props.transitions.length === 0
          ? []
          : [
              {
                transitions: props.transitions.map((t) => ({
                  storageClass: t.storageClass,
                  transitionAfter: Duration.days(t.afterDays),
                })),
              },
            ]),
      ],
    });
  }

  /** The bucket's name. */
  public get bucketName(): string {
    return this.bucket.bucketName;
  }

  /** Lets `grantee` get, head and list objects (also the source side of a copy). */
  public grantReadObjects(grantee: IGrantable): Grant {
    const grant = this.bucket.grantRead(grantee);
    acknowledgeOnGrantee(grantee, [
      this.objectKeysFinding('read'),
      {
        rule: 'IAM5[Action::s3:GetObject*]',
        reason:
          'Bucket.grantRead: GetObject plus its tagging/attributes variants, which CopyObject of a tagged object needs on the source.',
      },
      {
        rule: 'IAM5[Action::s3:GetBucket*]',
        reason: 'Bucket.grantRead: bucket-level metadata reads on this one bucket only.',
      },
      {
        rule: 'IAM5[Action::s3:List*]',
        reason: 'Bucket.grantRead: listing this one bucket, so that a missing key answers 404 instead of 403.',
      },
    ]);
    return grant;
  }

  /**
   * Lets `grantee` put objects, including multipart uploads (but not delete them), and tells a
   * function or container the bucket's name (`nameVariable`). With `keyPrefix`, only keys under
   * it: a service writing its own part of a shared bucket.
   */
  public grantPutObjects(grantee: IGrantable | ConfigurableGrantee, keyPrefix?: string): Grant {
    if (this.nameVariable !== undefined && 'addEnvironment' in grantee)
      grantee.addEnvironment(this.nameVariable, this.bucketName);
    const grant =
      keyPrefix === undefined ? this.bucket.grantPut(grantee) : this.bucket.grantPut(grantee, `${keyPrefix}*`);
    acknowledgeOnGrantee(grantee, [
      this.objectKeysFinding('write', keyPrefix),
      {
        rule: 'IAM5[Action::s3:Abort*]',
        reason:
          'Bucket.grantPut: s3:AbortMultipartUpload, needed to clean up a failed multipart upload of a large file.',
      },
    ]);
    return grant;
  }

  /** Lets `grantee` delete objects (the last step of moving a file to another bucket). */
  public grantDeleteObjects(grantee: IGrantable): Grant {
    const grant = this.bucket.grantDelete(grantee);
    acknowledgeOnGrantee(grantee, [
      this.objectKeysFinding('delete'),
      {
        rule: 'IAM5[Action::s3:DeleteObject*]',
        reason: 'Bucket.grantDelete: DeleteObject (and its tagging variant) on the keys of this one bucket.',
      },
    ]);
    return grant;
  }

  /**
   * Sends an S3 event to `queue` for every object created in the bucket, whatever its key: the
   * consumer decides what to do with unknown prefixes.
   */
  public notifyOnObjectCreated(queue: IQueue): void {
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(queue));
    acknowledgeNotificationsHandler(Stack.of(this));
  }

  private objectKeysFinding(access: string, keyPrefix = ''): NagFinding {
    const cfnBucket = this.bucket.node.defaultChild as CfnBucket;
    return {
      rule: `IAM5[Resource::${arnReference(cfnBucket)}/${keyPrefix}*]`,
      reason: `Object-level ${access} access needs the object-key wildcard of this one bucket; the keys are not known in advance.`,
    };
  }
}

/**
 * The singleton Lambda CDK adds to configure bucket notifications. Its id is fixed by
 * aws-cdk-lib (`NotificationsResourceHandler.singleton`).
 */
const NotificationsHandlerIdPrefix = 'BucketNotificationsHandler';

function acknowledgeNotificationsHandler(stack: Stack): void {
  const handler = stack.node.children.find((child) => child.node.id.startsWith(NotificationsHandlerIdPrefix));
  if (handler === undefined) {
    return;
  }
  acknowledgeFindings(handler, [
    {
      rule: 'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'Role of the aws-cdk-lib BucketNotificationsHandler singleton (deploy-time only); the library attaches this managed policy even to a role passed in.',
    },
  ]);
}

/** Properties of an `AccessLogsBucket`. */
export interface AccessLogsBucketProps {
  /**
   * Days after which access logs expire.
   * @default - logs are kept
   */
  readonly expireAfterDays?: number;
}

/**
 * The bucket receiving the server access logs of the `SecureBucket`s. S3 log delivery is allowed
 * by a bucket policy (the `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` flag), so ACLs stay
 * off. It has no access logs of its own: logging it into itself would loop. cdk-nag (S1) accepts
 * that for a bucket other buckets log into, so nothing needs acknowledging.
 */
export class AccessLogsBucket extends Construct {
  /** The bucket. */
  public readonly bucket: Bucket;

  public constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Resource', {
      ...privateBucketDefaults,
      lifecycleRules:
        props.expireAfterDays === undefined ? undefined : [{ expiration: Duration.days(props.expireAfterDays) }],
    });
  }

  /** The bucket's name. */
  public get bucketName(): string {
    return this.bucket.bucketName;
  }
}
