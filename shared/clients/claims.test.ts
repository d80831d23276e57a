import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3ClaimStore } from './claims.ts';

describe('s3ClaimStore', () => {
  it('builds its S3 client at the first claim, not when it is created', async () => {
    // Prepare: a client whose every call is answered, counted by the factory.
    let built = 0;
    const client = (): S3Client => {
      built += 1;
      const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      s3.send = (async () => ({})) as unknown as S3Client['send'];
      return s3;
    };

    // Act
    const store = s3ClaimStore(client, 'claims-bucket');
    const before = built;
    const reference = await store.put('cometflow/intake/e-1.json', '{}');
    await store.put('cometflow/intake/e-2.json', '{}');

    // Assess
    expect(before).toBe(0);
    expect(built).toBe(1);
    expect(reference).toBe('s3://claims-bucket/cometflow/intake/e-1.json');
  });
});
