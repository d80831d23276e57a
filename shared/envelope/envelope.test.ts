import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataSchemaOf, EventTypes, type CometEvent, type EventData } from '#events/registry.ts';
import { parseFciName } from '../conventions/mtg-fci.ts';
import { InvalidInputError } from '../errors.ts';
import { unwrap, wrap } from './envelope.ts';

const FCI_NAME =
  'W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+FCI-1C-RRAD-FDHSI-FD--CHK-BODY---NC4E_C_EUMT_20261122101509_IDPFI_OPE_20261122101007_20261122101017_N_JLS_C_0061_0001.nc';

/** Data of a `file.available` for one FCI chunk. */
const fileAvailableData = (
  overrides: Partial<EventData<typeof EventTypes.fileAvailable>> = {},
): EventData<typeof EventTypes.fileAvailable> => ({
  file: {
    bucket: 'cometflow-inbox',
    key: `eumetsat/${FCI_NAME}`,
    size: 1024,
    etag: '34d363a1abad5cbad226d6a3358ba49d',
  },
  provider: 'eumetsat',
  name: FCI_NAME,
  attributes: parseFciName(FCI_NAME),
  ...overrides,
});

/** A valid `file.available` event. */
const fileAvailableEvent = (): CometEvent<typeof EventTypes.fileAvailable> =>
  wrap({
    type: EventTypes.fileAvailable,
    source: 'cometflow/intake',
    data: fileAvailableData(),
    id: 'event-1',
    correlationId: 'cycle-20261122-061',
    time: new Date('2026-11-22T10:15:10Z'),
    subject: `eumetsat/${FCI_NAME}`,
  });

/** Runs `act` and returns the InvalidInputError it throws, failing the test on anything else. */
const invalidInputOf = (act: () => unknown): InvalidInputError => {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, but nothing was thrown');
};

describe('wrap', () => {
  it('fills the CloudEvents envelope around the data', () => {
    // Prepare
    const data = fileAvailableData();

    // Act
    const event = wrap({
      type: EventTypes.fileAvailable,
      source: 'cometflow/intake',
      data,
      id: 'event-1',
      correlationId: 'cycle-20261122-061',
      time: new Date('2026-11-22T10:15:10Z'),
      subject: 'eumetsat/x',
    });

    // Assess
    expect(event).toEqual({
      specversion: '1.0',
      id: 'event-1',
      source: 'cometflow/intake',
      type: EventTypes.fileAvailable,
      time: '2026-11-22T10:15:10.000Z',
      subject: 'eumetsat/x',
      dataschema: dataSchemaOf(EventTypes.fileAvailable),
      datacontenttype: 'application/json',
      correlationid: 'cycle-20261122-061',
      causationid: 'event-1',
      data,
    });
  });

  it('generates a fresh id and the current time when none are given, and leaves out an absent subject', () => {
    // Act
    const first = wrap({ type: EventTypes.fileAvailable, source: 's', data: fileAvailableData(), correlationId: 'c' });
    const second = wrap({ type: EventTypes.fileAvailable, source: 's', data: fileAvailableData(), correlationId: 'c' });

    // Assess
    expect(first.id).not.toBe(second.id);
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(Date.parse(first.time) - Date.now())).toBeLessThan(60_000);
    expect(first).not.toHaveProperty('subject');
  });

  it('keeps the correlation of the cause and uses its id as causationid', () => {
    // Prepare
    const cause = fileAvailableEvent();

    // Act
    const command = wrap({
      type: EventTypes.ingestRequested,
      source: 'cometflow/scheduler',
      data: cause.data,
      cause,
      correlationId: 'ignored',
      id: 'command-1',
    });

    // Assess
    expect(command.correlationid).toBe(cause.correlationid);
    expect(command.causationid).toBe(cause.id);
    expect(command.id).toBe('command-1');
  });

  it('rejects an event with neither cause nor correlation id', () => {
    // Act
    const error = invalidInputOf(() =>
      wrap({ type: EventTypes.fileAvailable, source: 's', data: fileAvailableData() }),
    );

    // Assess
    expect(error.message).toBe(`Event ${EventTypes.fileAvailable} needs a cause or a correlationId; got neither`);
  });

  it('rejects data that does not match the schema and names the field', () => {
    // Prepare
    const data = fileAvailableData({ file: { bucket: 'cometflow-inbox', key: 'k', size: -1, etag: 'e' } });

    // Act
    const error = invalidInputOf(() => wrap({ type: EventTypes.fileAvailable, source: 's', data, correlationId: 'c' }));

    // Assess
    expect(error.message).toContain(`Data of ${EventTypes.fileAvailable} does not match its schema`);
    expect(error.message).toContain('file.size');
  });

  it('fills in schema defaults of the data', () => {
    // Prepare
    const data = {
      algorithm: 'byte-statistics',
      productType: 'p',
      inputs: [{ bucket: 'cometflow-archive', key: 'k', name: 'n', size: 1, sha256: 'a'.repeat(64) }],
    } as unknown as EventData<typeof EventTypes.processingRequested>;

    // Act
    const event = wrap({ type: EventTypes.processingRequested, source: 's', data, correlationId: 'c' });

    // Assess
    expect(event.data.degraded).toBe(false);
    expect(event.data.missing).toEqual([]);
  });
});

