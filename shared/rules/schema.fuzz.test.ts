/**
 * Fuzz test of the rule loader (middy style): whatever a rule file says, `loadRuleSet` either
 * returns a rule set or throws `RuleSetError`; and a rule set it returns, checked against the
 * catalog's samples, never fails on the valid events below.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { samplesOf } from '#events/catalog.ts';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { completeJoin, evaluate } from './engine.ts';
import { RuleSetError } from './errors.ts';
import { loadRuleSet } from './loader.ts';
import {
  chunkIngested,
  fileAvailable,
  fileRejected,
  forecastIngested,
  productGenerated,
  ReferenceLoad,
  referenceRuleFile,
} from './testing.ts';

const CASES = 2000;

const replacements: readonly unknown[] = [
  null,
  0,
  -1,
  1.5,
  41,
  900,
  901,
  1e12,
  '',
  'x',
  'data',
  'data.file.size',
  'data.attributes.chunk',
  'data..x',
  'PT5M',
  'P1M',
  'forward',
  'join',
  'ingest',
  'cometflow.file.ingested',
  'eq',
  'gt',
  'matches',
  '(',
  true,
  [],
  [1],
  {},
  { $path: 'data' },
  { $path: 'data.nothing' },
  { path: 'data.file.size', op: 'gt', value: 1 },
  { all: [] },
];

type Node = Record<string, unknown> | unknown[];

/** Every object and array in the document, with the keys it holds. */
function containers(value: unknown, found: Node[] = []): Node[] {
  if (value !== null && typeof value === 'object') {
    found.push(value as Node);
    for (const child of Object.values(value)) containers(child, found);
  }
  return found;
}

/** A value put in place of another: the list above (near misses of valid ones), or any JSON value. */
const replacement = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...replacements) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** One edit somewhere in the rule file: which container and key (taken modulo what exists), and what to do. */
const edit = fc.record({
  node: fc.nat(),
  key: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'duplicate', 'distort'),
  value: replacement,
  negate: fc.boolean(),
  cut: fc.nat(),
});
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function applyEdit(file: unknown, { node: n, key: k, op, value, negate, cut }: Edit): void {
  const nodes = containers(file);
  const node = nodes[n % nodes.length]!;
  const keys = Object.keys(node);
  if (keys.length === 0) return;
  const key = keys[k % keys.length]!;
  const record = node as Record<string, unknown>;
  switch (op) {
    case 'delete':
      if (Array.isArray(node)) node.splice(Number(key), 1);
      else delete record[key];
      return;
    case 'replace':
      record[key] = structuredClone(value);
      return;
    case 'duplicate':
      if (Array.isArray(node)) node.push(structuredClone(node[Number(key)]));
      else record[`${key}x`] = record[key];
      return;
    case 'distort': {
      const current = record[key];
      if (typeof current === 'number') record[key] = current * (negate ? -1 : 1000);
      else if (typeof current === 'string') record[key] = current.slice(0, cut % (current.length + 1));
      else record[key] = structuredClone(value);
    }
  }
}

/** The reference rule file with one to three edits; fast-check shrinks a failure to the fewest, simplest edits. */
const mutant: fc.Arbitrary<unknown> = fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
  const file = structuredClone(referenceRuleFile());
  for (const e of edits) applyEdit(file, e);
  return file;
});

// The catalog's samples, as synth passes them: templates are then tried on real events at load.
const samples = Object.values(EventTypes).flatMap((type) => samplesOf(type).map((sample) => sample.event));

const events: CometEvent[] = [
  fileAvailable({ size: 10 }),
  fileAvailable({ size: 2_000_000_000, key: 'S1D11221200112218001' }),
  fileRejected(),
  productGenerated(),
  chunkIngested({ chunk: 1 }),
  chunkIngested({ chunk: 41 }),
  forecastIngested({ validTime: '2026-11-22T12:00:00Z' }),
];

/** Evaluates every event, and completes every join it collects into; throws whatever evaluation throws. */
function evaluateAll(ruleSet: ReturnType<typeof loadRuleSet>): void {
  for (const event of events) {
    for (const effect of evaluate(ruleSet, event)) {
      if (effect.kind !== 'collect') continue;
      const join = {
        joinKey: effect.joinKey,
        windowStart: effect.windowStart,
        windowEnd: effect.windowEnd,
        collected: [{ ...effect.input, slot: effect.slot }],
        references: {},
      };
      completeJoin(ruleSet, effect.rule, join, event, 'deadline');
    }
  }
}

describe('loadRuleSet (fuzz)', () => {
  it('loads a mutated rule file or throws RuleSetError, and what loads never fails on valid events', {
    timeout: 60_000,
  }, () => {
    // Prepare
    const verdicts = { loaded: 0, refused: 0 };

    // Act: a fixed seed, so that a run can be replayed; a failure prints the shrunk rule file.
    fc.assert(
      fc.property(mutant, (file) => {
        let ruleSet: ReturnType<typeof loadRuleSet>;
        try {
          ruleSet = loadRuleSet(file, { ...ReferenceLoad, samples });
        } catch (error) {
          if (!(error instanceof RuleSetError)) throw new Error(`loadRuleSet threw ${String(error)}`, { cause: error });
          expect(error.message).toMatch(/^(Rule|\d+ problems)/);
          verdicts.refused += 1;
          return;
        }
        verdicts.loaded += 1;
        // A rule set that loaded never fails on valid events, not even with RuleEvaluationError.
        evaluateAll(ruleSet);
      }),
      { numRuns: CASES, seed: 1 },
    );

    // Assess
    expect(verdicts.loaded + verdicts.refused).toBe(CASES);
    expect(verdicts.refused).toBeGreaterThan(CASES / 2);
    expect(verdicts.loaded).toBeGreaterThan(50);
  });
});
