import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNT, loadTemplate, physicalName, Resolver, resourcesOfType, type Template } from './template.ts';

/** A resolver that knows a bucket and a queue, as the local runtime defines them. */
function resolverWithResources(): Resolver {
  const resolver = new Resolver({ region: 'eu-central-1', stackName: 'Cometflow' });
  resolver.define('InboxBucket', { ref: 'cometflow-inbox', attributes: { Arn: 'arn:aws:s3:::cometflow-inbox' } });
  resolver.define('IntakeQueue', {
    ref: 'http://127.0.0.1:4566/000000000000/intake',
    attributes: { Arn: `arn:aws:sqs:eu-central-1:${ACCOUNT}:intake`, QueueName: 'intake', 'Endpoint.Address': 'host' },
  });
  return resolver;
}

describe('Resolver', () => {
  it('resolves Ref to the physical name of a resource', () => {
    // Prepare
    const resolver = resolverWithResources();

    // Act
    const value = resolver.resolve({ Ref: 'InboxBucket' });

    // Assess
    expect(value).toBe('cometflow-inbox');
  });

  it.each([
    ['AWS::Region', 'eu-central-1'],
    ['AWS::AccountId', '000000000000'],
    ['AWS::Partition', 'aws'],
    ['AWS::URLSuffix', 'amazonaws.com'],
    ['AWS::StackName', 'Cometflow'],
    ['AWS::StackId', 'arn:aws:cloudformation:eu-central-1:000000000000:stack/Cometflow/local'],
  ])('resolves the pseudo parameter %s', (name, expected) => {
    // Prepare
    const resolver = resolverWithResources();

    // Act
    const value = resolver.resolve({ Ref: name });

    // Assess
    expect(value).toBe(expected);
  });

  it('resolves Fn::GetAtt in its list form', () => {
    // Act
    const value = resolverWithResources().resolve({ 'Fn::GetAtt': ['IntakeQueue', 'Arn'] });

    // Assess
    expect(value).toBe('arn:aws:sqs:eu-central-1:000000000000:intake');
  });

  it('resolves Fn::GetAtt in its string form', () => {
    // Act
    const value = resolverWithResources().resolve({ 'Fn::GetAtt': 'IntakeQueue.QueueName' });

    // Assess
    expect(value).toBe('intake');
  });

  it('reads an attribute whose name has a dot in the string form of Fn::GetAtt', () => {
    // Act
    const value = resolverWithResources().resolve({ 'Fn::GetAtt': 'IntakeQueue.Endpoint.Address' });

    // Assess
    expect(value).toBe('host');
  });

  it('resolves Fn::Join over resolved parts', () => {
    // Act
    const value = resolverWithResources().resolve({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'InboxBucket' }, '/*']],
    });

    // Assess
    expect(value).toBe('arn:aws:s3:::cometflow-inbox/*');
  });

  it('resolves Fn::Sub without variables from refs, attributes and pseudo parameters', () => {
    // Act
    const value = resolverWithResources().resolve({
      'Fn::Sub': '${InboxBucket} in ${AWS::Region} notifies ${IntakeQueue.Arn}',
    });

    // Assess
    expect(value).toBe('cometflow-inbox in eu-central-1 notifies arn:aws:sqs:eu-central-1:000000000000:intake');
  });

  it('resolves Fn::Sub with variables, which take precedence over resources', () => {
    // Act
    const value = resolverWithResources().resolve({
      'Fn::Sub': [
        '${InboxBucket}/${Prefix}@${AWS::AccountId}',
        { InboxBucket: 'overridden', Prefix: { Ref: 'AWS::StackName' } },
      ],
    });

    // Assess
    expect(value).toBe('overridden/Cometflow@000000000000');
  });

  it('resolves Fn::Select over Fn::Split', () => {
    // Prepare
    const resolver = resolverWithResources();

    // Act
    const name = resolver.resolve({
      'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['IntakeQueue', 'Arn'] }] }],
    });
    const byTextIndex = resolver.resolve({ 'Fn::Select': ['1', ['a', { Ref: 'InboxBucket' }]] });

    // Assess
    expect(name).toBe('intake');
    expect(byTextIndex).toBe('cometflow-inbox');
  });

  it('resolves intrinsics nested in objects and arrays and leaves plain values alone', () => {
    // Prepare
    const properties = {
      Environment: {
        Variables: { COMETFLOW_INBOX_BUCKET: { Ref: 'InboxBucket' }, COUNT: 3, FLAG: true, NOTHING: null },
      },
      Targets: [{ Arn: { 'Fn::GetAtt': ['IntakeQueue', 'Arn'] } }, 'literal'],
      Tags: { Ref: 'InboxBucket', Extra: 'two keys, so not an intrinsic' },
    };

    // Act
    const value = resolverWithResources().resolve(properties);

    // Assess
    expect(value).toEqual({
      Environment: { Variables: { COMETFLOW_INBOX_BUCKET: 'cometflow-inbox', COUNT: 3, FLAG: true, NOTHING: null } },
      Targets: [{ Arn: 'arn:aws:sqs:eu-central-1:000000000000:intake' }, 'literal'],
      Tags: { Ref: 'InboxBucket', Extra: 'two keys, so not an intrinsic' },
    });
  });

  it('names the logical id of a reference the local runtime has not created', () => {
    // Prepare
    const resolver = resolverWithResources();

    // Act & Assess
    expect(() => resolver.resolve({ Ref: 'ProductsBucket' })).toThrow(
      'Template refers to ProductsBucket, which the local runtime has not created',
    );
    expect(() => resolver.resolve({ 'Fn::Sub': 'x-${ProductsBucket}' })).toThrow('Template refers to ProductsBucket');
  });

  it('names the attribute the local runtime does not provide', () => {
    // Prepare
    const resolver = resolverWithResources();

    // Act & Assess
    expect(() => resolver.resolve({ 'Fn::GetAtt': ['InboxBucket', 'DomainName'] })).toThrow(
      'Template reads InboxBucket.DomainName, which the local runtime does not provide',
    );
    expect(() => resolver.resolve({ 'Fn::Sub': '${Missing.Arn}' })).toThrow('Template reads Missing.Arn');
  });

  it('knows which logical ids are defined', () => {
    // Act
    const resolver = resolverWithResources();

    // Assess
    expect(resolver.has('InboxBucket')).toBe(true);
    expect(resolver.has('ProductsBucket')).toBe(false);
  });
});

