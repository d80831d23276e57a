/**
 * The real-time reference algorithm: one product per Lightning Imager window. For every input
 * LI Level-2 file it reads the window and product type from the name (the convention the file
 * passed at intake) and streams the bytes once (size, SHA-256 checked against the request, byte
 * entropy); then it sums them per 30 s window and product type. It decodes no NetCDF variable:
 * the pipeline, not meteorology, is the product, so it counts files and bytes, not flashes.
 */
import { InvalidInputError } from '../errors.ts';
import { FileRejectedError } from '../conventions/rejection.ts';
import { parseLiName } from '../conventions/mtg-li.ts';
import type { Algorithm } from './algorithm.ts';
import { measure, type InputStatistics } from './byte-statistics.ts';

/** One window and product type of the product. */
export interface LightningWindow {
  readonly stream: string;
  readonly productType: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly repeatCycle: number;
  readonly count: number;
  readonly files: number;
  readonly bytes: number;
  readonly inputs: readonly InputStatistics[];
}

/** The `lightning-window-summary` algorithm. */
export const lightningWindowSummary: Algorithm = {
  name: 'lightning-window-summary',
  version: '1',
  contentType: 'application/json',
  async run(inputs, open) {
    const windows = new Map<
      string,
      { window: Omit<LightningWindow, 'files' | 'bytes' | 'inputs'>; inputs: InputStatistics[] }
    >();
    for (const input of inputs) {
      let attributes: ReturnType<typeof parseLiName>;
      try {
        attributes = parseLiName(input.name);
      } catch (error) {
        if (!(error instanceof FileRejectedError)) throw error;
        throw new InvalidInputError(
          `Input ${input.key} is not an LI Level-2 file (${error.message}); lightning-window-summary takes only LI files`,
          { cause: error },
        );
      }
      const { stats } = await measure(input, await open(input));
      const id = `${attributes.stream}\n${attributes.sensingStart}`;
      const entry = windows.get(id) ?? {
        window: {
          stream: attributes.stream,
          productType: attributes.productType,
          windowStart: attributes.sensingStart,
          windowEnd: attributes.sensingEnd,
          repeatCycle: attributes.repeatCycle,
          count: attributes.count,
        },
        inputs: [],
      };
      entry.inputs.push(stats);
      windows.set(id, entry);
    }
    const summary: LightningWindow[] = [...windows.values()]
      .map(({ window, inputs: stats }) => ({
        ...window,
        files: stats.length,
        bytes: stats.reduce((n, s) => n + s.size, 0),
        inputs: stats,
      }))
      .sort((a, b) => a.windowStart.localeCompare(b.windowStart) || a.stream.localeCompare(b.stream));
    const body = { algorithm: 'lightning-window-summary', version: '1', windows: summary };
    return Buffer.from(`${JSON.stringify(body, null, 2)}\n`);
  },
};
