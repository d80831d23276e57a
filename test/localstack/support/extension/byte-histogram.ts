/**
 * The algorithm of docs/extending.md ("Add an algorithm and a rule"): a team's own plug-in,
 * registered when its module is imported. `CometflowPipelineProps.algorithms` bundles this file
 * into the process lanes; the rule in `rules.ts` names it.
 */
import { registerAlgorithm, type Algorithm } from '../../../../shared/algorithms/index.ts';
import { measure } from '../../../../shared/algorithms/byte-statistics.ts';

/** Name of the algorithm, as a rule's `algorithm` names it. */
export const ByteHistogram = 'byte-histogram';

/** How often each byte value occurs over all inputs (only the values that occur), as JSON. */
export const byteHistogram: Algorithm = {
  name: ByteHistogram,
  version: '1',
  contentType: 'application/json',
  async run(inputs, open) {
    const total = new Float64Array(256);
    let bytes = 0;
    for (const input of inputs) {
      // `measure` also checks each input's SHA-256 and size against the request.
      const { stats, histogram } = await measure(input, await open(input));
      bytes += stats.size;
      histogram.forEach((count, byte) => {
        total[byte]! += count;
      });
    }
    const counts = Object.fromEntries([...total.entries()].filter(([, count]) => count > 0));
    const body = { algorithm: ByteHistogram, version: '1', inputs: inputs.length, bytes, counts };
    return Buffer.from(`${JSON.stringify(body)}\n`);
  },
};

registerAlgorithm(byteHistogram);
