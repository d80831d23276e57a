/**
 * The one parser of environment settings. Each function declares, at module scope, the
 * variables it reads with a zod schema per variable (`Setting.*`); `parseEnvironment` validates
 * all of them at cold start and fails it with one error naming every variable that is missing
 * or malformed, its value and the form expected. A bad setting then never reaches the code
 * that uses it (a non-numeric size limit once disabled the size check without a word).
 */
import * as z from 'zod';
import type { EnvName } from './config.ts';
import { PipelineError } from './errors.ts';

/** A setting's schema: from the variable's text (or undefined when unset) to its value. */
export type SettingSchema<T = unknown> = z.ZodType<T, string | undefined>;

/** The settings of one function, by variable name. */
export type EnvironmentShape = Partial<Record<EnvName, SettingSchema>>;

/** The parsed settings, by variable name. */
export type EnvironmentOf<S extends EnvironmentShape> = {
  readonly [K in keyof S]: S[K] extends SettingSchema<infer T> ? T : never;
};

/** Settings that are missing or malformed: a deployment error, never retried. */
export class EnvironmentError extends PipelineError {
  public constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'EnvironmentError';
  }
}

/** A schema of a required text setting, refused when absent, checked by `check`. */
function required<T>(expected: string, check: (text: string, fail: () => never) => T): SettingSchema<T> {
  return z
    .string()
    .transform((text, context) =>
      check(text, () => {
        context.addIssue({ code: 'custom', message: expected });
        return z.NEVER as never;
      }),
    )
    .describe(expected) as unknown as SettingSchema<T>;
}

/** Builders of the settings' schemas; each says in its description what it expects. */
export const Setting = {
  /** A resource name (bucket, table, cluster, container, family): any non-empty text. */
  name: (what = 'a resource name'): SettingSchema<string> =>
    required(what, (text, fail) => (text.trim() === '' ? fail() : text)),
  /** An ARN. */
  arn: (what = 'an ARN (arn:<partition>:<service>:...)'): SettingSchema<string> =>
    required(what, (text, fail) => (/^arn:[\w-]+:[\w-]+:/.test(text) ? text : fail())),
  /** An http(s) URL, such as a queue URL. */
  url: (what = 'an http(s) URL such as a queue URL'): SettingSchema<string> =>
    required(what, (text, fail) => {
      try {
        const url = new URL(text);
        return url.protocol === 'https:' || url.protocol === 'http:' ? text : fail();
      } catch {
        return fail();
      }
    }),
  /** A whole number from `min` (to `max`), in decimal digits only. */
  integer: (options: { min: number; max?: number; unit?: string }): SettingSchema<number> => {
    const range = options.max === undefined ? `of at least ${options.min}` : `from ${options.min} to ${options.max}`;
    const expected = `a whole number ${range}${options.unit === undefined ? '' : ` (${options.unit})`}`;
    return required(expected, (text, fail) => {
      if (!/^\d+$/.test(text.trim())) return fail();
      const value = Number(text);
      return Number.isSafeInteger(value) && value >= options.min && (options.max === undefined || value <= options.max)
        ? value
        : fail();
    });
  },
  /** A positive number (a fraction allowed), such as a duration in seconds. */
  positive: (unit: string): SettingSchema<number> =>
    required(`a positive number (${unit})`, (text, fail) => {
      const value = Number(text);
      return text.trim() !== '' && Number.isFinite(value) && value > 0 ? value : fail();
    }),
  /** A number of at least 0 (a fraction allowed), such as a holdback in seconds. */
  nonNegative: (unit: string): SettingSchema<number> =>
    required(`a number of at least 0 (${unit})`, (text, fail) => {
      const value = Number(text);
      return text.trim() !== '' && Number.isFinite(value) && value >= 0 ? value : fail();
    }),
  /** A comma-separated list of at least one non-empty item. */
  list: (what = 'a comma-separated list of at least one item'): SettingSchema<string[]> =>
    required(what, (text, fail) => {
      const items = text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      return items.length === 0 ? fail() : items;
    }),
  /** One of `values`. */
  oneOf: <const V extends string>(values: readonly V[]): SettingSchema<V> =>
    required(`one of ${values.join(', ')}`, (text, fail) =>
      (values as readonly string[]).includes(text) ? (text as V) : fail(),
    ),
  /** JSON matching `schema`, described as `what`. */
  json: <T>(schema: z.ZodType<T>, what: string): SettingSchema<T> =>
    required(`JSON: ${what}`, (text, fail) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return fail();
      }
      const parsed = schema.safeParse(value);
      return parsed.success ? parsed.data : fail();
    }),
  /** `setting`, or `fallback` when the variable is unset or empty. */
  optional: <T>(setting: SettingSchema<T>, fallback: T): SettingSchema<T> =>
    z
      .union([z.undefined().transform(() => fallback), setting])
      .describe(
        `${setting.description ?? 'a value'}, or unset for ${JSON.stringify(fallback)}`,
      ) as unknown as SettingSchema<T>,
} as const;

/**
 * Parses the settings of `shape` from `env`, failing with an `EnvironmentError` that names every
 * bad variable, its value and what was expected. An empty value counts as unset.
 *
 * @example
 * const env = parseEnvironment({ [Env.eventBusQueueUrl]: Setting.url(), [Env.workerMaxTasks]: Setting.integer({ min: 1, unit: 'tasks' }) });
 * env[Env.workerMaxTasks]; // a number
 */
export function parseEnvironment<const S extends EnvironmentShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): EnvironmentOf<S> {
  const names = Object.keys(shape) as EnvName[];
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of names) {
    const schema = shape[name] as SettingSchema;
    const raw = env[name] === '' ? undefined : env[name];
    const parsed = schema.safeParse(raw);
    if (parsed.success) {
      values[name] = parsed.data;
      continue;
    }
    const expected = schema.description ?? parsed.error.issues[0]?.message ?? 'a value';
    problems.push(
      `${name} ${raw === undefined ? 'is not set' : `is ${JSON.stringify(raw.slice(0, 200))}`}; expected ${expected}`,
    );
  }
  if (problems.length > 0) {
    throw new EnvironmentError(
      `${problems.join('. ')}. The CDK app sets these on the function or container that reads them.`,
    );
  }
  return values as EnvironmentOf<S>;
}
