/**
 * `loadRuleSet`: validates a rule file against its schema, the event catalog and the deployed
 * targets, then compiles it and tries every rule on the sample events. Everything that could
 * fail at run time for a reason in the rule file fails here instead, with a message that names
 * the rule and the problem.
 */
import * as z from 'zod';
import { EventDataSchemas, EventTypes, type CometEvent, type EventType } from '#events/registry.ts';
import { comparisonsOf, type Condition } from './conditions.ts';
import { RuleEvaluationError, RuleSetError } from './errors.ts';
import { valueTypesAt, type ValueType } from './paths.ts';
import { compileRuleSet, type RuleSet } from './compile.ts';
import { evaluateRule } from './engine.ts';
import { checkTemplate } from './template.ts';
import { resolveLane, type LaneTable, type Priority } from '../config.ts';
import {
  ForwardRuleSchema,
  JoinRuleSchema,
  MaxJoinSlots,
  type InputPaths,
  type RuleDefinition,
  type RuleSetDefinition,
} from './schema.ts';

/** What a rule file is checked against besides its own schema. */
export interface LoadOptions {
  /** The targets the deployment declares (queue names the scheduler can send to). */
  readonly targets: readonly string[];
  /**
   * The topology's lanes: with them a rule's target may be a stage with a priority, resolved
   * here to its lane (`resolveLane`); the compiled rules name the lane. Their names are targets.
   * @default - targets are lane names only
   */
  readonly lanes?: LaneTable;
  /**
   * Sample events (for example the catalog's `events/<type>/samples`): every rule is evaluated
   * on the samples of its types, and any failure (a template that builds a command its schema
   * refuses, a slot out of range) is a load error naming the rule and the sample.
   * @default []
   */
  readonly samples?: readonly unknown[];
}

const knownTypes: ReadonlySet<string> = new Set(Object.values(EventTypes));
const ruleKinds = ['forward', 'join'] as const;
const scalarTypes: readonly ValueType[] = ['string', 'number', 'integer', 'boolean'];
const numberTypes: readonly ValueType[] = ['number', 'integer'];

/** `routes[0].emit.target` from `['routes', 0, 'emit', 'target']`. */
export function formatAt(at: readonly PropertyKey[]): string {
  return at.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    '',
  );
}

const labelOf = (raw: unknown, index: number): string => {
  const name = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).name : undefined;
  return typeof name === 'string' && name !== '' ? `Rule "${name}"` : `Rule at rules[${index}] (no name)`;
};

