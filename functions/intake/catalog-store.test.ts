import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore, type CatalogEntry } from './catalog-store.ts';

const TABLE = 'catalog';
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const db = mockClient(documents);
const entry: CatalogEntry = {
  key: 'ecmwf/S1D11221200112218001',
  etag: 'etag-1',
  size: 2000,
  provider: 'ecmwf',
  name: 'S1D11221200112218001',
  attributes: {
    kind: 'forecast',
    convention: 'ecmwf-dissemination',
    stream: 'S1D',
    analysisTime: '2026-11-22T12:00:00Z',
    validTime: '2026-11-22T18:00:00Z',
  },
};
const conditionFailed = (): ConditionalCheckFailedException =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('DynamoDbCatalogStore', () => {
  beforeEach(() => db.reset());

  it('registers a new file with a put conditional on the absence of its key', async () => {
    // Prepare
    db.on(PutCommand).resolves({});
    const store = new DynamoDbCatalogStore(documents, TABLE);

    // Act
    const registration = await store.register(entry, new Date('2026-11-22T13:00:00Z'));

    // Assess
    expect(registration).toBe('new');
    const [put] = db.commandCalls(PutCommand);
    expect(put!.args[0].input).toEqual({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: `FILE#${entry.key}`,
        sk: 'ETAG#etag-1',
        provider: 'ecmwf',
        name: entry.name,
        size: 2000,
        attributes: entry.attributes,
        status: 'available',
        published: false,
        registeredAt: '2026-11-22T13:00:00.000Z',
      },
    });
    expect(db.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('answers duplicate when the same key and content were registered and announced', async () => {
    // Prepare
    db.on(PutCommand).rejects(conditionFailed());
    db.on(GetCommand).resolves({ Item: { pk: `FILE#${entry.key}`, sk: 'ETAG#etag-1', published: true } });
    const store = new DynamoDbCatalogStore(documents, TABLE);

    // Act
    const registration = await store.register(entry);

    // Assess
    expect(registration).toBe('duplicate');
    expect(db.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: `FILE#${entry.key}`, sk: 'ETAG#etag-1' },
      ConsistentRead: true,
    });
  });

  it('answers unpublished when a registration was never announced', async () => {
    // Prepare
    db.on(PutCommand).rejects(conditionFailed());
    db.on(GetCommand).resolves({ Item: { pk: `FILE#${entry.key}`, sk: 'ETAG#etag-1', published: false } });

    // Act
    const registration = await new DynamoDbCatalogStore(documents, TABLE).register(entry);

    // Assess
    expect(registration).toBe('unpublished');
  });

  it('lets any other error of the put propagate', async () => {
    // Prepare
    db.on(PutCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }),
    );

    // Act
    const registering = new DynamoDbCatalogStore(documents, TABLE).register(entry);

    // Assess
    await expect(registering).rejects.toThrow('Rate exceeded');
    expect(db.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('marks a file published on its own record', async () => {
    // Prepare
    db.on(UpdateCommand).resolves({});

    // Act
    await new DynamoDbCatalogStore(documents, TABLE).markPublished(entry);

    // Assess
    expect(db.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: `FILE#${entry.key}`, sk: 'ETAG#etag-1' },
      UpdateExpression: 'SET published = :true',
      ExpressionAttributeValues: { ':true': true },
    });
  });
});
