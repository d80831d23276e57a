/**
 * Rule evaluation throughput: the cometflow rule engine (`shared/rules/`) against
 * json-rules-engine 7.3.1 on the same rule set (`rules/reference-pipeline.json`, translated
 * mechanically into json-rules-engine rules) and the same generated events, in the same run.
 *
 * Both sides do matching and routing only: which rule, which route (first match wins), which
 * join part (collect or reference) an event matches. Neither side extracts join values or
 * builds commands; a separate, informative row shows cometflow's full `evaluate` (matching plus
 * extraction plus building and validating commands with zod), which has no json-rules-engine
 * counterpart.
 *
 * `node bench/rules.ts [--runs N] [--warmup N] [--events N]` prints the markdown report;
 * `bench/run.ts` can call `benchRules()`.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Engine, type NestedCondition, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import type { CometEvent } from '#events/registry.ts';
import type { Condition } from '#shared/rules/index.ts';
import { evaluate, loadRuleSet, matchRules, type RuleSet } from '#shared/rules/index.ts';
import {
  chunkIngested,
  fileAvailable,
  fileRejected,
  forecastIngested,
  productGenerated,
  prng,
  ReferenceLoad,
  referenceRuleFile,
} from '#shared/rules/testing.ts';
import { summarize, type Summary } from './stats.ts';

/** Options of `benchRules`. */
export interface RulesBenchOptions {
  /** Measured rounds per variant; each round runs every event once. @default 15 */
  readonly runs?: number;
  /** Warm-up rounds per variant, not counted (JIT, caches). @default 2 */
  readonly warmup?: number;
  /** Generated events per round. @default 20000 */
  readonly events?: number;
  /** Seed of the event mix. @default 1 */
  readonly seed?: number;
}

/** One engine variant and its throughput. */
export interface RulesBenchRow {
  readonly variant: string;
  /** What one event costs on this variant. */
  readonly measures: string;
  /** Whether the variant is part of the like-for-like comparison. */
  readonly compared: boolean;
  /** Events per second, one sample per measured round. */
  readonly eventsPerSecond: Summary;
  /** Median events/s of cometflow `matchRules` divided by this variant's. */
  readonly cometflowRatio: number;
  /** Passes over the events per round (fast variants repeat them; see MinRoundSeconds). */
  readonly passesPerRound: number;
}

/** The benchmark's result. */
export interface RulesBenchReport {
  readonly rows: readonly RulesBenchRow[];
  readonly markdown: string;
  readonly events: number;
  readonly mix: Readonly<Record<string, number>>;
  /** Events on which both engines found the same matches (must be all of them). */
  readonly agreement: number;
}

const GiB = 1_073_741_824;
/** The shortest measured round: fast variants repeat the events until a round lasts this long. */
const MinRoundSeconds = 0.25;

/** A deterministic mix of the events the scheduler sees. */
function generateEvents(count: number, seed: number): { events: CometEvent[]; mix: Record<string, number> } {
  const random = prng(seed);
  const events: CometEvent[] = [];
  const mix: Record<string, number> = {};
  const add = (label: string, event: CometEvent): void => {
    events.push(event);
    mix[label] = (mix[label] ?? 0) + 1;
  };
  for (let index = 0; index < count; index += 1) {
    const draw = random();
    const cycle = 1 + (index % 144);
    if (draw < 0.6)
      add('FCI chunk ingested', chunkIngested({ cycle, chunk: 1 + Math.floor(random() * 41), id: `chunk-${index}` }));
    else if (draw < 0.65)
      add(
        'forecast ingested',
        forecastIngested({
          validTime: new Date(Date.UTC(2026, 10, 22, index % 24)).toISOString(),
          id: `forecast-${index}`,
        }),
      );
    else if (draw < 0.78)
      add(
        'small file available',
        fileAvailable({ size: 1 + Math.floor(random() * 50_000_000), key: `chunk-${index}.nc`, id: `small-${index}` }),
      );
    else if (draw < 0.8)
      add(
        'large file available',
        fileAvailable({ size: GiB + 1 + Math.floor(random() * GiB), key: `forecast-${index}`, id: `large-${index}` }),
      );
    else if (draw < 0.9)
      add(
        'product generated',
        productGenerated({ productId: index.toString(16).padStart(32, '0'), id: `product-${index}` }),
      );
    else add('bad file rejected', fileRejected({ key: `eumetsat/bad-${index}.nc`, id: `rejected-${index}` }));
  }
  return { events, mix };
}