describe('loadTemplate and resourcesOfType', () => {
  let folder: string | undefined;
  afterEach(() => {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  it('loads a template and lists resources of a type in template order', () => {
    // Prepare
    folder = mkdtempSync(join(tmpdir(), 'template-test-'));
    const template: Template = {
      Resources: {
        B: { Type: 'AWS::SQS::Queue' },
        A: { Type: 'AWS::S3::Bucket' },
        C: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30 } },
      },
    };
    writeFileSync(join(folder, 'stack.template.json'), JSON.stringify(template));

    // Act
    const loaded = loadTemplate(join(folder, 'stack.template.json'));

    // Assess
    expect(resourcesOfType(loaded, 'AWS::SQS::Queue').map(([id]) => id)).toEqual(['B', 'C']);
  });

  it('refuses a JSON file without Resources and names it', () => {
    // Prepare
    folder = mkdtempSync(join(tmpdir(), 'template-test-'));
    const path = join(folder, 'not-a-template.json');
    writeFileSync(path, JSON.stringify({ Outputs: {} }));

    // Act & Assess
    expect(() => loadTemplate(path)).toThrow(`${path} is not a CloudFormation template: it has no Resources`);
  });
});

describe('physicalName', () => {
  it('joins stack name and logical id when it fits', () => {
    // Act & Assess
    expect(physicalName('Cometflow', 'IntakeQueue', { maxLength: 80 })).toBe('Cometflow-IntakeQueue');
  });

  it('lower-cases and replaces characters buckets cannot have', () => {
    // Act & Assess
    expect(physicalName('Cometflow', 'Inbox_Bucket', { maxLength: 63, lowerCase: true })).toBe(
      'cometflow-inbox-bucket',
    );
  });

  it('shortens a long name to the limit with a stable hash', () => {
    // Prepare
    const logicalId = `VeryLong${'Queue'.repeat(20)}`;

    // Act
    const name = physicalName('Cometflow', logicalId, { maxLength: 40 });

    // Assess
    expect(name).toHaveLength(40);
    expect(name).toMatch(/^Cometflow-VeryLong.*-[0-9a-f]{8}$/);
    expect(physicalName('Cometflow', logicalId, { maxLength: 40 })).toBe(name);
    expect(physicalName('Cometflow', `${logicalId}X`, { maxLength: 40 })).not.toBe(name);
  });
});
