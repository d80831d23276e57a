import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#shared/errors.ts';
import { SagaErrorNames, sagaErrorOf, SubscriberUnavailableError } from './errors.ts';

describe('sagaErrorOf', () => {
  it('makes a refused connection an error the state machine retries, keeping it as the cause', () => {
    // Prepare: what the SDK throws when an endpoint refuses connections for a few seconds.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:40037'), { code: 'ECONNREFUSED' });

    // Act
    const error = sagaErrorOf(refused);

    // Assess
    expect(SagaErrorNames.retryable).toContain(error.name);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.cause).toBe(refused);
  });

  it("keeps a pipeline error's own name: terminal ones still compensate at once", () => {
    const terminal = [new InvalidInputError('bad'), new SubscriberUnavailableError('Climate', 'open')];
    for (const error of terminal) {
      expect(sagaErrorOf(error)).toBe(error);
      expect(SagaErrorNames.terminal).toContain(sagaErrorOf(error).name);
    }
  });
});
