/**
 * Compiles a validated rule file: conditions into predicates, paths into getters, templates into
 * builders, durations into milliseconds, and an index of rules by event type. Done once, when
 * the rule file is loaded, so that evaluating an event does no parsing.
 */
import type { EventType } from '#events/registry.ts';
import { compileCondition, type Predicate } from './conditions.ts';
import { parseDuration } from './durations.ts';
import { RuleEvaluationError } from './errors.ts';
import { compilePath, type Getter } from './paths.ts';
import type { ForwardRuleDefinition, InputPaths, JoinRuleDefinition, Priority, RuleSetDefinition } from './schema.ts';
import { compileTemplate } from './template.ts';

/** Getters of the five fields of a join input. */
export interface CompiledInput {
  readonly paths: InputPaths;
  readonly bucket: Getter;
  readonly key: Getter;
  readonly size: Getter;
  readonly sha256: Getter;
  readonly name: Getter;
}

/** A route of a forward rule. */
export interface CompiledRoute {
  readonly index: number;
  readonly when: Predicate | undefined;
  readonly command: EventType;
  readonly target: string;
  readonly priority: Priority | undefined;
  readonly delaySeconds: number;
  readonly subject: Getter | undefined;
  readonly data: (event: unknown) => unknown;
}

/** A forward rule, compiled. */
export interface CompiledForwardRule {
  readonly kind: 'forward';
  readonly name: string;
  readonly on: readonly EventType[];
  readonly when: Predicate | undefined;
  readonly keyPaths: readonly string[];
  readonly key: readonly Getter[];
  readonly routes: readonly CompiledRoute[];
  readonly definition: ForwardRuleDefinition;
}

/** A reference a join requires, compiled. */
export interface CompiledRequirement {
  readonly name: string;
  readonly when: Predicate;
  readonly timePath: string;
  readonly time: Getter;
  /** How long before the window start the reference's time may be. */
  readonly beforeMs: number;
  /** How long after the window start the reference's time may be. */
  readonly afterMs: number;
  readonly onMissing: 'abandon' | 'degrade';
  readonly input: CompiledInput;
}

/** A join rule, compiled. */
export interface CompiledJoinRule {
  readonly kind: 'join';
  readonly name: string;
  readonly on: readonly EventType[];
  readonly collect: {
    readonly when: Predicate;
    readonly keyPath: string;
    readonly key: Getter;
    readonly slotPath: string;
    readonly slot: Getter;
    readonly from: number;
    readonly to: number;
    readonly expectedCount: number;
    readonly input: CompiledInput;
    readonly windowStartPath: string;
    readonly windowStart: Getter;
    readonly windowEndPath: string;
    readonly windowEnd: Getter;
  };
  readonly requirements: readonly CompiledRequirement[];
  readonly deadlineMs: number;
  readonly minShare: number;
  readonly emit: {
    readonly command: EventType;
    readonly target: string;
    readonly priority: Priority | undefined;
    readonly delaySeconds: number;
    readonly data: Readonly<Record<string, unknown>>;
  };
  readonly definition: JoinRuleDefinition;
}

/** A compiled rule. */
export type CompiledRule = CompiledForwardRule | CompiledJoinRule;

/** A loaded rule file: what `evaluate` and `completeJoin` run on. Build it with `loadRuleSet`. */
export interface RuleSet {
  /** The rules in file order. */
  readonly rules: readonly CompiledRule[];
  /** The rules listening to each event type, in file order. */
  readonly byType: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly byName: ReadonlyMap<string, CompiledRule>;
  /** The targets the rule file was checked against. */
  readonly targets: readonly string[];
  /** The validated rule file. */
  readonly definition: RuleSetDefinition;
}

const compileInput = (paths: InputPaths): CompiledInput => ({
  paths,
  bucket: compilePath(paths.bucket),
  key: compilePath(paths.key),
  size: compilePath(paths.size),
  sha256: compilePath(paths.sha256),
  name: compilePath(paths.name),
});

const describeEvent = (event: unknown): string => {
  const { type, id } = (event ?? {}) as { type?: unknown; id?: unknown };
  return `${String(type)} event ${String(id)}`;
};

function compileForward(rule: ForwardRuleDefinition): CompiledForwardRule {
  return {
    kind: 'forward',
    name: rule.name,
    on: rule.on as EventType[],
    when: rule.when === undefined ? undefined : compileCondition(rule.when),
    keyPaths: rule.key,
    key: rule.key.map(compilePath),
    routes: rule.routes.map((route, index) => ({
      index,
      when: route.when === undefined ? undefined : compileCondition(route.when),
      command: route.emit.command as EventType,
      target: route.emit.target,
      priority: route.emit.priority,
      delaySeconds: route.emit.delaySeconds ?? 0,
      subject: route.emit.subject === undefined ? undefined : compilePath(route.emit.subject),
      data: compileTemplate(route.emit.data, (path, event) => {
        throw new RuleEvaluationError(
          rule.name,
          `routes[${index}].emit.data: path ${path} has no value in ${describeEvent(event)}`,
        );
      }),
    })),
    definition: rule,
  };
}

function compileJoin(rule: JoinRuleDefinition): CompiledJoinRule {
  const { collect } = rule;
  return {
    kind: 'join',
    name: rule.name,
    on: rule.on as EventType[],
    collect: {
      when: compileCondition(collect.when),
      keyPath: collect.key,
      key: compilePath(collect.key),
      slotPath: collect.slot,
      slot: compilePath(collect.slot),
      from: collect.expected.from,
      to: collect.expected.to,
      expectedCount: collect.expected.to - collect.expected.from + 1,
      input: compileInput(collect.input),
      windowStartPath: collect.window.start,
      windowStart: compilePath(collect.window.start),
      windowEndPath: collect.window.end,
      windowEnd: compilePath(collect.window.end),
    },
    requirements: (rule.require ?? []).map((requirement) => ({
      name: requirement.name,
      when: compileCondition(requirement.when),
      timePath: requirement.time,
      time: compilePath(requirement.time),
      beforeMs: parseDuration(requirement.within.before),
      afterMs: parseDuration(requirement.within.after),
      onMissing: requirement.onMissing ?? 'abandon',
      input: compileInput(requirement.input),
    })),
    deadlineMs: parseDuration(rule.deadline.after),
    minShare: rule.degraded.minShare,
    emit: {
      command: rule.emit.command as EventType,
      target: rule.emit.target,
      priority: rule.emit.priority,
      delaySeconds: rule.emit.delaySeconds ?? 0,
      data: rule.emit.data,
    },
    definition: rule,
  };
}

/** Compiles a validated rule file. Use `loadRuleSet`, which validates first. */
export function compileRuleSet(definition: RuleSetDefinition, targets: readonly string[]): RuleSet {
  const rules = definition.rules.map((rule) => (rule.kind === 'forward' ? compileForward(rule) : compileJoin(rule)));
  const byType = new Map<string, CompiledRule[]>();
  for (const rule of rules) {
    for (const type of new Set(rule.on)) byType.set(type, [...(byType.get(type) ?? []), rule]);
  }
  return {
    rules,
    byType,
    byName: new Map(rules.map((rule) => [rule.name, rule])),
    targets: [...targets],
    definition,
  };
}
