/**
 * Fuzz test of the rule loader (middy style): whatever a rule file says, `loadRuleSet` either
 * returns a rule set or throws `RuleSetError`; and a rule set it returns, checked against the
 * catalog's samples, never fails on the valid events below.
 */
import { describe, expect, it } from 'vitest';
import { samplesOf } from '#events/catalog.ts';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { completeJoin, evaluate } from './engine.ts';
import { RuleEvaluationError, RuleSetError } from './errors.ts';
import { loadRuleSet } from './loader.ts';
import {
  chunkIngested,
  fileAvailable,
  fileRejected,
  forecastIngested,
  productGenerated,
  prng,
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

function mutant(seed: number): unknown {
  const random = prng(seed);
  const int = (below: number): number => Math.floor(random() * below);
  const file = structuredClone(referenceRuleFile());
  for (let edits = 1 + int(3); edits > 0; edits -= 1) {
    const nodes = containers(file);
    const node = nodes[int(nodes.length)]!;
    const keys = Object.keys(node);
    if (keys.length === 0) continue;
    const key = keys[int(keys.length)]!;
    const record = node as Record<string, unknown>;
    switch (int(4)) {
      case 0:
        if (Array.isArray(node)) node.splice(Number(key), 1);
        else delete record[key];
        break;
      case 1:
        record[key] = structuredClone(replacements[int(replacements.length)]);
        break;
      case 2:
        if (Array.isArray(node)) node.push(structuredClone(node[Number(key)]));
        else record[`${key}x`] = record[key];
        break;
      default: {
        const value = record[key];
        if (typeof value === 'number') record[key] = value * (int(2) === 0 ? -1 : 1000);
        else if (typeof value === 'string') record[key] = value.slice(0, int(value.length + 1));
        else record[key] = structuredClone(replacements[int(replacements.length)]);
      }
    }
  }
  return file;
}

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

describe('loadRuleSet (fuzz)', () => {
  it('loads a mutated rule file or throws RuleSetError, and what loads never fails on valid events', {
    timeout: 60_000,
  }, () => {
    // Prepare
    const verdicts = { loaded: 0, refused: 0 };
    const runtimeFailures: string[] = [];

    for (let seed = 1; seed <= CASES; seed += 1) {
      // Act
      let ruleSet: ReturnType<typeof loadRuleSet>;
      try {
        ruleSet = loadRuleSet(mutant(seed), { ...ReferenceLoad, samples });
        verdicts.loaded += 1;
      } catch (error) {
        // Assess
        if (!(error instanceof RuleSetError))
          throw new Error(`seed ${seed}: loadRuleSet threw ${String(error)}`, { cause: error });
        expect(error.message).toMatch(/^(Rule|\d+ problems)/);
        verdicts.refused += 1;
        continue;
      }
      for (const event of events) {
        try {
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
        } catch (error) {
          runtimeFailures.push(`seed ${seed}: ${String(error)}`);
          if (!(error instanceof RuleEvaluationError))
            throw new Error(`seed ${seed}: evaluating ${event.type} threw ${String(error)}`, { cause: error });
        }
      }
    }

    // Assess
    expect(verdicts.loaded + verdicts.refused).toBe(CASES);
    expect(verdicts.refused).toBeGreaterThan(CASES / 2);
    expect(verdicts.loaded).toBeGreaterThan(50);
    expect(runtimeFailures).toEqual([]);
  });
});
