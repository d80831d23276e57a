/**
 * A streaming check of GRIB2 structure: the file is a sequence of messages, each starting with
 * `GRIB`, two reserved bytes, the discipline, edition 2 and the message length as an unsigned
 * 64-bit big-endian integer (WMO FM 92 GRIB edition 2, section 0), and ending with `7777` at
 * exactly that length. It keeps only a few bytes of state, so memory does not grow with size.
 */
import { FileRejectedError } from '../conventions/rejection.ts';

const SECTION0_BYTES = 16;
const MIN_MESSAGE_BYTES = SECTION0_BYTES + 4;

/** Feeds chunks with `push`, then `end()`; both throw `FileRejectedError('bad-structure')`. */
export class Grib2StructureValidator {
  /** Messages seen so far, complete or not. */
  public messages = 0;
  private offset = 0;
  private messageStart = 0;
  private messageLength = 0;
  private readonly header = Buffer.alloc(SECTION0_BYTES);
  private headerFilled = 0;
  private readonly trailer = Buffer.alloc(4);
  private inMessage = false;

  /** Consumes the next chunk of the file. */
  public push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (!this.inMessage) {
        const take = Math.min(SECTION0_BYTES - this.headerFilled, chunk.length - i);
        this.header.set(chunk.subarray(i, i + take), this.headerFilled);
        this.headerFilled += take;
        i += take;
        this.offset += take;
        if (this.headerFilled === SECTION0_BYTES) this.openMessage();
        continue;
      }
      // Skip the body up to the last four bytes of the message, which must be "7777".
      const endOfMessage = this.messageStart + this.messageLength;
      const trailerStart = endOfMessage - 4;
      if (this.offset < trailerStart) {
        const skip = Math.min(trailerStart - this.offset, chunk.length - i);
        i += skip;
        this.offset += skip;
        continue;
      }
      const take = Math.min(endOfMessage - this.offset, chunk.length - i);
      this.trailer.set(chunk.subarray(i, i + take), this.offset - trailerStart);
      i += take;
      this.offset += take;
      if (this.offset === endOfMessage) this.closeMessage();
    }
  }

  /** Declares the end of the file. */
  public end(): void {
    if (this.inMessage || this.headerFilled > 0) {
      throw new FileRejectedError('bad-structure', `GRIB2 message ${this.messages} starting at byte ${this.messageStart} is truncated: the file ends at byte ${this.offset}, the message declares ${this.messageLength || 'a length beyond the end'}`);
    }
    if (this.messages === 0) {
      throw new FileRejectedError('bad-structure', 'File holds no GRIB2 message; expected at least one');
    }
  }

  private openMessage(): void {
    this.messageStart = this.offset - SECTION0_BYTES;
    this.messages += 1;
    if (this.header.toString('ascii', 0, 4) !== 'GRIB') {
      throw new FileRejectedError('bad-structure', `GRIB2 message ${this.messages} at byte ${this.messageStart} starts with ${JSON.stringify(this.header.toString('latin1', 0, 4))}; expected "GRIB"`);
    }
    if (this.header[7] !== 2) {
      throw new FileRejectedError('bad-structure', `GRIB message ${this.messages} at byte ${this.messageStart} is edition ${this.header[7]}; expected edition 2`);
    }
    const length = this.header.readBigUInt64BE(8);
    if (length < BigInt(MIN_MESSAGE_BYTES) || length > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FileRejectedError('bad-structure', `GRIB2 message ${this.messages} at byte ${this.messageStart} declares length ${length}; expected at least ${MIN_MESSAGE_BYTES}`);
    }
    this.messageLength = Number(length);
    this.inMessage = true;
  }

  private closeMessage(): void {
    if (this.trailer.toString('latin1') !== '7777') {
      throw new FileRejectedError('bad-structure', `GRIB2 message ${this.messages} at byte ${this.messageStart} (length ${this.messageLength}) ends with ${JSON.stringify(this.trailer.toString('latin1'))}; expected "7777"`);
    }
    this.inMessage = false;
    this.headerFilled = 0;
  }
}

/**
 * Builds a GRIB2-shaped file of `messages` messages of `messageBytes` each, for samples, tests
 * and benchmarks. The payload is deterministic in `seed`.
 */
export function buildGrib2(messages: number, messageBytes: number, seed = 1): Buffer {
  const parts: Buffer[] = [];
  for (let m = 0; m < messages; m += 1) parts.push(buildGrib2Message(messageBytes, seed + m));
  return Buffer.concat(parts);
}

/** One GRIB2 message of exactly `bytes` bytes. */
export function buildGrib2Message(bytes: number, seed = 1): Buffer {
  if (bytes < MIN_MESSAGE_BYTES) throw new RangeError(`A GRIB2 message needs at least ${MIN_MESSAGE_BYTES} bytes; got ${bytes}`);
  const message = Buffer.alloc(bytes);
  message.write('GRIB', 0, 'ascii');
  message[6] = 0; // discipline: meteorological products
  message[7] = 2;
  message.writeBigUInt64BE(BigInt(bytes), 8);
  let state = seed >>> 0 || 1;
  for (let i = SECTION0_BYTES; i < bytes - 4; i += 1) {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    message[i] = state & 0xff;
  }
  message.write('7777', bytes - 4, 'ascii');
  return message;
}
