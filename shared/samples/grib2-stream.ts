/**
 * A GRIB2-shaped file of any size as a stream, for the container tests and benchmarks: messages
 * are made one at a time (the whole file is never in memory), and the SHA-256 of what was
 * emitted is known when the stream ends. The payload repeats one pseudo-random block, stamped
 * with the message number, so building a gigabyte costs copies, not a random generator.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Options of `grib2Stream`. */
export interface Grib2StreamOptions {
  /** Messages in the file. */
  readonly messages: number;
  /** Bytes per message (at least 20). */
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
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
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
  if (messageBytes < 20) throw new RangeError(`A GRIB2 message needs at least 20 bytes; got ${messageBytes}`);
  const block = randomBlock(options.seed ?? 1);
  const hash = createHash('sha256');
  let resolveSha: (hex: string) => void = () => undefined;
  const sha256 = new Promise<string>((resolve) => { resolveSha = resolve; });
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
      for (let offset = 16; offset < messageBytes - 4; offset += BlockBytes) block.copy(message, offset, 0, Math.min(BlockBytes, messageBytes - 4 - offset));
      message.write('GRIB', 0, 'ascii');
      message.writeUInt16BE(0, 4);
      message[6] = 0;
      message[7] = 2;
      message.writeBigUInt64BE(BigInt(messageBytes), 8);
      if (messageBytes >= 24) message.writeUInt32BE(next, 16);
      message.write(next === options.corruptMessage ? '7776' : '7777', messageBytes - 4, 'ascii');
      next += 1;
      hash.update(message);
      this.push(message);
    },
  });
  return { stream, size: messages * messageBytes, sha256 };
}
