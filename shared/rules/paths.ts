/**
 * Dot paths into a CloudEvent (`type`, `data.file.size`, `data.inputs.0.key`): their syntax,
 * their compiled getters, and what the event catalog says lives at a path, so that a rule naming
 * a path no event of its types has is refused when the rule file is loaded.
 */
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';
import { eventSchemaOf, type EventType } from '#events/registry.ts';

/** Reads the value at a compiled path; `undefined` when any step is missing. */
export type Getter = (event: unknown) => unknown;

const segment = '(?:[A-Za-z_][A-Za-z0-9_-]*|0|[1-9][0-9]*)';
const pathPattern = new RegExp(`^[A-Za-z_][A-Za-z0-9_]*(?:\\.${segment})*$`);

/** The attributes of the envelope, where every path starts. */
export const EnvelopeAttributes = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'dataschema',
  'datacontenttype',
  'correlationid',
  'causationid',
  'data',
] as const;
const envelopeAttributes: ReadonlySet<string> = new Set(EnvelopeAttributes);

/** What is wrong with the syntax of a path, or undefined when it is well formed. */
export function pathSyntaxProblem(path: string): string | undefined {
  if (!pathPattern.test(path)) {
    return `path ${JSON.stringify(path)} is not a dot path; expected names separated by dots, such as data.file.size`;
  }
  const first = path.split('.', 1)[0]!;
  if (!envelopeAttributes.has(first)) {
    return `path ${JSON.stringify(path)} starts with ${JSON.stringify(first)}, which is not an attribute of the event; expected one of ${EnvelopeAttributes.join(', ')}`;
  }
  return undefined;
}

/**
 * Compiles a well-formed path into a getter. Short paths get unrolled getters: they are the
 * common case and run once per rule per event.
 */
export function compilePath(path: string): Getter {
  const segments = path.split('.');
  const step = (value: unknown, key: string): unknown =>
    value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  switch (segments.length) {
    case 1: {
      const [a] = segments as [string];
      return (event) => step(event, a);
    }
    case 2: {
      const [a, b] = segments as [string, string];
      return (event) => step(step(event, a), b);
    }
    case 3: {
      const [a, b, c] = segments as [string, string, string];
      return (event) => step(step(step(event, a), b), c);
    }
    default:
      return (event) => {
        let value = event;
        for (const key of segments) {
          if (value === null || typeof value !== 'object') return undefined;
          value = (value as Record<string, unknown>)[key];
        }
        return value;
      };
  }
}

/** The JSON type names of what may live at a path; `any` when the schema does not constrain it. */
export type ValueType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null' | 'any';

interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
}

const schemas = new Map<string, JsonSchema>();

// JSON Schema of the whole envelope of a type, generated from the registry once and kept.
function schemaOf(type: EventType): JsonSchema {
  let schema = schemas.get(type);
  if (schema === undefined) {
    schema = z.toJSONSchema(eventSchemaOf(type), { io: 'output', unrepresentable: 'any' }) as JsonSchema;
    schemas.set(type, schema);
  }
  return schema;
}

// A schema's alternatives, flattened: a path exists when it exists in one of them.
function alternatives(schema: JsonSchema): JsonSchema[] {
  const nested = [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])];
  return nested.length === 0 ? [schema] : [schema, ...nested.flatMap(alternatives)];
}

const unconstrained = (schema: JsonSchema): boolean =>
  schema.type === undefined &&
  schema.properties === undefined &&
  schema.items === undefined &&
  schema.anyOf === undefined &&
  schema.oneOf === undefined &&
  schema.allOf === undefined &&
  schema.const === undefined &&
  schema.enum === undefined;

function childrenOf(schema: JsonSchema, key: string): JsonSchema[] {
  const children: JsonSchema[] = [];
  for (const option of alternatives(schema)) {
    const property = option.properties?.[key];
    if (property !== undefined) children.push(property);
    else if (typeof option.additionalProperties === 'object') children.push(option.additionalProperties);
    if (option.items !== undefined && /^\d+$/.test(key)) children.push(option.items);
    if (unconstrained(option)) children.push({});
  }
  return children;
}

function typesOf(schema: JsonSchema): ValueType[] {
  const types = new Set<ValueType>();
  for (const option of alternatives(schema)) {
    if (typeof option.type === 'string') types.add(option.type as ValueType);
    else if (Array.isArray(option.type)) for (const type of option.type as string[]) types.add(type as ValueType);
    else if (option.const !== undefined) types.add(typeof option.const as ValueType);
    else if (option.enum !== undefined) for (const value of option.enum) types.add(typeof value as ValueType);
    else if (unconstrained(option)) types.add('any');
  }
  return [...types];
}

/**
 * The value types the catalog allows at `path` in events of `type`, or undefined when no event
 * of that type can have a value there. Union schemas (the kinds of file attributes) count as
 * having a path when any of their branches has it.
 */
export function valueTypesAt(type: EventType, path: string): ValueType[] | undefined {
  let current: JsonSchema[] = [schemaOf(type)];
  for (const key of path.split('.')) {
    current = current.flatMap((schema) => childrenOf(schema, key));
    if (current.length === 0) return undefined;
  }
  return [...new Set(current.flatMap(typesOf))];
}
