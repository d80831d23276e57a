/**
 * Processing algorithms are plug-ins: a named function from input objects to the bytes of one
 * product. Add one by implementing `Algorithm` and registering it in `index.ts`.
 */
import type { Readable } from 'node:stream';

/** An input as a processing request lists it. */
export interface AlgorithmInput {
  readonly bucket: string;
  readonly key: string;
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

export interface Algorithm {
  readonly name: string;
  /** Part of the product id: a new version yields new products from the same inputs. */
  readonly version: string;
  readonly contentType: string;
  /** Computes the product. Must be deterministic in the input bytes. */
  readonly run: (
    inputs: readonly AlgorithmInput[],
    open: (input: AlgorithmInput) => Promise<Readable>,
  ) => Promise<Buffer>;
}
