import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSchemaOf, schemaFileOf } from './generate.ts';
import { createAjv, describeErrors, readSchema, samplesOf, validateAgainstCatalog } from './catalog.ts';
import { EventTypes, eventSchemaOf, folderOf, type EventType } from './registry.ts';

const types = Object.values(EventTypes);
const catalogPath = (path: string): URL => new URL(path, import.meta.url);
const readJson = (path: string): unknown => JSON.parse(readFileSync(catalogPath(path), 'utf8'));

/** The S3 notification has a folder of its own but no registry type: AWS defines it. */
const notificationFolder = 's3-notification';

type Json = Record<string, unknown>;
const asyncApi = readJson('./asyncapi.json') as Json;

/** Resolves a `$ref` of asyncapi.json: a JSON pointer into it, or a file relative to it. */
function resolveRef(ref: string): unknown {
  if (!ref.startsWith('#/')) return existsSync(catalogPath(ref)) ? readJson(ref) : undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>(
      (node, key) => (node !== null && typeof node === 'object' ? (node as Json)[key] : undefined),
      asyncApi,
    );
}

const refOf = (value: unknown): string => (value as { $ref: string }).$ref;
const entriesOf = (value: unknown): [string, Json][] => Object.entries(value as Record<string, Json>);

const sampleCases = types.flatMap((type) => samplesOf(type).map(({ file, event }) => ({ type, file, event })));

/** The first sample of a type, deep-copied so a test may mutate it. */
const firstSampleOf = (type: EventType): Json => structuredClone(samplesOf(type)[0]?.event) as Json;

const rejectsEverywhere = (type: EventType, event: unknown): void => {
  expect(validateAgainstCatalog(event).ok, 'schema.json accepted it').toBe(false);
  expect(eventSchemaOf(type).safeParse(event).success, 'eventSchemaOf accepted it').toBe(false);
};

