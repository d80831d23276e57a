/**
 * Conditions are data: `{ all: [...] }`, `{ any: [...] }`, `{ not: c }` or a comparison
 * `{ path, op, value }` on one value of the event. They are checked when the rule file is loaded
 * and compiled once into plain closures, so evaluating one costs a few property reads.
 */
import { compilePath, pathSyntaxProblem } from './paths.ts';

/** A JSON scalar, what `eq`, `ne` and `in` compare with. */
export type Scalar = string | number | boolean | null;

/** The comparison operators. */
export const Operators = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'exists', 'matches'] as const;
export type Operator = (typeof Operators)[number];

/**
 * One comparison. `eq`/`ne` compare strictly (`1` is not `"1"`); `ne` holds when the value is
 * absent. `gt`..`lte` hold only for numbers. `in` holds when the value is one of the list.
 * `exists` (value true by default) holds when the path has a value other than null.
 * `matches` holds when the value is a string the regular expression (`u` flag) finds a match in.
 */
export type Comparison =
  | { readonly path: string; readonly op: 'eq' | 'ne'; readonly value: Scalar }
  | { readonly path: string; readonly op: 'gt' | 'gte' | 'lt' | 'lte'; readonly value: number }
  | { readonly path: string; readonly op: 'in'; readonly value: readonly Scalar[] }
  | { readonly path: string; readonly op: 'exists'; readonly value?: boolean }
  | { readonly path: string; readonly op: 'matches'; readonly value: string };

/** A condition on one event. */
export type Condition =
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition }
  | Comparison;

/** A compiled condition. */
export type Predicate = (event: unknown) => boolean;

/** A problem found in a condition, located by its path inside the condition. */
export interface ConditionProblem {
  readonly at: readonly (string | number)[];
  readonly message: string;
}

const isScalar = (value: unknown): value is Scalar =>
  value === null ||
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value));

const describe = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

function checkComparison(
  node: Record<string, unknown>,
  at: readonly (string | number)[],
  problems: ConditionProblem[],
): void {
  const extra = Object.keys(node).filter((key) => key !== 'path' && key !== 'op' && key !== 'value');
  if (extra.length > 0)
    problems.push({ at, message: `a comparison has path, op and value only; found ${extra.join(', ')}` });
  const { path, op, value } = node;
  if (typeof path !== 'string') {
    problems.push({
      at: [...at, 'path'],
      message: `expected a dot path such as data.file.size, got ${describe(path)}`,
    });
  } else {
    const problem = pathSyntaxProblem(path);
    if (problem !== undefined) problems.push({ at: [...at, 'path'], message: problem });
  }
  if (typeof op !== 'string' || !(Operators as readonly string[]).includes(op)) {
    problems.push({
      at: [...at, 'op'],
      message: `unknown operator ${describe(op)}; expected one of ${Operators.join(', ')}`,
    });
    return;
  }
  const valueAt = [...at, 'value'];
  switch (op as Operator) {
    case 'eq':
    case 'ne':
      if (!isScalar(value))
        problems.push({
          at: valueAt,
          message: `${op} compares with a string, number, boolean or null; got ${describe(value)}`,
        });
      break;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof value !== 'number' || !Number.isFinite(value))
        problems.push({ at: valueAt, message: `${op} compares with a number; got ${describe(value)}` });
      break;
    case 'in':
      if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar)) {
        problems.push({
          at: valueAt,
          message: `in expects a non-empty list of strings, numbers, booleans or null; got ${describe(value)}`,
        });
      }
      break;
    case 'exists':
      if (value !== undefined && typeof value !== 'boolean')
        problems.push({ at: valueAt, message: `exists takes true, false or no value; got ${describe(value)}` });
      break;
    case 'matches':
      if (typeof value !== 'string') {
        problems.push({
          at: valueAt,
          message: `matches expects a regular expression as a string; got ${describe(value)}`,
        });
      } else {
        try {
          new RegExp(value, 'u');
        } catch (error) {
          problems.push({
            at: valueAt,
            message: `bad regular expression ${JSON.stringify(value)}: ${(error as Error).message}`,
          });
        }
      }
      break;
  }
}

/**
 * Checks the shape of a condition read from JSON and returns its problems (none when it is a
 * valid `Condition`).
 */