type PathStyle = 'jsonpath' | 'dot';

const factOf = (path: string, style: PathStyle) => ({ fact: 'event', path: style === 'jsonpath' ? `$.${path}` : path });

/** Our condition as a json-rules-engine condition, operator for operator. */
function toJre(condition: Condition, style: PathStyle): NestedCondition {
  if ('all' in condition) return { all: condition.all.map((child) => toJre(child, style)) };
  if ('any' in condition) return { any: condition.any.map((child) => toJre(child, style)) };
  if ('not' in condition) return { not: toJre(condition.not, style) };
  const operator = {
    eq: 'equal',
    ne: 'notEqual',
    gt: 'greaterThan',
    gte: 'greaterThanInclusive',
    lt: 'lessThan',
    lte: 'lessThanInclusive',
    in: 'in',
    exists: 'exists',
    matches: 'matches',
  }[condition.op];
  const value = condition.op === 'exists' ? (condition.value ?? true) : condition.value;
  return { ...factOf(condition.path, style), operator, value: value as never };
}

/**
 * The rule set as json-rules-engine rules: a forward route becomes "type, rule condition, no
 * earlier route, this route" (json-rules-engine has no first-match routing); a join becomes one
 * rule for its collect part and one per requirement.
 */
function jreRules(ruleSet: RuleSet, style: PathStyle, types?: readonly string[]): RuleProperties[] {
  const rules: RuleProperties[] = [];
  const typeIs = (on: readonly string[]): NestedCondition => ({
    ...factOf('type', style),
    operator: 'in',
    value: [...on],
  });
  for (const rule of ruleSet.definition.rules) {
    const on = types === undefined ? rule.on : rule.on.filter((type) => types.includes(type));
    if (on.length === 0) continue;
    if (rule.kind === 'forward') {
      rule.routes.forEach((route, index) => {
        const earlier = rule.routes
          .slice(0, index)
          .flatMap((before) => (before.when === undefined ? [] : [{ not: toJre(before.when, style) }]));
        const all: NestedCondition[] = [
          typeIs(on),
          ...(rule.when === undefined ? [] : [toJre(rule.when, style)]),
          ...earlier,
          ...(route.when === undefined ? [] : [toJre(route.when, style)]),
        ];
        rules.push({
          name: `${rule.name}#${index}`,
          conditions: { all } as TopLevelCondition,
          event: { type: 'match', params: { match: `forward:${rule.name}:${index}:${route.emit.target}` } },
        });
      });
      continue;
    }
    rules.push({
      name: `${rule.name}#collect`,
      conditions: { all: [typeIs(on), toJre(rule.collect.when, style)] },
      event: { type: 'match', params: { match: `collect:${rule.name}` } },
    });
    for (const requirement of rule.require ?? []) {
      rules.push({
        name: `${rule.name}#${requirement.name}`,
        conditions: { all: [typeIs(on), toJre(requirement.when, style)] },
        event: { type: 'match', params: { match: `reference:${rule.name}:${requirement.name}` } },
      });
    }
  }
  return rules;
}

/** A json-rules-engine engine with the two operators it lacks and, for `dot`, a plain path resolver. */
function jreEngine(rules: RuleProperties[], style: PathStyle): Engine {
  const getters = new Map<string, string[]>();
  const engine = new Engine(rules, {
    allowUndefinedFacts: true,
    ...(style === 'dot'
      ? {
          pathResolver: (value: object, path: string): unknown => {
            let segments = getters.get(path);
            if (segments === undefined) {
              segments = path.split('.');
              getters.set(path, segments);
            }
            let current: unknown = value;
            for (const key of segments)
              current =
                current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
            return current;
          },
        }
      : {}),
  });
  const patterns = new Map<string, RegExp>();
  engine.addOperator(
    'exists',
    (value: unknown, expected: boolean) => (value !== undefined && value !== null) === expected,
  );
  engine.addOperator('matches', (value: unknown, pattern: string) => {
    let compiled = patterns.get(pattern);
    if (compiled === undefined) {
      compiled = new RegExp(pattern, 'u');
      patterns.set(pattern, compiled);
    }
    return typeof value === 'string' && compiled.test(value);
  });
  return engine;
}