/** Checks one parsed rule against the catalog and the targets; returns its problems. */
function semanticProblems(rule: RuleDefinition, targets: readonly string[], lanes?: LaneTable): string[] {
  const problems: string[] = [];
  const report = (message: string): void => {
    problems.push(`Rule "${rule.name}": ${message}`);
  };

  const on: EventType[] = [];
  rule.on.forEach((type, index) => {
    if (knownTypes.has(type)) on.push(type as EventType);
    else
      report(`on[${index}]: unknown event type ${JSON.stringify(type)}; expected one of ${[...knownTypes].join(', ')}`);
  });
  if (on.length === 0) return problems;

  const typesText = (types: readonly string[]): string => types.join(' or ');
  /** A path the rule reads a value from: every type it listens to must have it. */
  const valuePath = (path: string, where: string, allowed?: readonly ValueType[]): void => {
    const found: ValueType[] = [];
    for (const type of on) {
      const types = valueTypesAt(type, path);
      if (types === undefined) {
        report(`${where}: path ${path} refers to nothing in ${type} events`);
        return;
      }
      found.push(...types);
    }
    if (allowed !== undefined && !found.includes('any') && !found.some((type) => allowed.includes(type))) {
      report(`${where}: path ${path} holds ${typesText([...new Set(found)])} values; expected ${typesText(allowed)}`);
    }
  };
  /** A path a condition tests: one of the types is enough, the others just do not match. */
  const conditionPaths = (condition: Condition | undefined, where: readonly (string | number)[]): void => {
    if (condition === undefined) return;
    for (const { comparison, at } of comparisonsOf(condition, where)) {
      const here = formatAt([...at, 'path']);
      const found = on.flatMap((type) => valueTypesAt(type, comparison.path) ?? []);
      if (!on.some((type) => valueTypesAt(type, comparison.path) !== undefined)) {
        report(`${here}: path ${comparison.path} refers to nothing in ${typesText(on)} events`);
        continue;
      }
      if (found.includes('any')) continue;
      const value = comparison.op === 'exists' ? undefined : comparison.value;
      const expected: readonly ValueType[] | undefined =
        comparison.op === 'gt' || comparison.op === 'gte' || comparison.op === 'lt' || comparison.op === 'lte'
          ? numberTypes
          : comparison.op === 'matches'
            ? ['string']
            : comparison.op === 'eq' || comparison.op === 'ne' || comparison.op === 'in'
              ? [
                  ...new Set(
                    (Array.isArray(value) ? value : [value]).flatMap((item): ValueType[] =>
                      item === null
                        ? ['null']
                        : typeof item === 'number'
                          ? [...numberTypes]
                          : [typeof item as ValueType],
                    ),
                  ),
                ]
              : undefined;
      if (expected !== undefined && !found.some((type) => expected.includes(type))) {
        report(
          `${here}: ${comparison.op} ${JSON.stringify(comparison.op === 'exists' ? true : comparison.value)} can never hold: path ${comparison.path} holds ${typesText([...new Set(found)])} values`,
        );
      }
    }
  };
  const command = (type: string, where: string): EventType | undefined => {
    if (knownTypes.has(type)) return type as EventType;
    report(`${where}: unknown command type ${JSON.stringify(type)}; expected one of ${[...knownTypes].join(', ')}`);
    return undefined;
  };
  const target = (name: string, where: string, priority?: Priority): void => {
    if (lanes !== undefined) {
      const resolved = resolveLane(lanes, name, priority);
      if ('problem' in resolved) report(`${where}: ${resolved.problem}`);
      // The scheduler's own lanes are the event bus: stages publish events there, rules do not.
      else if (lanes[resolved.lane]?.stage === 'scheduler')
        report(
          `${where}: lane "${resolved.lane}" is the event bus (the scheduler's queue), not a stage a command can go to; expected a lane of ${[...new Set(Object.values(lanes).map((l) => l.stage))].filter((s) => s !== 'scheduler').join(', ')}`,
        );
      return;
    }
    if (!targets.includes(name)) {
      report(
        `${where}: unknown target ${JSON.stringify(name)}; expected one of ${targets.length === 0 ? '(no targets declared)' : targets.join(', ')}`,
      );
    }
  };
  const inputPaths = (input: InputPaths, where: string): void => {
    valuePath(input.bucket, `${where}.bucket`, ['string']);
    valuePath(input.key, `${where}.key`, ['string']);
    valuePath(input.size, `${where}.size`, numberTypes);
    valuePath(input.sha256, `${where}.sha256`, ['string']);
    valuePath(input.name, `${where}.name`, ['string']);
  };

  if (rule.kind === 'forward') {
    conditionPaths(rule.when, ['when']);
    rule.key.forEach((path, index) => {
      valuePath(path, `key[${index}]`, scalarTypes);
    });
    const catchAll = rule.routes.findIndex((route) => route.when === undefined);
    rule.routes.forEach((route, index) => {
      const where = `routes[${index}]`;
      if (catchAll !== -1 && index > catchAll) {
        report(`${where} can never match: routes[${catchAll}] has no "when" and takes every event before it`);
      }
      conditionPaths(route.when, ['routes', index, 'when']);
      const type = command(route.emit.command, `${where}.emit.command`);
      target(route.emit.target, `${where}.emit.target`, route.emit.priority);
      if (route.emit.subject !== undefined) valuePath(route.emit.subject, `${where}.emit.subject`, scalarTypes);
      const { placeholders } = checkTemplate(route.emit.data);
      for (const placeholder of placeholders) {
        valuePath(placeholder.path, `${formatAt([where, 'emit', 'data', ...placeholder.at])}.$path`);
      }
      if (type !== undefined && placeholders.length === 0) {
        const parsed = EventDataSchemas[type].safeParse(route.emit.data);
        if (!parsed.success) report(`${where}.emit.data does not match ${type}: ${z.prettifyError(parsed.error)}`);
      }
    });
    return problems;
  }

  const { collect } = rule;
  conditionPaths(collect.when, ['collect', 'when']);
  valuePath(collect.key, 'collect.key', scalarTypes);
  valuePath(collect.slot, 'collect.slot', ['integer', 'number', 'string']);
  if (collect.expected.to < collect.expected.from) {
    report(
      `collect.expected.to (${collect.expected.to}) is smaller than collect.expected.from (${collect.expected.from})`,
    );
  } else if (collect.expected.to - collect.expected.from + 1 > MaxJoinSlots) {
    report(
      `collect.expected covers ${collect.expected.to - collect.expected.from + 1} slots; at most ${MaxJoinSlots}, since the final command lists every input`,
    );
  }
  inputPaths(collect.input, 'collect.input');
  valuePath(collect.window.start, 'collect.window.start', ['string']);
  valuePath(collect.window.end, 'collect.window.end', ['string']);
  const seen = new Set<string>();
  (rule.require ?? []).forEach((requirement, index) => {
    const where = `require[${index}]`;
    if (seen.has(requirement.name))
      report(`${where}.name: requirement ${JSON.stringify(requirement.name)} is declared twice`);
    seen.add(requirement.name);
    conditionPaths(requirement.when, ['require', index, 'when']);
    valuePath(requirement.time, `${where}.time`, ['string']);
    inputPaths(requirement.input, `${where}.input`);
  });
  const type = command(rule.emit.command, 'emit.command');
  target(rule.emit.target, 'emit.target', rule.emit.priority);
  const { placeholders } = checkTemplate(rule.emit.data);
  for (const placeholder of placeholders) {
    report(
      `${formatAt(['emit', 'data', ...placeholder.at])}: a join's command is built from all its inputs, not from one event, so { "$path" } is not available here`,
    );
  }
  const reserved = ['inputs', 'degraded', 'missing'].filter((key) => key in rule.emit.data);
  if (reserved.length > 0)
    report(
      `emit.data sets ${reserved.join(', ')}, which the engine fills in; remove ${reserved.length === 1 ? 'it' : 'them'}`,
    );
  if (type !== undefined && placeholders.length === 0 && reserved.length === 0) {
    const example = { bucket: 'example-bucket', key: 'example/key', size: 1, sha256: '0'.repeat(64), name: 'example' };
    const parsed = EventDataSchemas[type].safeParse({
      ...rule.emit.data,
      inputs: [example],
      degraded: false,
      missing: [],
    });
    if (!parsed.success)
      report(
        `emit.data, with the inputs, degraded and missing the engine adds, does not match ${type}: ${z.prettifyError(parsed.error)}`,
      );
  }
  return problems;
}

