import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import type { Algorithm } from './algorithm.ts';
import { algorithmNamed, registerAlgorithm } from './index.ts';

const plugin = (name: string): Algorithm => ({
  name,
  version: '1',
  contentType: 'text/plain',
  run: async (inputs) => Buffer.from(`${inputs.length}\n`),
});

describe('algorithm registry', () => {
  it('finds an algorithm a plug-in registered', () => {
    // Prepare
    const algorithm = plugin('count-inputs');

    // Act
    registerAlgorithm(algorithm);

    // Assess
    expect(algorithmNamed('count-inputs')).toBe(algorithm);
  });

  it('refuses a second algorithm under a taken name, naming it', () => {
    // Act
    const act = (): void => registerAlgorithm(plugin('byte-statistics'));

    // Assess
    expect(act).toThrow('Algorithm "byte-statistics" is already registered');
    expect(algorithmNamed('byte-statistics').contentType).toBe('application/json');
  });

  it('answers an unknown name with InvalidInputError listing the known ones', () => {
    // Act
    const act = (): unknown => algorithmNamed('no-such-algorithm');

    // Assess
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(/known: byte-statistics, lightning-window-summary/);
  });
});