interface Variant {
  readonly name: string;
  readonly measures: string;
  readonly compared: boolean;
  /** Runs every event once; returns a checksum so the work cannot be optimized away. */
  readonly round: (events: readonly CometEvent[]) => Promise<number>;
}

const ourMatches = (ruleSet: RuleSet, event: CometEvent): string[] =>
  matchRules(ruleSet, event)
    .map((match) =>
      match.kind === 'forward'
        ? `forward:${match.rule}:${match.route}:${match.target}`
        : match.kind === 'collect'
          ? `collect:${match.rule}`
          : `reference:${match.rule}:${match.requirement}`,
    )
    .sort();

const jreMatches = async (engine: Engine, event: CometEvent): Promise<string[]> =>
  (await engine.run({ event })).events.map((found) => String(found.params?.match)).sort();

/**
 * Measures events per second of each variant, rounds interleaved (the variants take turns, in a
 * rotating order) so that machine noise spreads over all of them.
 */
export async function benchRules(options: RulesBenchOptions = {}): Promise<RulesBenchReport> {
  const runs = options.runs ?? 15;
  const warmup = options.warmup ?? 2;
  const { events, mix } = generateEvents(options.events ?? 20_000, options.seed ?? 1);
  const ruleSet = loadRuleSet(referenceRuleFile(), ReferenceLoad);

  const jreJsonPath = jreEngine(jreRules(ruleSet, 'jsonpath'), 'jsonpath');
  const jreDot = jreEngine(jreRules(ruleSet, 'dot'), 'dot');
  const jreByType = new Map(
    [...ruleSet.byType.keys()].map((type) => [type, jreEngine(jreRules(ruleSet, 'dot', [type]), 'dot')]),
  );

  // Both engines must agree on every event, or the comparison means nothing.
  let agreement = 0;
  for (const event of events) {
    const ours = ourMatches(ruleSet, event).join(',');
    const theirs = [
      (await jreMatches(jreJsonPath, event)).join(','),
      (await jreMatches(jreDot, event)).join(','),
      (jreByType.has(event.type) ? await jreMatches(jreByType.get(event.type)!, event) : []).join(','),
    ];
    if (theirs.every((matches) => matches === ours)) agreement += 1;
    else
      throw new Error(
        `Engines disagree on ${event.type} event ${event.id}: cometflow ${ours || '(none)'}, json-rules-engine ${theirs.join(' | ') || '(none)'}`,
      );
  }

  const variants: Variant[] = [
    {
      name: 'cometflow `matchRules`',
      measures: 'matching and routing',
      compared: true,
      round: async (batch) => {
        let sum = 0;
        for (const event of batch) sum += matchRules(ruleSet, event).length;
        return sum;
      },
    },
    {
      name: 'json-rules-engine 7.3.1, JSONPath facts (default)',
      measures: 'matching and routing',
      compared: true,
      round: async (batch) => {
        let sum = 0;
        for (const event of batch) sum += (await jreJsonPath.run({ event })).events.length;
        return sum;
      },
    },
    {
      name: 'json-rules-engine 7.3.1, dot-path resolver',
      measures: 'matching and routing',
      compared: true,
      round: async (batch) => {
        let sum = 0;
        for (const event of batch) sum += (await jreDot.run({ event })).events.length;
        return sum;
      },
    },
    {
      name: 'json-rules-engine 7.3.1, dot-path resolver, one engine per event type',
      measures: 'matching and routing',
      compared: true,
      round: async (batch) => {
        let sum = 0;
        for (const event of batch) {
          const engine = jreByType.get(event.type);
          if (engine !== undefined) sum += (await engine.run({ event })).events.length;
        }
        return sum;
      },
    },
    {
      name: 'cometflow `evaluate`',
      measures: 'matching, routing, value extraction, commands built and validated (zod), SHA-256 ids',
      compared: false,
      round: async (batch) => {
        let sum = 0;
        for (const event of batch) sum += evaluate(ruleSet, event).length;
        return sum;
      },
    },
  ];

  // Fast variants get several passes over the events per round, so that a round lasts at least
  // MinRoundSeconds and timer resolution and scheduling noise stay small against it.
  let checksum = 0;
  const passes: number[] = [];
  for (const variant of variants) {
    const started = performance.now();
    checksum += await variant.round(events);
    const seconds = (performance.now() - started) / 1000;
    passes.push(Math.max(1, Math.ceil(MinRoundSeconds / Math.max(seconds, 1e-6))));
  }
  const samples = variants.map((): number[] => []);
  for (let round = 0; round < warmup + runs; round += 1) {
    for (let turn = 0; turn < variants.length; turn += 1) {
      const index = (round + turn) % variants.length;
      const started = performance.now();
      for (let pass = 0; pass < passes[index]!; pass += 1) checksum += await variants[index]!.round(events);
      const seconds = (performance.now() - started) / 1000;
      if (round >= warmup) samples[index]!.push((events.length * passes[index]!) / seconds);
    }
  }
  if (checksum === 0) throw new Error('No event matched any rule: the benchmark measured nothing');

  const summaries = samples.map((series) => summarize(series));
  const ours = summaries[0]!.median;
  const rows: RulesBenchRow[] = variants.map((variant, index) => ({
    variant: variant.name,
    measures: variant.measures,
    compared: variant.compared,
    eventsPerSecond: summaries[index]!,
    cometflowRatio: ours / summaries[index]!.median,
    passesPerRound: passes[index]!,
  }));
  return {
    rows,
    events: events.length,
    mix,
    agreement,
    markdown: formatRules(rows, { runs, warmup, events: events.length, mix, agreement, rules: ruleSet.rules.length }),
  };
}

