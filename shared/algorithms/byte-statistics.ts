/**
 * The reference processing algorithm: a deterministic derived product computed from the input
 * bytes, per input (size, SHA-256, mean byte value, Shannon entropy in bits per byte) and over
 * all inputs. It reads each input once as a stream, so memory does not grow with input size.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { InvalidInputError } from '../errors.ts';
import type { Algorithm, AlgorithmInput } from './algorithm.ts';

/** Statistics of one input. */
export interface InputStatistics {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly meanByte: number;
  readonly entropyBitsPerByte: number;
}

const round = (value: number): number => Math.round(value * 1e6) / 1e6;

function entropy(histogram: Float64Array, total: number): number {
  if (total === 0) return 0;
  let bits = 0;
  for (const count of histogram) {
    if (count > 0) {
      const p = count / total;
      bits -= p * Math.log2(p);
    }
  }
  return bits;
}

/** Reads one input, checks its SHA-256 against the one announced, and measures it. */
export async function measure(
  input: AlgorithmInput,
  content: Readable,
): Promise<{ stats: InputStatistics; histogram: Float64Array }> {
  const histogram = new Float64Array(256);
  const hash = createHash('sha256');
  let size = 0;
  let sum = 0;
  for await (const chunk of content as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    for (const byte of chunk) {
      histogram[byte]! += 1;
      sum += byte;
    }
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== input.sha256 || size !== input.size) {
    throw new InvalidInputError(
      `Input ${input.key} has SHA-256 ${sha256} and ${size} bytes; the request announced ${input.sha256} and ${input.size} bytes`,
    );
  }
  return {
    stats: {
      name: input.name,
      size,
      sha256,
      meanByte: round(size === 0 ? 0 : sum / size),
      entropyBitsPerByte: round(entropy(histogram, size)),
    },
    histogram,
  };
}

/** The `byte-statistics` algorithm. */
export const byteStatistics: Algorithm = {
  name: 'byte-statistics',
  version: '1',
  contentType: 'application/json',
  async run(inputs, open) {
    const total = new Float64Array(256);
    const perInput: InputStatistics[] = [];
    for (const input of inputs) {
      const { stats, histogram } = await measure(input, await open(input));
      perInput.push(stats);
      histogram.forEach((count, byte) => {
        total[byte]! += count;
      });
    }
    const bytes = perInput.reduce((n, s) => n + s.size, 0);
    const body = {
      algorithm: 'byte-statistics',
      version: '1',
      inputs: perInput,
      total: { inputs: perInput.length, bytes, entropyBitsPerByte: round(entropy(total, bytes)) },
    };
    return Buffer.from(`${JSON.stringify(body, null, 2)}\n`);
  },
};
