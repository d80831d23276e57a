import { describe, expect, it } from 'vitest';
import { DownstreamThrottledError, translateThrottling } from './errors.ts';

const named = (name: string): Error => Object.assign(new Error(`${name} happened`), { name });

describe('translateThrottling', () => {
  it('turns throttling, overload and timeouts into a retryable DownstreamThrottledError naming the call', async () => {
    for (const name of ['ThrottlingException', 'SlowDown', 'ServiceUnavailable', 'TimeoutError']) {
      // Act
      const failure = translateThrottling('Copying s3://a/b', async () => {
        throw named(name);
      });

      // Assess
      await expect(failure).rejects.toBeInstanceOf(DownstreamThrottledError);
      await expect(failure).rejects.toMatchObject({
        retryable: true,
        message: `Copying s3://a/b: ${name}: ${name} happened`,
      });
    }
  });

  it('passes other errors and results through unchanged', async () => {
    const denied = named('AccessDenied');
    await expect(
      translateThrottling('x', async () => {
        throw denied;
      }),
    ).rejects.toBe(denied);
    await expect(translateThrottling('x', async () => 42)).resolves.toBe(42);
  });
});
