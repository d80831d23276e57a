/**
 * A streaming check of GRIB2 structure (WMO FM 92 GRIB edition 2). A file is a sequence of
 * messages. Each message starts with section 0 (16 bytes: `GRIB`, two reserved bytes, the
 * discipline, edition 2, the message length as an unsigned 64-bit big-endian integer), then
 * sections 1 to 7, each opening with its length (unsigned 32-bit big-endian) and its number,
 * and ends with section 8, `7777`, exactly at the declared length. The check walks every section
 * header: numbers in a valid order (1, optional 2, then 3-4-5-6-7, repeated from 2, 3 or 4 for
 * more fields), every length inside the message, and the lengths adding up to the declared
 * total. It keeps a few bytes of state, so memory does not grow with the size of the file.
 */
import { FileRejectedError } from '../conventions/rejection.ts';

/** Bytes of section 0. */
export const GRIB2_SECTION0_BYTES = 16;
/** Bytes of a section's header: length (4) and number (1). */
const SECTION_HEADER_BYTES = 5;
/** Section 1 (identification) has 21 bytes before any optional reserved part. */
const SECTION1_MIN_BYTES = 21;
/** The smallest message: section 0, sections 1, 3, 4, 5, 6, 7 with their headers, `7777`. */
export const GRIB2_MIN_MESSAGE_BYTES = GRIB2_SECTION0_BYTES + SECTION1_MIN_BYTES + 5 * SECTION_HEADER_BYTES + 4;

/**
 * The sections that may follow each section (Regulation 92.1.2: 2 is optional; after 7 a
 * message may repeat from section 2, 3 or 4 for further fields, or end).
 */
const NEXT_SECTIONS: Readonly<Record<number, readonly number[]>> = {
  0: [1],
  1: [2, 3],
  2: [3],
  3: [4],
  4: [5],
  5: [6],
  6: [7],
  7: [2, 3, 4],
};

type State = 'section0' | 'sectionHeader' | 'sectionBody' | 'trailer';

/** Feeds chunks with `push`, then `end()`; both throw `FileRejectedError('bad-structure')`. */
export class Grib2StructureValidator {
  /** Messages seen so far, complete or not. */
  public messages = 0;
  /** Sections 1-7 seen so far in all messages. */
  public sections = 0;
  private offset = 0;
  private messageStart = 0;
  private messageLength = 0;
  private state: State = 'section0';
  private readonly buffer = Buffer.alloc(GRIB2_SECTION0_BYTES);
  private filled = 0;
  private lastSection = 0;
  private sectionEnd = 0;

  /** Consumes the next chunk of the file. */
  public push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'sectionBody') {
        const skip = Math.min(this.sectionEnd - this.offset, chunk.length - i);
        i += skip;
        this.offset += skip;
        if (this.offset === this.sectionEnd) this.afterSection();
        continue;
      }
      const want =
        this.state === 'section0' ? GRIB2_SECTION0_BYTES : this.state === 'trailer' ? 4 : SECTION_HEADER_BYTES;
      const take = Math.min(want - this.filled, chunk.length - i);
      this.buffer.set(chunk.subarray(i, i + take), this.filled);
      this.filled += take;
      i += take;
      this.offset += take;
      if (this.filled < want) continue;
      this.filled = 0;
      if (this.state === 'section0') this.openMessage();
      else if (this.state === 'trailer') this.closeMessage();
      else this.openSection();
    }
  }

  /** Declares the end of the file. */
  public end(): void {
    if (this.state !== 'section0' || this.filled > 0) {
      const declared =
        this.messageLength > 0 ? `the message declares ${this.messageLength} bytes` : 'its section 0 is incomplete';
      throw new FileRejectedError(
        'bad-structure',
        `GRIB2 message ${this.messages} starting at byte ${this.messageStart} is truncated: the file ends at byte ${this.offset}, ${declared}`,
      );
    }
    if (this.messages === 0) {
      throw new FileRejectedError('bad-structure', 'File holds no GRIB2 message; expected at least one');
    }
  }

  private where(): string {
    return `GRIB2 message ${this.messages} at byte ${this.messageStart}`;
  }

  private openMessage(): void {
    this.messageStart = this.offset - GRIB2_SECTION0_BYTES;
    this.messages += 1;
    this.messageLength = 0;
    const header = this.buffer;
    if (header.toString('latin1', 0, 4) !== 'GRIB') {
      throw new FileRejectedError(
        'bad-structure',
        `${this.where()} starts with ${JSON.stringify(header.toString('latin1', 0, 4))}; expected "GRIB"`,
      );
    }
    if (header[7] !== 2) {
      throw new FileRejectedError(
        'bad-structure',
        `GRIB message ${this.messages} at byte ${this.messageStart} is edition ${header[7]}; expected edition 2`,
      );
    }
    const length = header.readBigUInt64BE(8);
    if (length < BigInt(GRIB2_MIN_MESSAGE_BYTES) || length > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FileRejectedError(
        'bad-structure',
        `${this.where()} declares length ${length}; expected at least ${GRIB2_MIN_MESSAGE_BYTES} (sections 0, 1, 3-7 and "7777")`,
      );
    }
    this.messageLength = Number(length);
    this.lastSection = 0;
    this.state = 'sectionHeader';
  }

  private openSection(): void {
    const start = this.offset - SECTION_HEADER_BYTES;
    const length = this.buffer.readUInt32BE(0);
    const number = this.buffer[4] ?? -1;
    // A section header that reads "7777" plus one byte is the end marker seen too early.
    if (this.buffer.toString('latin1', 0, 4) === '7777') {
      throw new FileRejectedError(
        'bad-structure',
        `${this.where()} has "7777" at byte ${start}, before its declared end at byte ${this.messageStart + this.messageLength}: its sections are shorter than the declared total`,
      );
    }
    const allowed = NEXT_SECTIONS[this.lastSection] ?? [];
    if (!allowed.includes(number)) {
      throw new FileRejectedError(
        'bad-structure',
        `${this.where()} has section ${number} at byte ${start} after section ${this.lastSection}; expected section ${allowed.join(' or ')}`,
      );
    }
    const minimum = number === 1 ? SECTION1_MIN_BYTES : SECTION_HEADER_BYTES;
    const room = this.messageStart + this.messageLength - 4 - start;
    if (length < minimum || length > room) {
      throw new FileRejectedError(
        'bad-structure',
        `${this.where()} has section ${number} at byte ${start} declaring length ${length}; expected ${minimum} to ${room} bytes (what is left of the message's declared ${this.messageLength} before "7777")`,
      );
    }
    this.sections += 1;
    this.lastSection = number;
    this.sectionEnd = start + length;
    this.state = 'sectionBody';
    if (this.offset === this.sectionEnd) this.afterSection();
  }

  private afterSection(): void {
    const trailerStart = this.messageStart + this.messageLength - 4;
    if (this.offset < trailerStart) {
      this.state = 'sectionHeader';
      return;
    }
    if (this.lastSection !== 7) {
      throw new FileRejectedError(
        'bad-structure',
        `${this.where()} reaches its end marker after section ${this.lastSection}; expected section 7 (data) last`,
      );
    }
    this.state = 'trailer';
  }

  private closeMessage(): void {
    const trailer = this.buffer.toString('latin1', 0, 4);
    if (trailer !== '7777') {
      throw new FileRejectedError(
        'bad-structure',
        `${this.where()} (length ${this.messageLength}) ends with ${JSON.stringify(trailer)}; expected "7777"`,
      );
    }
    this.state = 'section0';
  }
}