export function checkCondition(node: unknown, at: readonly (string | number)[] = []): ConditionProblem[] {
  const problems: ConditionProblem[] = [];
  const visit = (value: unknown, where: readonly (string | number)[]): void => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({
        at: where,
        message: `a condition is an object with all, any, not, or path/op/value; got ${describe(value)}`,
      });
      return;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    const group = (['all', 'any', 'not'] as const).find((key) => key in record);
    if (group !== undefined) {
      if (keys.length !== 1)
        problems.push({ at: where, message: `a condition with ${group} has no other key; found ${keys.join(', ')}` });
      if (group === 'not') {
        visit(record.not, [...where, 'not']);
        return;
      }
      const list = record[group];
      if (!Array.isArray(list) || list.length === 0) {
        problems.push({
          at: [...where, group],
          message: `${group} expects a non-empty list of conditions; got ${describe(list)}`,
        });
        return;
      }
      list.forEach((child, index) => {
        visit(child, [...where, group, index]);
      });
      return;
    }
    if ('path' in record || 'op' in record) {
      checkComparison(record, where, problems);
      return;
    }
    problems.push({
      at: where,
      message: `a condition has all, any, not, or path/op/value; found ${keys.length === 0 ? 'no key' : keys.join(', ')}`,
    });
  };
  visit(node, at);
  return problems;
}

/** Every comparison of a condition, with where it is, for checks against the event catalog. */
export function comparisonsOf(
  condition: Condition,
  at: readonly (string | number)[] = [],
): { comparison: Comparison; at: readonly (string | number)[] }[] {
  if ('all' in condition) return condition.all.flatMap((child, index) => comparisonsOf(child, [...at, 'all', index]));
  if ('any' in condition) return condition.any.flatMap((child, index) => comparisonsOf(child, [...at, 'any', index]));
  if ('not' in condition) return comparisonsOf(condition.not, [...at, 'not']);
  return [{ comparison: condition, at }];
}

function compileComparison(comparison: Comparison): Predicate {
  const get = compilePath(comparison.path);
  switch (comparison.op) {
    case 'eq': {
      const expected = comparison.value;
      return (event) => get(event) === expected;
    }
    case 'ne': {
      const expected = comparison.value;
      return (event) => get(event) !== expected;
    }
    case 'gt': {
      const bound = comparison.value;
      return (event) => {
        const value = get(event);
        return typeof value === 'number' && value > bound;
      };
    }
    case 'gte': {
      const bound = comparison.value;
      return (event) => {
        const value = get(event);
        return typeof value === 'number' && value >= bound;
      };
    }
    case 'lt': {
      const bound = comparison.value;
      return (event) => {
        const value = get(event);
        return typeof value === 'number' && value < bound;
      };
    }
    case 'lte': {
      const bound = comparison.value;
      return (event) => {
        const value = get(event);
        return typeof value === 'number' && value <= bound;
      };
    }
    case 'in': {
      const allowed: ReadonlySet<unknown> = new Set(comparison.value);
      return (event) => allowed.has(get(event));
    }
    case 'exists': {
      const expected = comparison.value ?? true;
      return (event) => {
        const value = get(event);
        return (value !== undefined && value !== null) === expected;
      };
    }
    case 'matches': {
      const pattern = new RegExp(comparison.value, 'u');
      return (event) => {
        const value = get(event);
        return typeof value === 'string' && pattern.test(value);
      };
    }
  }
}

/**
 * Compiles a checked condition into a predicate: paths split and regular expressions built
 * once, here, not per event.
 *
 * @example
 * const large = compileCondition({ path: 'data.file.size', op: 'gt', value: 1073741824 });
 * large(event) // true for a 1.3 GB forecast
 */
export function compileCondition(condition: Condition): Predicate {
  if ('all' in condition) {
    const parts = condition.all.map(compileCondition);
    if (parts.length === 2) {
      const [a, b] = parts as [Predicate, Predicate];
      return (event) => a(event) && b(event);
    }
    return (event) => {
      for (const part of parts) if (!part(event)) return false;
      return true;
    };
  }
  if ('any' in condition) {
    const parts = condition.any.map(compileCondition);
    return (event) => {
      for (const part of parts) if (part(event)) return true;
      return false;
    };
  }
  if ('not' in condition) {
    const inner = compileCondition(condition.not);
    return (event) => !inner(event);
  }
  return compileComparison(condition);
}
