import { describe, expect, it } from 'vitest';
import { checkCondition, compileCondition, type Condition } from './conditions.ts';

/** An event-shaped object with the values the comparisons look at. */
const event = {
  type: 'cometflow.file.available',
  data: {
    file: { size: 2048, key: 'ecmwf/S1D11221200112218001' },
    attributes: { kind: 'forecast', chunk: 7, empty: null, flag: false },
  },
};

const holds = (condition: Condition, on: unknown = event): boolean => compileCondition(condition)(on);

describe('compileCondition', () => {
  it('compares with eq strictly, without type coercion', () => {
    // Prepare
    const equal: Condition = { path: 'data.attributes.chunk', op: 'eq', value: 7 };
    const coerced: Condition = { path: 'data.attributes.chunk', op: 'eq', value: '7' };

    // Act
    const results = [holds(equal), holds(coerced), holds({ path: 'data.attributes.flag', op: 'eq', value: false })];

    // Assess
    expect(results).toEqual([true, false, true]);
  });

  it('holds ne when the value differs or is absent', () => {
    // Prepare
    const cases: Condition[] = [
      { path: 'data.attributes.kind', op: 'ne', value: 'imager-chunk' },
      { path: 'data.attributes.kind', op: 'ne', value: 'forecast' },
      { path: 'data.attributes.nothing', op: 'ne', value: 'forecast' },
    ];

    // Act
    const results = cases.map((condition) => holds(condition));

    // Assess
    expect(results).toEqual([true, false, true]);
  });

  it('compares numbers with gt, gte, lt and lte at their bounds', () => {
    // Prepare
    const path = 'data.file.size';

    // Act
    const results = {
      gt: [holds({ path, op: 'gt', value: 2047 }), holds({ path, op: 'gt', value: 2048 })],
      gte: [holds({ path, op: 'gte', value: 2048 }), holds({ path, op: 'gte', value: 2049 })],
      lt: [holds({ path, op: 'lt', value: 2049 }), holds({ path, op: 'lt', value: 2048 })],
      lte: [holds({ path, op: 'lte', value: 2048 }), holds({ path, op: 'lte', value: 2047 })],
    };

    // Assess
    expect(results).toEqual({ gt: [true, false], gte: [true, false], lt: [true, false], lte: [true, false] });
  });

  it('never holds an ordering on a value that is not a number', () => {
    // Prepare
    const onString: Condition = { path: 'data.attributes.kind', op: 'gt', value: 0 };
    const onMissing: Condition = { path: 'data.nothing', op: 'lt', value: 10 };

    // Act
    const results = [holds(onString), holds(onMissing)];

    // Assess
    expect(results).toEqual([false, false]);
  });

  it('holds in when the value is one of the list', () => {
    // Prepare
    const listed: Condition = { path: 'data.attributes.kind', op: 'in', value: ['imager-chunk', 'forecast'] };
    const unlisted: Condition = { path: 'data.attributes.kind', op: 'in', value: ['imager-chunk', 'imager-trailer'] };

    // Act
    const results = [holds(listed), holds(unlisted)];

    // Assess
    expect(results).toEqual([true, false]);
  });

  it('holds exists for present values and not for absent or null ones', () => {
    // Prepare
    const cases: Condition[] = [
      { path: 'data.attributes.flag', op: 'exists' },
      { path: 'data.attributes.empty', op: 'exists' },
      { path: 'data.attributes.nothing', op: 'exists', value: true },
      { path: 'data.attributes.nothing', op: 'exists', value: false },
    ];

    // Act
    const results = cases.map((condition) => holds(condition));

    // Assess
    expect(results).toEqual([true, false, false, true]);
  });

  it('holds matches when the regular expression finds the string', () => {
    // Prepare
    const cases: Condition[] = [
      { path: 'data.file.key', op: 'matches', value: '^ecmwf/S1D' },
      { path: 'data.file.key', op: 'matches', value: '^eumetsat/' },
      { path: 'data.file.size', op: 'matches', value: '2048' },
    ];

    // Act
    const results = cases.map((condition) => holds(condition));

    // Assess
    expect(results).toEqual([true, false, false]);
  });

  it('combines conditions with all, any and not', () => {
    // Prepare
    const forecast: Condition = { path: 'data.attributes.kind', op: 'eq', value: 'forecast' };
    const large: Condition = { path: 'data.file.size', op: 'gt', value: 1_000_000 };

    // Act
    const results = {
      all: holds({ all: [forecast, large] }),
      allThree: holds({ all: [forecast, { not: large }, { path: 'type', op: 'exists' }] }),
      any: holds({ any: [large, forecast] }),
      anyNone: holds({ any: [large, { not: forecast }] }),
      not: holds({ not: large }),
    };

    // Assess
    expect(results).toEqual({ all: false, allThree: true, any: true, anyNone: false, not: true });
  });

  it('reads nothing through a scalar on the way', () => {
    // Prepare
    const condition: Condition = { path: 'data.file.size.bits', op: 'exists' };

    // Act
    const result = holds(condition);

    // Assess
    expect(result).toBe(false);
  });
});

describe('checkCondition', () => {
  it('accepts a valid nested condition', () => {
    // Prepare
    const condition = {
      all: [{ path: 'data.x', op: 'in', value: [1, 'a', null] }, { not: { path: 'type', op: 'exists' } }],
    };

    // Act
    const problems = checkCondition(condition);

    // Assess
    expect(problems).toEqual([]);
  });

  it('locates each problem inside the condition', () => {
    // Prepare
    const condition = {
      any: [
        { path: 'data.x', op: 'greater', value: 1 },
        { path: 'data..x', op: 'eq', value: 1 },
        { path: 'data.x', op: 'matches', value: '(' },
        { path: 'data.x', op: 'gt', value: '1' },
        { path: 'data.x', op: 'in', value: [] },
        { all: [] },
        { path: 'data.x', op: 'eq', value: { a: 1 }, extra: true },
        { when: 1 },
      ],
    };

    // Act
    const problems = checkCondition(condition).map((problem) => `${problem.at.join('/')}: ${problem.message}`);

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/^any\/0\/op: unknown operator "greater"; expected one of eq, ne/),
      expect.stringMatching(/^any\/1\/path: path "data..x" is not a dot path/),
      expect.stringMatching(/^any\/2\/value: bad regular expression "\("/),
      'any/3/value: gt compares with a number; got "1"',
      expect.stringMatching(/^any\/4\/value: in expects a non-empty list/),
      'any/5/all: all expects a non-empty list of conditions; got []',
      'any/6: a comparison has path, op and value only; found extra',
      'any/6/value: eq compares with a string, number, boolean or null; got {"a":1}',
      'any/7: a condition has all, any, not, or path/op/value; found when',
    ]);
  });
});
