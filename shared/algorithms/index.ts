/** The registry of processing algorithms, by name. */
import { InvalidInputError } from '../errors.ts';
import type { Algorithm } from './algorithm.ts';
import { byteStatistics } from './byte-statistics.ts';
import { lightningWindowSummary } from './lightning-window-summary.ts';

export type { Algorithm, AlgorithmInput } from './algorithm.ts';

const algorithms: ReadonlyMap<string, Algorithm> = new Map(
  [byteStatistics, lightningWindowSummary].map((algorithm) => [algorithm.name, algorithm]),
);

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
