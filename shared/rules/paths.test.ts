import { describe, expect, it } from 'vitest';
import { EventTypes } from '#events/registry.ts';
import { compilePath, pathSyntaxProblem, valueTypesAt } from './paths.ts';

describe('compilePath', () => {
  it('reads values at every depth, array items included', () => {
    // Prepare
    const event = { type: 't', data: { a: { b: { c: { d: 4 } } }, list: [{ key: 'first' }] } };

    // Act
    const values = [
      'type',
      'data.a',
      'data.a.b',
      'data.a.b.c.d',
      'data.list.0.key',
      'data.a.x.y.z',
      'data.list.1.key',
    ].map((path) => compilePath(path)(event));

    // Assess
    expect(values).toEqual(['t', { b: { c: { d: 4 } } }, { c: { d: 4 } }, 4, 'first', undefined, undefined]);
  });

  it('reads nothing from null or a scalar', () => {
    // Prepare
    const getters = [compilePath('data.a'), compilePath('data.a.b.c.d')];

    // Act
    const values = [getters[0]!(null), getters[0]!({ data: 3 }), getters[1]!({ data: { a: null } })];

    // Assess
    expect(values).toEqual([undefined, undefined, undefined]);
  });
});

describe('pathSyntaxProblem', () => {
  it('accepts dot paths from an envelope attribute', () => {
    // Prepare
    const paths = ['type', 'data.file.size', 'data.inputs.0.key', 'correlationid'];

    // Act
    const problems = paths.map(pathSyntaxProblem);

    // Assess
    expect(problems).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('names what is wrong with a path', () => {
    // Prepare
    const paths = ['data..size', 'data.file[0]', '', 'event.data', 'data.01'];

    // Act
    const problems = paths.map(pathSyntaxProblem);

    // Assess
    expect(problems[0]).toMatch(/path "data..size" is not a dot path/);
    expect(problems[1]).toMatch(/path "data.file\[0\]" is not a dot path/);
    expect(problems[2]).toMatch(/path "" is not a dot path/);
    expect(problems[3]).toMatch(
      /starts with "event", which is not an attribute of the event; expected one of specversion/,
    );
    expect(problems[4]).toMatch(/is not a dot path/);
  });
});

describe('valueTypesAt', () => {
  it('finds paths in any branch of a union and says what they hold', () => {
    // Prepare
    const type = EventTypes.fileIngested;

    // Act
    const types = {
      chunk: valueTypesAt(type, 'data.attributes.chunk'),
      validTime: valueTypesAt(type, 'data.attributes.validTime'),
      size: valueTypesAt(type, 'data.ingested.size'),
      envelope: valueTypesAt(type, 'correlationid'),
      missing: valueTypesAt(type, 'data.attributes.nothing'),
      tooDeep: valueTypesAt(type, 'data.name.length'),
    };

    // Assess
    expect(types).toEqual({
      chunk: ['integer'],
      validTime: ['string'],
      size: ['integer'],
      envelope: ['string'],
      missing: undefined,
      tooDeep: undefined,
    });
  });

  it('finds array items by index', () => {
    // Prepare
    const type = EventTypes.processingRequested;

    // Act
    const types = [valueTypesAt(type, 'data.inputs.0.sha256'), valueTypesAt(type, 'data.inputs.x')];

    // Assess
    expect(types).toEqual([['string'], undefined]);
  });
});
