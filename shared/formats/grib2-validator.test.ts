import { describe, expect, it } from 'vitest';
import { buildGrib2, Grib2StructureValidator } from './grib2-validator.ts';

const validate = (bytes: Buffer, chunkSize: number): number => {
  const validator = new Grib2StructureValidator();
  for (let i = 0; i < bytes.length; i += chunkSize) validator.push(bytes.subarray(i, i + chunkSize));
  validator.end();
  return validator.messages;
};

describe('Grib2StructureValidator', () => {
  it('accepts a sequence of messages whatever the chunking', () => {
    // Prepare
    const file = buildGrib2(3, 1000);
    // Act & Assess
    for (const size of [1, 7, 16, 999, 5000]) expect(validate(file, size)).toBe(3);
  });

  it('rejects a message whose end marker is wrong', () => {
    const file = buildGrib2(2, 100);
    file.write('7776', 196, 'ascii');
    expect(() => validate(file, 33)).toThrow(/message 2 .* ends with "7776"; expected "7777"/);
  });

  it('rejects a truncated file and names the declared length', () => {
    const file = buildGrib2(1, 100).subarray(0, 80);
    expect(() => validate(file, 10)).toThrow(/truncated: the file ends at byte 80, the message declares 100/);
  });

  it('rejects edition 1 and garbage between messages', () => {
    const edition1 = buildGrib2(1, 100);
    edition1[7] = 1;
    expect(() => validate(edition1, 100)).toThrow(/edition 1; expected edition 2/);
    const garbage = Buffer.concat([buildGrib2(1, 100), Buffer.from('junkjunkjunkjunkjunk')]);
    expect(() => validate(garbage, 64)).toThrow(/starts with "junk"; expected "GRIB"/);
  });

  it('rejects an empty file', () => {
    expect(() => validate(Buffer.alloc(0), 1)).toThrow(/no GRIB2 message/);
  });
});
