/**
 * A GRIB2 file of any size as a stream, for the container tests and benchmarks: messages are
 * made one at a time (the whole file is never in memory), each with every section a reader
 * expects (the frame of `format-files.ts`), and the SHA-256 of what was emitted is known when
 * the stream ends. The data repeats one pseudo-random block, stamped with the message number,
 * so building a gigabyte costs copies, not a random generator.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GRIB2_DATA_OFFSET, GRIB2_FRAME_BYTES, writeGrib2Frame } from './format-files.ts';

/** Options of `grib2Stream`. */
export interface Grib2StreamOptions {
  /** Messages in the file. */
  readonly messages: number;
  /** Bytes per message (more than `GRIB2_FRAME_BYTES`). */
  readonly messageBytes: number;
  /** Varies the payload. @default 1 */
  readonly seed?: number;
  /** A message (1-based) whose end marker is `7776` instead of `7777`: a corrupt file. */
  readonly corruptMessage?: number;
}

const BlockBytes = 1024 * 1024;

function randomBlock(seed: number): Buffer {
  const block = Buffer.alloc(BlockBytes);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < BlockBytes; i += 4) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    block.writeUInt32LE(state, i);
  }
  return block;
}

/**
 * The file as a stream, its size, and its SHA-256 (hex) once the stream has ended.
 *
 * @example
 * const file = grib2Stream({ messages: 140, messageBytes: 8 * 1024 * 1024 });
 * await new Upload({ client, params: { Bucket, Key, Body: file.stream } }).done();
 * expect(ingested.sha256).toBe(await file.sha256);
 */
export function grib2Stream(options: Grib2StreamOptions): { stream: Readable; size: number; sha256: Promise<string> } {
  const { messages, messageBytes } = options;
  if (messageBytes <= GRIB2_FRAME_BYTES + 4) {
    throw new RangeError(
      `A streamed GRIB2 message needs more than ${GRIB2_FRAME_BYTES + 4} bytes; got ${messageBytes}`,
    );
  }
  const block = randomBlock(options.seed ?? 1);
  const hash = createHash('sha256');
  let resolveSha: (hex: string) => void = () => undefined;
  const sha256 = new Promise<string>((resolve) => {
    resolveSha = resolve;
  });
  let next = 1;
  const stream = new Readable({
    highWaterMark: 1,
    objectMode: false,
    read() {
      if (next > messages) {
        resolveSha(hash.digest('hex'));
        this.push(null);
        return;
      }
      const message = Buffer.allocUnsafe(messageBytes);
      const dataEnd = messageBytes - 4;
      for (let offset = GRIB2_DATA_OFFSET; offset < dataEnd; offset += BlockBytes) {
        block.copy(message, offset, 0, Math.min(BlockBytes, dataEnd - offset));
      }
      writeGrib2Frame(message, { parameter: next % 256 });
      message.writeUInt32BE(next, GRIB2_DATA_OFFSET);
      if (next === options.corruptMessage) message.write('7776', dataEnd, 'latin1');
      next += 1;
      hash.update(message);
      this.push(message);
    },
  });
  return { stream, size: messages * messageBytes, sha256 };
}
