/**
 * Templates: the `data` of a command as JSON, in which every `{ "$path": "data.x" }` is replaced
 * by that value of the triggering event. Checked at load, compiled once into a builder.
 */
import { compilePath, pathSyntaxProblem, type Getter } from './paths.ts';

/** A JSON value in which `{ "$path": string }` objects stand for values of the event. */
export type Template = unknown;

/** A `$path` of a template and where it sits in the template. */
export interface Placeholder {
  readonly path: string;
  readonly at: readonly (string | number)[];
}

/** A problem found in a template, located inside it. */
export interface TemplateProblem {
  readonly at: readonly (string | number)[];
  readonly message: string;
}

/** Checks a template read from JSON; returns its placeholders and its problems. */
export function checkTemplate(
  template: unknown,
  at: readonly (string | number)[] = [],
): { placeholders: Placeholder[]; problems: TemplateProblem[] } {
  const placeholders: Placeholder[] = [];
  const problems: TemplateProblem[] = [];
  const visit = (value: unknown, where: readonly (string | number)[]): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        visit(item, [...where, index]);
      });
      return;
    }
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'number' && !Number.isFinite(value))
        problems.push({ at: where, message: `${String(value)} is not a JSON number` });
      return;
    }
    const record = value as Record<string, unknown>;
    if ('$path' in record) {
      const keys = Object.keys(record);
      if (keys.length !== 1)
        problems.push({ at: where, message: `a { "$path" } placeholder has no other key; found ${keys.join(', ')}` });
      const path = record.$path;
      if (typeof path !== 'string') {
        problems.push({
          at: [...where, '$path'],
          message: `expected a dot path such as data.file, got ${JSON.stringify(path)}`,
        });
        return;
      }
      const problem = pathSyntaxProblem(path);
      if (problem === undefined) placeholders.push({ path, at: where });
      else problems.push({ at: [...where, '$path'], message: problem });
      return;
    }
    for (const [key, child] of Object.entries(record)) {
      if (key.startsWith('$')) {
        problems.push({
          at: [...where, key],
          message: `keys starting with $ are reserved for { "$path": ... } placeholders; found ${JSON.stringify(key)}`,
        });
        continue;
      }
      visit(child, [...where, key]);
    }
  };
  visit(template, at);
  return { placeholders, problems };
}

/**
 * Compiles a checked template into a builder. `missing` is called with the path of a
 * placeholder that has no value in the event; it throws (a command with a hole is never built).
 * A template without placeholders is returned as it is, without copying: the envelope's
 * validation copies data on the way out.
 */
export function compileTemplate(
  template: Template,
  missing: (path: string, event: unknown) => never,
): (event: unknown) => unknown {
  const { placeholders } = checkTemplate(template);
  if (placeholders.length === 0) return () => template;
  const build = (value: unknown): ((event: unknown) => unknown) => {
    if (Array.isArray(value)) {
      const items = value.map(build);
      return (event) => items.map((item) => item(event));
    }
    if (value === null || typeof value !== 'object') return () => value;
    const record = value as Record<string, unknown>;
    if (typeof record.$path === 'string') {
      const path = record.$path;
      const get: Getter = compilePath(path);
      return (event) => {
        const found = get(event);
        return found === undefined ? missing(path, event) : found;
      };
    }
    const entries = Object.entries(record).map(([key, child]) => [key, build(child)] as const);
    return (event) => {
      const result: Record<string, unknown> = {};
      for (const [key, child] of entries) result[key] = child(event);
      return result;
    };
  };
  return build(template);
}
