/**
 * Reads the catalog on disk: the generated `schema.json` of each type and its samples. Tests use
 * it to check that what the code emits is what the catalog documents. Test tooling only: it
 * imports ajv, a dev dependency, so no Lambda bundle may import it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { EventTypes, folderOf, type EventType } from './registry.ts';

/** The outcome of `validateAgainstCatalog`; `errors` is one line per violation. */
export type CatalogVerdict = { ok: true } | { ok: false; errors: string };

/** A sample event of the catalog: its file name and its parsed content. */
export interface CatalogSample {
  readonly file: string;
  readonly event: unknown;
}

const knownTypes: ReadonlySet<string> = new Set(Object.values(EventTypes));

const isEventType = (value: unknown): value is EventType => typeof value === 'string' && knownTypes.has(value);

const catalogUrl = (path: string): URL => new URL(path, import.meta.url);

/** The parsed `events/<folder>/schema.json` of a type, as committed. */
export const readSchema = (type: EventType): Record<string, unknown> =>
  JSON.parse(readFileSync(catalogUrl(`./${folderOf(type)}/schema.json`), 'utf8')) as Record<string, unknown>;

/**
 * The samples of a type (`events/<folder>/samples/*.json`), sorted by file name. Handy as test
 * fixtures: they are realistic, and the catalog test keeps them valid.
 *
 * @example
 * const [first] = samplesOf(EventTypes.fileAvailable);
 */
export function samplesOf(type: EventType): CatalogSample[] {
  const folder = `./${folderOf(type)}/samples/`;
  let files: string[];
  try {
    files = readdirSync(catalogUrl(folder))
      .filter((file) => file.endsWith('.json'))
      .sort();
  } catch {
    // No samples folder yet: the catalog test reports the type as uncovered.
    return [];
  }
  return files.map((file) => ({
    file,
    event: JSON.parse(readFileSync(catalogUrl(`${folder}${file}`), 'utf8')) as unknown,
  }));
}

// RFC 3339 date-time, as `format: date-time` means in JSON Schema. Ajv ships no formats of its
// own, and ajv-formats is not one of our dependencies; zod's `pattern` next to it is the stricter
// check anyway (UTC `Z` only).
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** A new ajv instance that knows the formats the generated schemas use. */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (value: string) => rfc3339.test(value) && !Number.isNaN(Date.parse(value)),
  });
  return ajv;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<EventType, ValidateFunction>();

// Compiled on first use and kept: integration tests call this for every message they read.
function validatorOf(type: EventType): ValidateFunction {
  let validate = validators.get(type);
  if (validate === undefined) {
    ajv ??= createAjv();
    validate = ajv.compile(readSchema(type));
    validators.set(type, validate);
  }
  return validate;
}

/** One line per ajv error: where, what, and the offending key or allowed values when ajv has them. */
export function describeErrors(errors: readonly ErrorObject[]): string {
  return errors
    .map((error) => {
      const where = error.instancePath === '' ? '(event)' : error.instancePath;
      const params = error.params as Record<string, unknown>;
      const detail =
        'additionalProperty' in params
          ? ` (${String(params.additionalProperty)})`
          : 'allowedValue' in params
            ? ` (${JSON.stringify(params.allowedValue)})`
            : 'allowedValues' in params
              ? ` (${JSON.stringify(params.allowedValues)})`
              : '';
      return `${where} ${error.message ?? error.keyword}${detail}`;
    })
    .join('\n');
}

/**
 * Validates a CloudEvent against the `schema.json` of its `type`, the committed catalog file,
 * not the zod schema: what passes here is what the catalog documents.
 *
 * @example
 * const verdict = validateAgainstCatalog(JSON.parse(message.Body));
 * expect(verdict).toEqual({ ok: true });
 */
export function validateAgainstCatalog(event: unknown): CatalogVerdict {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return {
      ok: false,
      errors: `expected a CloudEvent (a JSON object); got ${Array.isArray(event) ? 'an array' : String(event === null ? 'null' : typeof event)}`,
    };
  }
  const { type } = event as { type?: unknown };
  if (!isEventType(type)) {
    return {
      ok: false,
      errors: `/type ${JSON.stringify(type)} is not a type of the catalog; expected one of ${[...knownTypes].join(', ')}`,
    };
  }
  const validate = validatorOf(type);
  if (validate(event)) return { ok: true };
  return { ok: false, errors: describeErrors(validate.errors ?? []) };
}