describe('generated schemas', () => {
  it.each(types)('keeps the schema.json of %s equal to what events:generate produces now', (type) => {
    // Prepare
    const expected = renderSchemaOf(type);

    // Act
    const onDisk = existsSync(schemaFileOf(type)) ? readFileSync(schemaFileOf(type), 'utf8') : '(missing)';

    // Assess
    expect(
      onDisk,
      `events/${folderOf(type)}/schema.json is not what registry.ts generates: run \`npm run events:generate\` and commit the result`,
    ).toBe(expected);
  });

  it('has a schema folder only for the types of the registry', () => {
    // Prepare
    const expected = [...types.map(folderOf), notificationFolder].sort();

    // Act
    const folders = readdirSync(catalogPath('./'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(catalogPath(`./${entry.name}/schema.json`)))
      .map((entry) => entry.name)
      .sort();

    // Assess
    expect(folders, 'a folder with a schema.json whose type left registry.ts: delete the folder').toEqual(expected);
  });
});

describe('samples', () => {
  it.each(sampleCases)('validates $type sample $file against schema.json and eventSchemaOf', ({ type, event }) => {
    // Act
    const verdict = validateAgainstCatalog(event);
    const parsed = eventSchemaOf(type).safeParse(event);

    // Assess
    expect(verdict).toEqual({ ok: true });
    expect(parsed.success).toBe(true);
    // A sample is an event as `wrap` emits it: nothing for zod to fill in or strip.
    expect(parsed.data).toEqual(event);
  });

  it.each(readdirSync(catalogPath(`./${notificationFolder}/samples/`)))(
    'validates S3 notification sample %s against its schema',
    (file) => {
      // Prepare
      const validate = createAjv().compile(readJson(`./${notificationFolder}/schema.json`) as Json);

      // Act
      const valid = validate(readJson(`./${notificationFolder}/samples/${file}`));

      // Assess
      expect(valid, describeErrors(validate.errors ?? [])).toBe(true);
    },
  );

  it.each(types)('rejects a %s sample without its correlationid', (type) => {
    // Prepare
    const event = firstSampleOf(type);

    // Act
    delete event.correlationid;

    // Assess
    rejectsEverywhere(type, event);
  });

  it.each(types)('rejects a %s sample without the first required field of its data', (type) => {
    // Prepare
    const event = firstSampleOf(type);
    const dataSchema = (readSchema(type).properties as Record<string, Json>).data as { required: string[] };
    const field = dataSchema.required[0] ?? '';

    // Act
    delete (event.data as Json)[field];

    // Assess
    expect(field).not.toBe('');
    rejectsEverywhere(type, event);
  });

  it.each(types)('rejects a %s sample whose first data field has the wrong type', (type) => {
    // Prepare
    const event = firstSampleOf(type);
    const data = event.data as Json;
    const [field, value] = Object.entries(data)[0] ?? ['', undefined];

    // Act
    data[field] = typeof value === 'string' ? 42 : 'not-the-expected-type';

    // Assess
    rejectsEverywhere(type, event);
  });

  it.each(types)('rejects a %s sample whose time is not a UTC date-time', (type) => {
    // Prepare
    const event = firstSampleOf(type);

    // Act
    event.time = '22/11/2026 10:05';

    // Assess
    rejectsEverywhere(type, event);
  });
});

describe('catalog coverage', () => {
  it.each(types)('has at least one sample of %s', (type) => {
    // Act
    const samples = samplesOf(type);

    // Assess
    expect(samples.length).toBeGreaterThan(0);
  });

  it.each(types)('has a README for %s that names the type', (type) => {
    // Prepare
    const path = catalogPath(`./${folderOf(type)}/README.md`);

    // Act
    const readme = existsSync(path) ? readFileSync(path, 'utf8') : '';

    // Assess
    expect(readme).toContain(type);
  });

  it.each(types)('keeps the JSON examples of the %s README valid events of that type', (type) => {
    // Prepare
    const readme = readFileSync(catalogPath(`./${folderOf(type)}/README.md`), 'utf8');

    // Act
    const examples = [...readme.matchAll(/```json\n([\s\S]*?)\n```/g)].map(
      ([, json]) => JSON.parse(json ?? '') as Json,
    );

    // Assess
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      expect(example.type).toBe(type);
      expect(validateAgainstCatalog(example)).toEqual({ ok: true });
    }
  });

  it.each(types)('lists %s in the catalog index with a link to its schema', (type) => {
    // Act
    const index = readFileSync(catalogPath('./README.md'), 'utf8');

    // Assess
    expect(index).toContain(type);
    expect(index).toContain(`(${folderOf(type)}/schema.json)`);
  });

  it.each(types)('describes %s in asyncapi.json, sent by one operation and received by another', (type) => {
    // Prepare
    const messages = entriesOf((asyncApi.components as Json).messages);
    const operations = entriesOf(asyncApi.operations);

    // Act
    const [key, message] = messages.find(([, candidate]) => candidate.name === type) ?? ['', { payload: {} }];
    const carrying = operations.filter(([, operation]) =>
      (operation.messages as unknown[]).some((ref) => refOf(ref).endsWith(`/messages/${key}`)),
    );

    // Assess
    expect(key, `no message named ${type} in components.messages`).not.toBe('');
    expect(refOf(message.payload)).toBe(`./${folderOf(type)}/schema.json`);
    expect(carrying.map(([, operation]) => operation.action)).toEqual(expect.arrayContaining(['send', 'receive']));
  });
});

