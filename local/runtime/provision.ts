/**
 * Creates what the synthesized template declares, through the AWS APIs of the emulators:
 * queues (with their redrive policies), buckets and tables (keys, indexes, TTL, streams). Every other
 * resource is given a local name so that references to it resolve.
 */
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ACCOUNT, physicalName, resourcesOfType, type Resolver, type Template } from './template.ts';

export interface ProvisionClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

/** The physical names created, by logical id. */
export interface Provisioned {
  readonly queues: Record<string, { url: string; arn: string; name: string }>;
  readonly buckets: Record<string, string>;
  readonly tables: Record<string, string>;
}

const QUEUE_ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'MaximumMessageSize',
  'FifoQueue',
  'ContentBasedDeduplication',
] as const;

const dependsOnQueue = (props: Record<string, unknown> | undefined): string | undefined => {
  const target = (props?.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt'?: [string, string] } } | undefined)
    ?.deadLetterTargetArn?.['Fn::GetAtt'];
  return target?.[0];
};

/** Creates queues, buckets and tables; defines every resource in the resolver. */
export async function provision(
  template: Template,
  resolver: Resolver,
  clients: ProvisionClients,
  options: { region: string; stackName: string },
): Promise<Provisioned> {
  const { region, stackName } = options;
  const provisioned: Provisioned = { queues: {}, buckets: {}, tables: {} };

  // Queues: dead-letter targets first, so redrive policies can name their ARN.
  const queues = resourcesOfType(template, 'AWS::SQS::Queue');
  const ordered = [...queues].sort(
    ([, a], [, b]) =>
      Number(dependsOnQueue(a.Properties) !== undefined) - Number(dependsOnQueue(b.Properties) !== undefined),
  );
  for (const [id, resource] of ordered) {
    const props = resource.Properties ?? {};
    const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
    const name =
      (props.QueueName as string | undefined) ??
      `${physicalName(stackName, id, { maxLength: fifo ? 75 : 80 })}${fifo ? '.fifo' : ''}`;
    const attributes: Record<string, string> = {};
    for (const attribute of QUEUE_ATTRIBUTES) {
      if (props[attribute] !== undefined) attributes[attribute] = String(props[attribute]);
    }
    if (props.RedrivePolicy !== undefined)
      attributes.RedrivePolicy = JSON.stringify(resolver.resolve(props.RedrivePolicy));
    const created = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const arn = `arn:aws:sqs:${region}:${ACCOUNT}:${name}`;
    provisioned.queues[id] = { url: created.QueueUrl!, arn, name };
    resolver.define(id, {
      ref: created.QueueUrl!,
      attributes: { Arn: arn, QueueName: name, QueueUrl: created.QueueUrl! },
    });
  }

  for (const [id, resource] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    const name =
      (resource.Properties?.BucketName as string | undefined) ??
      physicalName(stackName, id, { maxLength: 63, lowerCase: true });
    await clients.s3.send(new CreateBucketCommand({ Bucket: name }));
    provisioned.buckets[id] = name;
    resolver.define(id, {
      ref: name,
      attributes: {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
      },
    });
  }

  for (const [id, resource] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const props = resource.Properties ?? {};
    const name = (props.TableName as string | undefined) ?? physicalName(stackName, id, { maxLength: 255 });
    const indexes = props.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'];
    const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
    const created = await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
        AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
        BillingMode: 'PAY_PER_REQUEST',
        ...(indexes === undefined
          ? {}
          : { GlobalSecondaryIndexes: indexes.map(({ ProvisionedThroughput: _, ...index }) => index) }),
        // DynamoDB Local serves the stream on its own endpoint, as DynamoDB Streams does.
        ...(stream?.StreamViewType === undefined
          ? {}
          : {
              StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType as 'NEW_IMAGE' },
            }),
      }),
    );
    const ttl = props.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    if (ttl?.Enabled === true && ttl.AttributeName !== undefined) {
      await clients.dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
    }
    provisioned.tables[id] = name;
    const arn = `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}`;
    // DynamoDB Local's CreateTable answer leaves out the stream's ARN; DescribeTable has it.
    const streamArn =
      created.TableDescription?.LatestStreamArn ??
      (stream?.StreamViewType === undefined
        ? undefined
        : (await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table?.LatestStreamArn) ??
      `${arn}/stream/local`;
    resolver.define(id, { ref: name, attributes: { Arn: arn, StreamArn: streamArn } });
  }

  // Functions and state machines: the ARNs their callers use (a state machine's Ref is its ARN).
  for (const [id] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const name = physicalName(stackName, id, { maxLength: 64 });
    resolver.define(id, { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}` } });
  }
  for (const [id, resource] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
    const name =
      (resource.Properties?.StateMachineName as string | undefined) ?? physicalName(stackName, id, { maxLength: 80 });
    const arn = `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${name}`;
    resolver.define(id, { ref: arn, attributes: { Arn: arn, Name: name } });
  }

  // Roles: IAM's ARN form (no region), as stack outputs such as a provider's upload role show it.
  for (const [id] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const name = physicalName(stackName, id, { maxLength: 64 });
    resolver.define(id, { ref: name, attributes: { Arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, RoleId: name } });
  }

  // Everything else (policies, log groups, alarms): a name and ARN-shaped
  // attributes, enough for environment variables and policies to resolve.
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resolver.has(id)) continue;
    const name = physicalName(stackName, id, { maxLength: 64 });
    const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'local';
    const arn = `arn:aws:${service}:${region}:${ACCOUNT}:${name}`;
    resolver.define(id, {
      ref: name,
      attributes: new Proxy({ Arn: arn }, { get: (target, key: string) => target[key as 'Arn'] ?? `${arn}/${key}` }),
    });
  }
  return provisioned;
}