const rate = (value: number): string => Math.round(value).toLocaleString('en-US');

function formatRules(
  rows: readonly RulesBenchRow[],
  context: {
    runs: number;
    warmup: number;
    events: number;
    mix: Record<string, number>;
    agreement: number;
    rules: number;
  },
): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '## Rule evaluation throughput: cometflow vs json-rules-engine',
    '',
    `Node ${process.version} · ${cpu} · ${context.events.toLocaleString('en-US')} events per round ` +
      `(${Object.entries(context.mix)
        .map(([label, count]) => `${count.toLocaleString('en-US')} ${label}`)
        .join(', ')}) · ` +
      `rules/reference-pipeline.json (${context.rules} rules) · ${context.runs} measured rounds per variant after ${context.warmup} warm-up round(s), interleaved · ${new Date().toISOString()}`,
    '',
    '| variant | measures | events/s (median) | p90 / min / max | passes per round | cometflow `matchRules` ÷ this |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const s = row.eventsPerSecond;
    lines.push(
      `| ${row.variant} | ${row.measures}${row.compared ? '' : ' (not compared)'} | ${rate(s.median)} | ${rate(s.p90)} / ${rate(s.min)} / ${rate(s.max)} | ${row.passesPerRound} | ${row.cometflowRatio.toFixed(1)}× |`,
    );
  }
  lines.push(
    '',
    'Like for like: every compared row does **matching and routing only** (which rule, which route, which join part an event matches), ' +
      'on the same rule file and the same events, and both engines agreed on the matches of ' +
      `${context.agreement.toLocaleString('en-US')} of ${context.events.toLocaleString('en-US')} events before timing. ` +
      'json-rules-engine has no first-match routing, so route *n* is expressed as "not route 1..n-1 and route n"; its `run` is asynchronous and builds an almanac per event, ' +
      'which is part of what it costs. cometflow compiles conditions to closures at load and indexes rules by event type; ' +
      'the per-type json-rules-engine row gives json-rules-engine that index too. ' +
      'The `evaluate` row (values extracted, commands built and validated) has no json-rules-engine counterpart and is shown for scale. ' +
      `A round is one or more passes over the events (as many as make it last at least ${MinRoundSeconds} s, fixed by one uncounted calibration pass); ` +
      'events/s = events × passes ÷ round time; p90 is the nearest-rank 90th percentile of the per-round rates.',
  );
  return lines.join('\n');
}

const count = (flag: string, raw: string | undefined, min: number): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${flag} expects an integer of at least ${min}, got ${JSON.stringify(raw)}`);
  return value;
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { runs: { type: 'string' }, warmup: { type: 'string' }, events: { type: 'string' } },
    strict: true,
  });
  const runs = count('runs', values.runs, 1);
  const warmup = count('warmup', values.warmup, 0);
  const events = count('events', values.events, 1);
  const report = await benchRules({
    ...(runs === undefined ? {} : { runs }),
    ...(warmup === undefined ? {} : { warmup }),
    ...(events === undefined ? {} : { events }),
  });
  process.stdout.write(`${report.markdown}\n`);
}