describe('asyncapi.json', () => {
  it('is an AsyncAPI 3.0.0 document', () => {
    // Assess
    expect(asyncApi.asyncapi).toBe('3.0.0');
  });

  it.each(entriesOf(asyncApi.channels))('references only existing messages and schemas in channel %s', (_, channel) => {
    // Act
    const messages = entriesOf(channel.messages).map(([, ref]) => resolveRef(refOf(ref)) as Json | undefined);
    const payloads = messages.map((message) =>
      message === undefined ? undefined : resolveRef(refOf(message.payload)),
    );

    // Assess
    expect(messages.length).toBeGreaterThan(0);
    expect(messages).not.toContain(undefined);
    expect(payloads).not.toContain(undefined);
  });

  it.each(entriesOf(asyncApi.operations))(
    'binds operation %s to its channel and messages of that channel',
    (_, operation) => {
      // Prepare
      const channelRef = refOf(operation.channel);

      // Act
      const channel = resolveRef(channelRef);
      const messageRefs = (operation.messages as unknown[]).map(refOf);

      // Assess
      expect(channel, `${channelRef} does not exist`).toBeDefined();
      expect(['send', 'receive']).toContain(operation.action);
      for (const ref of messageRefs) {
        expect(ref.startsWith(`${channelRef}/messages/`), `${ref} is not a message of ${channelRef}`).toBe(true);
        expect(resolveRef(ref), `${ref} does not exist`).toBeDefined();
      }
    },
  );

  it.each(entriesOf(asyncApi.channels))('names only declared servers for channel %s', (_, channel) => {
    // Act
    const servers = ((channel.servers ?? []) as unknown[]).map((ref) => resolveRef(refOf(ref)));

    // Assess
    expect(servers).not.toContain(undefined);
  });

  it('gives every queue a dead-letter queue carrying the same messages', () => {
    // Prepare: a queue is a channel on an SQS server (every server when it names none); the
    // event store, a table on its own server, has no dead-letter queue.
    const channels = asyncApi.channels as Record<string, { messages: Json; servers?: unknown[] }>;
    const onSqs = (id: string): boolean => {
      const servers = channels[id]?.servers;
      return (
        servers === undefined || servers.some((ref) => (resolveRef(refOf(ref)) as Json | undefined)?.protocol === 'sqs')
      );
    };
    const queues = Object.keys(channels).filter((id) => !id.endsWith('DeadLetterQueue') && onSqs(id));

    // Act
    const mismatched = queues.filter((id) => {
      const dlq = channels[`${id.replace(/Queue$/, '')}DeadLetterQueue`];
      return (
        dlq === undefined ||
        JSON.stringify(Object.keys(dlq.messages)) !== JSON.stringify(Object.keys(channels[id]?.messages ?? {}))
      );
    });

    // Assess
    expect(mismatched).toEqual([]);
  });
});

describe('validateAgainstCatalog', () => {
  it('accepts an event as its producer emits it', () => {
    // Prepare
    const event = firstSampleOf(EventTypes.fileIngested);

    // Act
    const verdict = validateAgainstCatalog(event);

    // Assess
    expect(verdict).toEqual({ ok: true });
  });

  it('names the path and the problem of each violation', () => {
    // Prepare
    const event = firstSampleOf(EventTypes.fileAvailable);
    const data = event.data as { file: Json };
    data.file.size = -1;
    data.file.etag = 7;

    // Act
    const verdict = validateAgainstCatalog(event);

    // Assess
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.errors).toMatch(/\/data\/file\/size must be >= 0/);
    expect(verdict.ok ? '' : verdict.errors).toMatch(/\/data\/file\/etag must be string/);
  });

  it('rejects a key the catalog does not document, which unwrap would silently strip', () => {
    // Prepare
    const event = firstSampleOf(EventTypes.productGenerated);
    (event.data as Json).productID = 'typo';

    // Act
    const verdict = validateAgainstCatalog(event);

    // Assess
    expect(verdict).toEqual({ ok: false, errors: '/data must NOT have additional properties (productID)' });
    expect(eventSchemaOf(EventTypes.productGenerated).safeParse(event).success).toBe(true);
  });

  it('rejects an event whose type is not in the catalog, listing the known types', () => {
    // Prepare
    const event = { ...firstSampleOf(EventTypes.fileAvailable), type: 'cometflow.file.arrived' };

    // Act
    const verdict = validateAgainstCatalog(event);

    // Assess
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.errors).toContain('"cometflow.file.arrived" is not a type of the catalog');
    expect(verdict.ok ? '' : verdict.errors).toContain(EventTypes.productDelivered);
  });

  it.each([null, 'a string', 42, []])('rejects %j, which is not an event object', (value) => {
    // Act
    const verdict = validateAgainstCatalog(value);

    // Assess
    expect(verdict.ok).toBe(false);
  });

  it('checks an event against the schema of its own type, not of another', () => {
    // Prepare: a file.available event relabelled as ingest.requested keeps its old dataschema.
    const event = { ...firstSampleOf(EventTypes.fileAvailable), type: EventTypes.ingestRequested };

    // Act
    const verdict = validateAgainstCatalog(event);

    // Assess
    expect(verdict).toEqual({
      ok: false,
      errors: '/dataschema must be equal to constant ("urn:cometflow:schema:cometflow.ingest.requested:1")',
    });
  });
});
