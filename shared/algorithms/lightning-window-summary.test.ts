import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { fciChunk, liFile } from '../samples/provider-files.ts';
import type { AlgorithmInput } from './algorithm.ts';
import { algorithmNamed } from './index.ts';

/** An input as a processing request lists it, with the bytes the algorithm will read. */
const inputOf = (sample: { key: string; body: Buffer }): { input: AlgorithmInput; body: Buffer } => ({
  input: {
    bucket: 'archive',
    key: sample.key,
    name: sample.key.slice('eumetsat/'.length),
    size: sample.body.length,
    sha256: createHash('sha256').update(sample.body).digest('hex'),
  },
  body: sample.body,
});

const run = async (items: readonly { input: AlgorithmInput; body: Buffer }[]): Promise<Record<string, unknown>> => {
  const bodies = new Map(items.map((item) => [item.input.key, item.body]));
  const product = await algorithmNamed('lightning-window-summary').run(
    items.map((i) => i.input),
    async (input) => Readable.from([bodies.get(input.key)!]),
  );
  return JSON.parse(product.toString('utf8')) as Record<string, unknown>;
};

describe('lightning-window-summary', () => {
  it('sums each 30 s window and product type, in window order, with every input SHA-256', async () => {
    // Prepare
    const start = new Date('2026-11-22T10:10:00Z');
    const later = inputOf(liFile('LFL', new Date(start.getTime() + 30_000), 2000));
    const flashes = inputOf(liFile('LFL', start, 1000));
    const accumulated = inputOf(liFile('AF', start, 3000));

    // Act
    const product = await run([later, flashes, accumulated]);

    // Assess
    expect(product.windows).toMatchObject([
      {
        stream: 'mti1-li-af',
        productType: 'AF',
        windowStart: '2026-11-22T10:10:00.000Z',
        windowEnd: '2026-11-22T10:10:30.000Z',
        files: 1,
        bytes: 3000,
      },
      {
        stream: 'mti1-li-lfl',
        productType: 'LFL',
        windowStart: '2026-11-22T10:10:00.000Z',
        repeatCycle: 62,
        count: 1,
        files: 1,
        bytes: 1000,
      },
      { stream: 'mti1-li-lfl', windowStart: '2026-11-22T10:10:30.000Z', count: 2, files: 1, bytes: 2000 },
    ]);
    const windows = product.windows as { inputs: { sha256: string }[] }[];
    expect(windows[1]!.inputs[0]!.sha256).toBe(flashes.input.sha256);
  });

  it('is deterministic in the input bytes, whatever their order', async () => {
    // Prepare
    const start = new Date('2026-11-22T10:10:00Z');
    const a = inputOf(liFile('LFL', start));
    const b = inputOf(liFile('AF', start));

    // Act
    const [first, second] = await Promise.all([run([a, b]), run([b, a])]);

    // Assess
    expect(first).toEqual(second);
  });

  it('refuses an input that is no LI file', async () => {
    // Prepare
    const chunk = inputOf(fciChunk('20261122', 61, 1, 1024));

    // Act
    const outcome = run([chunk]);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
    await expect(outcome).rejects.toThrow('lightning-window-summary takes only LI files');
  });

  it('refuses an input whose bytes are not those announced', async () => {
    // Prepare
    const file = inputOf(liFile('LFL', new Date('2026-11-22T10:10:00Z')));
    const tampered = { ...file, body: Buffer.concat([file.body, Buffer.from('x')]) };

    // Act
    const outcome = run([tampered]);

    // Assess
    await expect(outcome).rejects.toThrow(/has SHA-256 [0-9a-f]{64} and 16385 bytes; the request announced/);
  });
});
