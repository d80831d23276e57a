/**
 * The registry of processing algorithms, by name: the reference ones, plus those a plug-in
 * module registers when it is imported (`CometflowPipelineProps.algorithms` bundles such modules
 * into the process lanes ahead of the handler).
 */
import { InvalidInputError } from '../errors.ts';
import type { Algorithm } from './algorithm.ts';
import { byteStatistics } from './byte-statistics.ts';
import { lightningWindowSummary } from './lightning-window-summary.ts';

export type { Algorithm, AlgorithmInput } from './algorithm.ts';

const algorithms = new Map<string, Algorithm>(
  [byteStatistics, lightningWindowSummary].map((algorithm) => [algorithm.name, algorithm]),
);

/**
 * Adds an algorithm to the registry; throws if its name is taken, so that a plug-in cannot
 * silently replace another algorithm (and the products already made under its name).
 *
 * @example
 * registerAlgorithm({ name: 'byte-histogram', version: '1', contentType: 'application/json', run });
 */
export function registerAlgorithm(algorithm: Algorithm): void {
  if (algorithms.has(algorithm.name)) {
    throw new Error(
      `Algorithm ${JSON.stringify(algorithm.name)} is already registered; ` +
        `expected a name not among ${[...algorithms.keys()].join(', ')}`,
    );
  }
  algorithms.set(algorithm.name, algorithm);
}

/** The algorithm of that name; throws `InvalidInputError` listing the known ones. */
export function algorithmNamed(name: string): Algorithm {
  const algorithm = algorithms.get(name);
  if (algorithm === undefined) {
    throw new InvalidInputError(
      `Unknown algorithm ${JSON.stringify(name)}; known: ${[...algorithms.keys()].join(', ')}`,
    );
  }
  return algorithm;
}