/**
 * Validates a rule file and compiles it. Throws `RuleSetError` listing every problem, each
 * naming its rule (by name, or by position when it has none).
 *
 * @example
 * const ruleSet = loadRuleSet(JSON.parse(readFileSync('rules/reference-pipeline.json', 'utf8')), {
 *   targets: ['ingest', 'ingest-container', 'process-realtime', 'process-bulk', 'deliver'],
 * });
 */
export function loadRuleSet(json: unknown, options: LoadOptions): RuleSet {
  const top = z
    .strictObject({ version: z.literal(1), description: z.string().optional(), rules: z.array(z.unknown()) })
    .safeParse(json);
  if (!top.success) {
    throw new RuleSetError(
      top.error.issues.map(
        (issue) => `Rule set: ${issue.path.length === 0 ? '' : `${formatAt(issue.path)}: `}${issue.message}`,
      ),
    );
  }
  const problems: string[] = [];
  const rules: RuleDefinition[] = [];
  const positions = new Map<string, number[]>();
  top.data.rules.forEach((raw, index) => {
    const label = labelOf(raw, index);
    const kind = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).kind : undefined;
    if (!(ruleKinds as readonly unknown[]).includes(kind)) {
      problems.push(
        `${label}: kind ${kind === undefined ? 'is missing' : `${JSON.stringify(kind)} is unknown`}; expected ${ruleKinds.join(' or ')}`,
      );
      return;
    }
    const parsed = (kind === 'forward' ? ForwardRuleSchema : JoinRuleSchema).safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${label}: ${issue.path.length === 0 ? '' : `${formatAt(issue.path)}: `}${issue.message}`);
      }
      return;
    }
    rules.push(parsed.data);
    positions.set(parsed.data.name, [...(positions.get(parsed.data.name) ?? []), index]);
  });
  for (const [name, at] of positions) {
    if (at.length > 1)
      problems.push(
        `Rule "${name}": the name is used by ${at.length} rules (${at.map((index) => `rules[${index}]`).join(', ')}); names must be unique, they identify triggers`,
      );
  }
  for (const rule of rules) problems.push(...semanticProblems(rule, options.targets, options.lanes));
  if (problems.length > 0) throw new RuleSetError(problems);

  const resolved = options.lanes === undefined ? rules : rules.map((rule) => withLanes(rule, options.lanes!));
  const definition: RuleSetDefinition = {
    version: 1,
    ...(top.data.description === undefined ? {} : { description: top.data.description }),
    rules: resolved,
  };
  const targets = options.lanes === undefined ? options.targets : Object.keys(options.lanes);
  const ruleSet = compileRuleSet(definition, targets);
  problems.push(...sampleProblems(ruleSet, options.samples ?? []));
  if (problems.length > 0) throw new RuleSetError(problems);
  return ruleSet;
}

/** The rule with every `emit.target` replaced by the lane it resolves to (validated before). */
function withLanes(rule: RuleDefinition, lanes: LaneTable): RuleDefinition {
  const laneOf = (target: string, priority?: Priority): string => {
    const resolved = resolveLane(lanes, target, priority);
    if ('problem' in resolved) throw new Error(`unreachable: ${resolved.problem}`);
    return resolved.lane;
  };
  if (rule.kind === 'join')
    return { ...rule, emit: { ...rule.emit, target: laneOf(rule.emit.target, rule.emit.priority) } };
  return {
    ...rule,
    routes: rule.routes.map((route) => ({
      ...route,
      emit: { ...route.emit, target: laneOf(route.emit.target, route.emit.priority) },
    })),
  };
}

/** Evaluates every rule on the samples of its types; any failure is a problem of that rule. */
function sampleProblems(ruleSet: RuleSet, samples: readonly unknown[]): string[] {
  const problems: string[] = [];
  for (const sample of samples) {
    if (sample === null || typeof sample !== 'object') continue;
    const { type, id } = sample as { type?: unknown; id?: unknown };
    for (const rule of ruleSet.byType.get(String(type)) ?? []) {
      try {
        evaluateRule(rule, sample as CometEvent);
      } catch (error) {
        const message =
          error instanceof RuleEvaluationError ? error.message : `Rule "${rule.name}": ${(error as Error).message}`;
        problems.push(`${message} (on sample event ${String(id)} of type ${String(type)})`);
      }
    }
  }
  return problems;
}
