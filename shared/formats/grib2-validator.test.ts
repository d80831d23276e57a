import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileRejectedError } from '../conventions/rejection.ts';
import { buildGrib2, buildGrib2Message, GRIB2_FRAME_BYTES } from '../samples/format-files.ts';
import { Grib2StructureValidator } from './grib2-validator.ts';

const validate = (bytes: Buffer, chunkSize: number): Grib2StructureValidator => {
  const validator = new Grib2StructureValidator();
  for (let i = 0; i < bytes.length; i += chunkSize) validator.push(bytes.subarray(i, i + chunkSize));
  validator.end();
  return validator;
};

/** Byte offsets of the section headers of a message built by `buildGrib2Message`: 1, 3, 4, 5, 6, 7. */
const SECTION_OFFSETS = { 1: 16, 3: 37, 4: 109, 5: 143, 6: 164, 7: 170 } as const;

describe('Grib2StructureValidator', () => {
  it('accepts a sequence of messages whatever the chunking and counts their sections', () => {
    // Prepare
    const file = buildGrib2(3, 1000);
    // Act & Assess
    for (const size of [1, 5, 7, 16, 999, 5000]) {
      const validator = validate(file, size);
      expect(validator.messages).toBe(3);
      expect(validator.sections).toBe(18);
    }
  });

  it('accepts a message repeating sections 4 to 7 for a second field', () => {
    // Prepare: sections 0 1 3 4 5 6 7 4 5 6 7 8.
    const one = buildGrib2Message(400);
    const fields = one.subarray(SECTION_OFFSETS[4], one.length - 4);
    const body = Buffer.concat([one.subarray(0, one.length - 4), fields, Buffer.from('7777')]);
    body.writeBigUInt64BE(BigInt(body.length), 8);
    // Act
    const validator = validate(body, 64);
    // Assess
    expect(validator.sections).toBe(10);
  });

  it('rejects a section 1 declaring 1 GiB inside a 4 KB message', () => {
    // Prepare
    const file = buildGrib2Message(4096);
    file.writeUInt32BE(1024 ** 3, SECTION_OFFSETS[1]);
    // Act & Assess
    expect(() => validate(file, 512)).toThrow(
      'GRIB2 message 1 at byte 0 has section 1 at byte 16 declaring length 1073741824; expected 21 to 4076 bytes ' +
        '(what is left of the message\'s declared 4096 before "7777")',
    );
  });

  it('rejects sections whose lengths add up to less than the declared total', () => {
    // Prepare: section 7 four bytes shorter leaves "7777" early.
    const file = buildGrib2Message(300);
    file.writeUInt32BE(file.readUInt32BE(SECTION_OFFSETS[7]) - 5, SECTION_OFFSETS[7]);
    // Act & Assess
    expect(() => validate(file, 300)).toThrow(/GRIB2 message 1 at byte 0 has section \d+ at byte 291/);
  });

  it('rejects sections out of order', () => {
    // Prepare: section 4's number changed to 5.
    const file = buildGrib2Message(300);
    file[SECTION_OFFSETS[4] + 4] = 5;
    // Act & Assess
    expect(() => validate(file, 33)).toThrow(
      'GRIB2 message 1 at byte 0 has section 5 at byte 109 after section 3; expected section 4',
    );
  });

  it('rejects a message ending before its data section', () => {
    // Prepare: sections 1-6 then the end, total shortened to match.
    const full = buildGrib2Message(300);
    const file = Buffer.concat([full.subarray(0, SECTION_OFFSETS[7]), Buffer.from('7777')]);
    file.writeBigUInt64BE(BigInt(file.length), 8);
    // Act & Assess
    expect(() => validate(file, 10)).toThrow(/reaches its end marker after section 6; expected section 7/);
  });

  it('rejects a message whose end marker is wrong', () => {
    const file = buildGrib2(2, 300);
    file.write('7776', 596, 'latin1');
    expect(() => validate(file, 33)).toThrow(/message 2 .* ends with "7776"; expected "7777"/);
  });

  it('rejects a truncated file and names the declared length', () => {
    const file = buildGrib2(1, 300).subarray(0, 280);
    expect(() => validate(file, 10)).toThrow(/truncated: the file ends at byte 280, the message declares 300 bytes/);
  });

  it('rejects edition 1 and garbage between messages', () => {
    const edition1 = buildGrib2(1, 300);
    edition1[7] = 1;
    expect(() => validate(edition1, 100)).toThrow(/edition 1; expected edition 2/);
    const garbage = Buffer.concat([buildGrib2(1, 300), Buffer.from('junkjunkjunkjunkjunk')]);
    expect(() => validate(garbage, 64)).toThrow(/starts with "junk"; expected "GRIB"/);
  });

  it('rejects an empty file', () => {
    expect(() => validate(Buffer.alloc(0), 1)).toThrow(/no GRIB2 message/);
  });

  it('accepts every built file under any chunking', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: GRIB2_FRAME_BYTES + 1, max: 2000 }),
        fc.integer({ min: 1, max: 700 }),
        (messages, bytes, chunk) => validate(buildGrib2(messages, bytes), chunk).messages === messages,
      ),
    );
  });

  it('throws nothing but a bad-structure rejection for any single corrupted byte, and never accepts a wrong length', () => {
    // Prepare: one message; a byte of section 0 or of any section header is overwritten.
    const original = buildGrib2Message(500);
    const headerBytes = [
      ...Array.from({ length: 16 }, (_, i) => i),
      ...Object.values(SECTION_OFFSETS).flatMap((at) => [at, at + 1, at + 2, at + 3, at + 4]),
      496,
      497,
      498,
      499,
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...headerBytes),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 1, max: 97 }),
        (position, value, chunk) => {
          const file = Buffer.from(original);
          fc.pre(file[position] !== value);
          file[position] = value;
          try {
            validate(file, chunk);
          } catch (error) {
            return error instanceof FileRejectedError && error.code === 'bad-structure';
          }
          // Accepted only when the change kept the structure: a reserved byte, the discipline, or
          // a section number that is still a valid order (never a length or a marker).
          return [4, 5, 6].includes(position);
        },
      ),
    );
  });
});
