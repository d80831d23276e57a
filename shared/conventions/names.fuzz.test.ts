/**
 * Fuzz tests of the name parsers (middy style): whatever the input, a parser either returns
 * attributes the catalog accepts or throws `FileRejectedError`, never anything else, because
 * anything else would be retried instead of quarantined.
 */
import { describe, expect, it } from 'vitest';
import { FileAttributesSchema } from '#events/registry.ts';
import { exampleEcmwfName, parseEcmwfName } from './ecmwf.ts';
import { identifyInboxKey } from './inbox.ts';
import { exampleFciName, parseFciName } from './mtg-fci.ts';
import { exampleLiName, parseLiName } from './mtg-li.ts';
import { FileRejectedError } from './rejection.ts';
import { prng } from '../testing/random.ts';

const CASES = 3000;

/** Characters names are made of, plus a few that should never appear. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-,+./ %\u0000\u00e9\u{1F600}\n';

interface Fuzzer {
  readonly int: (below: number) => number;
  readonly pick: <T>(items: readonly T[]) => T;
  readonly randomString: (maxLength: number) => string;
  readonly mutate: (name: string) => string;
  readonly date: () => Date;
}

function fuzzer(seed: number): Fuzzer {
  const random = prng(seed);
  const int = (below: number): number => Math.floor(random() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const char = (): string => pick([...ALPHABET]);
  const digit = (): string => String(int(10));
  const randomString = (maxLength: number): string => Array.from({ length: int(maxLength + 1) }, char).join('');
  /** One to three edits of a name, biased to digits so that many mutants still match the pattern. */
  const mutate = (name: string): string => {
    let text = name;
    for (let edits = 1 + int(3); edits > 0; edits -= 1) {
      const at = int(text.length + 1);
      switch (int(6)) {
        case 0:
          text = `${text.slice(0, at)}${digit()}${text.slice(at + 1)}`;
          break;
        case 1:
          text = `${text.slice(0, at)}${char()}${text.slice(at + 1)}`;
          break;
        case 2:
          text = `${text.slice(0, at)}${text.slice(at + 1)}`;
          break;
        case 3:
          text = `${text.slice(0, at)}${char()}${text.slice(at)}`;
          break;
        case 4:
          text = text.slice(0, at);
          break;
        default:
          text = `${text.slice(0, at)}${text.slice(at, at + 1 + int(8))}${text.slice(at)}`;
          break;
      }
    }
    return text;
  };
  const date = (): Date => new Date(Date.UTC(1970, 0, 1) + int(130 * 365) * 86_400_000 + int(86_400) * 1000);
  return { int, pick, randomString, mutate, date };
}

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

/** Counts outcomes, so the test also proves that both paths were exercised. */
const tally = (outcomes: readonly string[]): Record<string, number> =>
  outcomes.reduce<Record<string, number>>((counts, o) => ({ ...counts, [o]: (counts[o] ?? 0) + 1 }), {});

describe('name parsers under fuzzing', () => {
  it('parseFciName only ever throws FileRejectedError on random strings', () => {
    // Prepare
    const f = fuzzer(1);
    const names = Array.from({ length: CASES }, () => f.randomString(300));

    // Act
    const outcomes = names.map((name) => outcomeOf(name, () => parseFciName(name)));

    // Assess
    expect(tally(outcomes)).toEqual({ rejected: CASES });
  });

  it('parseFciName parses or rejects mutations of a valid name', () => {
    // Prepare
    const f = fuzzer(2);
    const names = Array.from({ length: CASES }, () => f.mutate(exampleFciName));

    // Act
    const outcomes = names.map((name) => outcomeOf(name, () => parseFciName(name)));

    // Assess
    const counts = tally(outcomes);
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.parsed).toBeGreaterThan(0);
  });

  it('parseLiName only ever throws FileRejectedError on random strings and mutations', () => {
    // Prepare
    const f = fuzzer(5);
    const names = Array.from({ length: CASES }, (_, i) =>
      i % 3 === 0 ? f.randomString(300) : f.mutate(exampleLiName),
    );

    // Act
    const outcomes = names.map((name) => outcomeOf(name, () => parseLiName(name)));

    // Assess
    const counts = tally(outcomes);
    expect(counts.rejected).toBeGreaterThan(CASES / 3);
    expect(counts.parsed).toBeGreaterThan(0);
  });

  it('parseEcmwfName only ever throws FileRejectedError on random strings and mutations', () => {
    // Prepare
    const f = fuzzer(3);
    const names = Array.from({ length: CASES }, (_, i) =>
      i % 2 === 0 ? f.randomString(40) : f.mutate(exampleEcmwfName),
    );

    // Act
    const outcomes = names.map((name) => outcomeOf(name, () => parseEcmwfName(name, f.date())));

    // Assess
    const counts = tally(outcomes);
    expect(counts.rejected).toBeGreaterThan(CASES / 2);
    expect(counts.parsed).toBeGreaterThan(0);
  });

  it('identifyInboxKey only ever throws FileRejectedError on random and mutated keys', () => {
    // Prepare
    const f = fuzzer(4);
    const valid = [`eumetsat/${exampleFciName}`, `eumetsat/${exampleLiName}`, `ecmwf/${exampleEcmwfName}`];
    const keys = Array.from({ length: CASES }, (_, i) => (i % 3 === 0 ? f.randomString(200) : f.mutate(f.pick(valid))));

    // Act
    const outcomes = keys.map((key) => outcomeOf(key, () => identifyInboxKey(key, f.date())));

    // Assess
    const counts = tally(outcomes);
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.parsed).toBeGreaterThan(0);
  });
});
