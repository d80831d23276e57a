/**
 * Fuzz tests of the name parsers (middy style): whatever the input, a parser either returns
 * attributes the catalog accepts or throws `FileRejectedError`, never anything else, because
 * anything else would be retried instead of quarantined.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileAttributesSchema } from '#events/registry.ts';
import { exampleEcmwfName, parseEcmwfName } from './ecmwf.ts';
import { identifyInboxKey } from './inbox.ts';
import { exampleFciName, parseFciName } from './mtg-fci.ts';
import { exampleLiName, parseLiName } from './mtg-li.ts';
import { FileRejectedError } from './rejection.ts';

const CASES = 3000;

/** Characters names are made of, plus a few that should never appear. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-,+./ %\u0000\u00e9\u{1F600}\n';

const character = fc.constantFrom(...ALPHABET);

/** Random text of up to `maxLength` characters: mostly of the alphabet, sometimes any code points. */
const randomString = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: character, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength }) },
  );

/** One edit of a name at a position, biased to digits so that many mutants still match the pattern. */
const edit = fc.record({
  kind: fc.constantFrom('digit', 'replace', 'delete', 'insert', 'truncate', 'repeat'),
  at: fc.nat(),
  digit: fc.integer({ min: 0, max: 9 }),
  char: character,
  length: fc.integer({ min: 1, max: 8 }),
});
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function applyEdit(text: string, { kind, at: position, digit, char, length }: Edit): string {
  const at = position % (text.length + 1);
  switch (kind) {
    case 'digit':
      return `${text.slice(0, at)}${digit}${text.slice(at + 1)}`;
    case 'replace':
      return `${text.slice(0, at)}${char}${text.slice(at + 1)}`;
    case 'delete':
      return `${text.slice(0, at)}${text.slice(at + 1)}`;
    case 'insert':
      return `${text.slice(0, at)}${char}${text.slice(at)}`;
    case 'truncate':
      return text.slice(0, at);
    case 'repeat':
      return `${text.slice(0, at)}${text.slice(at, at + length)}${text.slice(at)}`;
  }
}

/** One to three edits of `name`; fast-check shrinks a failure to the fewest, smallest edits. */
const mutationOf = (name: string): fc.Arbitrary<string> =>
  fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => edits.reduce(applyEdit, name));

/** An upload time between 1970 and 2100. */
const uploadTime = fc.date({
  min: new Date(Date.UTC(1970, 0, 1)),
  max: new Date(Date.UTC(2100, 0, 1)),
  noInvalidDate: true,
});

/** Runs a parser; returns 'parsed' or 'rejected', and fails the test on any other outcome. */
function outcomeOf(input: string, parse: () => unknown): 'parsed' | 'rejected' {
  let result: unknown;
  try {
    result = parse();
  } catch (error) {
    if (error instanceof FileRejectedError) return 'rejected';
    throw new Error(`Parsing ${JSON.stringify(input)} threw ${String(error)}; expected only FileRejectedError`, {
      cause: error,
    });
  }
  const attributes = (result as { attributes?: unknown }).attributes ?? result;
  const checked = FileAttributesSchema.safeParse(attributes);
  if (!checked.success)
    throw new Error(
      `Parsing ${JSON.stringify(input)} returned attributes the catalog refuses: ${checked.error.message}`,
    );
  return 'parsed';
}

/**
 * Checks the property "the parser returns attributes the catalog accepts or throws
 * `FileRejectedError`" on `CASES` inputs (a fixed seed, so a run can be replayed; on a failure
 * fast-check prints the shrunk counterexample) and counts the outcomes, so that the test also
 * proves both paths were exercised.
 */
function outcomes<T>(inputs: fc.Arbitrary<T>, parse: (input: T) => unknown, seed: number): Record<string, number> {
  const counts: Record<string, number> = {};
  fc.assert(
    fc.property(inputs, (input) => {
      const outcome = outcomeOf(JSON.stringify(input), () => parse(input));
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }),
    { numRuns: CASES, seed },
  );
  return counts;
}

describe('name parsers under fuzzing', () => {
  it('parseFciName only ever throws FileRejectedError on random strings', () => {
    // Act
    const counts = outcomes(randomString(300), (name) => parseFciName(name), 1);

    // Assess
    expect(counts).toEqual({ rejected: CASES });
  });

  it('parseFciName parses or rejects mutations of a valid name', () => {
    // Act
    const counts = outcomes(mutationOf(exampleFciName), (name) => parseFciName(name), 2);

    // Assess
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.parsed).toBeGreaterThan(0);
  });

  it('parseLiName only ever throws FileRejectedError on random strings and mutations', () => {
    // Act
    const counts = outcomes(
      fc.oneof({ weight: 1, arbitrary: randomString(300) }, { weight: 2, arbitrary: mutationOf(exampleLiName) }),
      (name) => parseLiName(name),
      5,
    );

    // Assess
    expect(counts.rejected).toBeGreaterThan(CASES / 3);
    expect(counts.parsed).toBeGreaterThan(0);
  });

  it('parseEcmwfName only ever throws FileRejectedError on random strings and mutations', () => {
    // Act
    const counts = outcomes(
      fc.tuple(fc.oneof(randomString(40), mutationOf(exampleEcmwfName)), uploadTime),
      ([name, uploadedAt]) => parseEcmwfName(name, uploadedAt),
      3,
    );

    // Assess
    expect(counts.rejected).toBeGreaterThan(CASES / 2);
    expect(counts.parsed).toBeGreaterThan(0);
  });

  it('identifyInboxKey only ever throws FileRejectedError on random and mutated keys', () => {
    // Prepare
    const valid = [`eumetsat/${exampleFciName}`, `eumetsat/${exampleLiName}`, `ecmwf/${exampleEcmwfName}`];
    const keys = fc.oneof(
      { weight: 1, arbitrary: randomString(200) },
      { weight: 2, arbitrary: fc.oneof(...valid.map(mutationOf)) },
    );

    // Act
    const counts = outcomes(fc.tuple(keys, uploadTime), ([key, uploadedAt]) => identifyInboxKey(key, uploadedAt), 4);

    // Assess
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.parsed).toBeGreaterThan(0);
  });
});