describe('unwrap', () => {
  it('returns the event that was wrapped', () => {
    // Prepare
    const event = fileAvailableEvent();

    // Act
    const unwrapped = unwrap(JSON.stringify(event), [EventTypes.fileAvailable]);

    // Assess
    expect(unwrapped).toEqual(event);
  });

  it('rejects a body that is not JSON and quotes its beginning', () => {
    // Act
    const error = invalidInputOf(() => unwrap('not json at all', [EventTypes.fileAvailable]));

    // Assess
    expect(error.message).toContain('Message body is not JSON');
    expect(error.message).toContain('"not json at all"');
    expect(error.message).toContain('expected a CloudEvents 1.0 JSON event');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('quotes at most 80 characters of a long body', () => {
    // Act
    const error = invalidInputOf(() => unwrap(`x${'y'.repeat(200)}`, [EventTypes.fileAvailable]));

    // Assess
    expect(error.message).toContain(`"x${'y'.repeat(79)}"`);
    expect(error.message).not.toContain('y'.repeat(80));
  });

  it('rejects JSON that is not a CloudEvent and names the missing field', () => {
    // Prepare
    const { specversion: _, ...withoutVersion } = fileAvailableEvent();

    // Act
    const error = invalidInputOf(() => unwrap(JSON.stringify(withoutVersion), [EventTypes.fileAvailable]));

    // Assess
    expect(error.message).toContain('Message is not a CloudEvents 1.0 event of this catalog');
    expect(error.message).toContain('specversion');
  });

  it('rejects an event of a type outside the catalog', () => {
    // Prepare
    const body = JSON.stringify({ ...fileAvailableEvent(), type: 'com.example.other' });

    // Act
    const error = invalidInputOf(() => unwrap(body, [EventTypes.fileAvailable]));

    // Assess
    expect(error.message).toContain('Message is not a CloudEvents 1.0 event of this catalog');
    expect(error.message).toContain('type');
  });

  it('rejects an event of a type this consumer does not handle and lists the expected ones', () => {
    // Prepare
    const body = JSON.stringify(fileAvailableEvent());

    // Act
    const error = invalidInputOf(() => unwrap(body, [EventTypes.ingestRequested, EventTypes.fileIngested]));

    // Assess
    expect(error.message).toBe(
      `Event type ${EventTypes.fileAvailable} is not handled here; expected one of ${EventTypes.ingestRequested}, ${EventTypes.fileIngested}`,
    );
  });

  it('rejects data that does not match its type and names the event and the field', () => {
    // Prepare
    const event = fileAvailableEvent();
    const body = JSON.stringify({ ...event, data: { ...event.data, provider: 'NOAA' } });

    // Act
    const error = invalidInputOf(() => unwrap(body, [EventTypes.fileAvailable]));

    // Assess
    expect(error.message).toContain(`Data of ${EventTypes.fileAvailable} event event-1 does not match its schema`);
    expect(error.message).toContain('provider');
  });
});

describe('unwrap under fuzzing', () => {
  const text = fc.string({
    unit: fc.integer({ min: 0, max: 0x2fe }).map((c) => String.fromCharCode(c)),
    maxLength: 60,
  });
  /** Any JSON, plus values near the envelope's own (its version, a type, a time, a content type). */
  const json = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(
      0,
      -1,
      1.5,
      1e308,
      '1.0',
      '',
      'cometflow.file.available',
      '2026-11-22T10:15:10Z',
      'application/json',
    ),
    fc.dictionary(fc.oneof(fc.constantFrom('id', 'type', 'data', 'file'), text), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 3,
    }),
  );
  /** Replaces, deletes or adds one value somewhere inside the event: `path` picks keys by index, `depth` how deep. */
  const edit = fc.record({
    path: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
    op: fc.constantFrom('replace', 'delete', 'add'),
    key: text,
    value: json,
  });
  type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;
  const applyEdit = (event: Record<string, unknown>, { path, op, key, value }: Edit): void => {
    let node = event;
    for (const [depth, index] of path.entries()) {
      const keys = Object.keys(node);
      if (op === 'add' || keys.length === 0) {
        node[key] = value;
        return;
      }
      const chosen = keys[index % keys.length]!;
      const inner = node[chosen];
      const last = depth === path.length - 1;
      if (!last && inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
        node = inner as Record<string, unknown>;
        continue;
      }
      if (op === 'delete') delete node[chosen];
      else node[chosen] = value;
      return;
    }
  };
  const valid = JSON.stringify(fileAvailableEvent());
  const bodies = fc.oneof(
    text,
    json.map((value) => JSON.stringify(value)),
    fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
      const event = JSON.parse(valid) as Record<string, unknown>;
      for (const e of edits) applyEdit(event, e);
      return JSON.stringify(event);
    }),
    fc
      .tuple(fc.nat({ max: valid.length - 1 }), fc.string({ maxLength: 2 }), fc.nat({ max: 2 }))
      .map(([at, inserted, removed]) => `${valid.slice(0, at)}${inserted}${valid.slice(at + removed)}`),
  );

  it('throws nothing but InvalidInputError for random and mutated bodies', () => {
    // Prepare
    const counts = { accepted: 0, rejected: 0 };

    // Act: a fixed seed, so that a run can be replayed; a failure prints the shrunk body.
    fc.assert(
      fc.property(bodies, (body) => {
        try {
          unwrap(body, [EventTypes.fileAvailable]);
          counts.accepted += 1;
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
          counts.rejected += 1;
        }
      }),
      { numRuns: 3000, seed: 20261122 },
    );

    // Assess
    expect(counts.accepted + counts.rejected).toBe(3000);
    expect(counts.rejected).toBeGreaterThan(2000);
  });
});
