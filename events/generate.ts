/**
 * Writes `events/<folder>/schema.json` for every type of the registry: the JSON Schema of the
 * whole CloudEvent (envelope and typed data), as its producer emits it.
 *
 * Run `npm run events:generate` after editing `registry.ts`; `catalog.test.ts` fails until the
 * files on disk equal what this produces.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';
import { EventTypes, dataSchemaOf, eventSchemaOf, folderOf, type EventType } from './registry.ts';

/**
 * Keywords come out in this order whatever order zod emits them in, so a zod upgrade that only
 * reorders keys does not churn the generated files. Keywords not listed follow, alphabetically.
 */
const keywordOrder = [
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'oneOf',
  'anyOf',
  'allOf',
  'default',
  '$defs',
];

/** Maps whose keys are names chosen by the registry, not keywords: their order is the registry's. */
const nameMaps = new Set(['properties', '$defs', 'patternProperties']);

const rankOf = (key: string): number => {
  const rank = keywordOrder.indexOf(key);
  return rank === -1 ? keywordOrder.length : rank;
};

function canonical(value: unknown, keepOrder = false): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (!keepOrder) {
    entries.sort(([a], [b]) => rankOf(a) - rankOf(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  return Object.fromEntries(entries.map(([key, child]) => [key, canonical(child, !keepOrder && nameMaps.has(key))]));
}

/** "file.available" -> "File available event". */
const titleOf = (type: EventType): string => {
  const words = folderOf(type).split('.').join(' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} event`;
};

/**
 * The JSON Schema document of one event type, with `$id` = its `dataschema` URI.
 *
 * It is zod's `output` schema: what `wrap` emits, with defaults filled in and unknown keys
 * stripped, hence `additionalProperties: false` and defaulted fields required. It is stricter
 * than `unwrap`, which accepts the input form; integration tests use it to check what stages send.
 */
export function schemaDocumentOf(type: EventType): Record<string, unknown> {
  const generated = z.toJSONSchema(eventSchemaOf(type), { target: 'draft-2020-12', io: 'output' });
  return canonical({
    ...generated,
    $id: dataSchemaOf(type),
    $comment: 'Generated from events/registry.ts by `npm run events:generate`; do not edit by hand.',
    title: titleOf(type),
    description: `A CloudEvents 1.0 event of type ${type}, with the correlationid, causationid and (optional) priority extensions, as its producer emits it.`,
  }) as Record<string, unknown>;
}

/** The exact text of `events/<folder>/schema.json`: 2-space indent, trailing newline. */
export const renderSchemaOf = (type: EventType): string => `${JSON.stringify(schemaDocumentOf(type), null, 2)}\n`;

/** Where the schema of a type lives. */
export const schemaFileOf = (type: EventType): string =>
  fileURLToPath(new URL(`./${folderOf(type)}/schema.json`, import.meta.url));

/** Writes the schema of every type and returns the paths written. */
export function generate(): string[] {
  return Object.values(EventTypes).map((type) => {
    const file = schemaFileOf(type);
    mkdirSync(new URL(`./${folderOf(type)}/`, import.meta.url), { recursive: true });
    writeFileSync(file, renderSchemaOf(type));
    return file;
  });
}

if (import.meta.main) {
  for (const file of generate()) console.log(`wrote ${file}`);
}
