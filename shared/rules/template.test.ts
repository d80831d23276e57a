import { describe, expect, it } from 'vitest';
import { checkTemplate, compileTemplate } from './template.ts';

const fail = (path: string): never => {
  throw new Error(`missing ${path}`);
};

describe('compileTemplate', () => {
  it('replaces every $path by the value of the event, at any depth', () => {
    // Prepare
    const template = { id: { $path: 'data.id' }, fixed: 'x', nested: { list: [{ $path: 'data.file' }, 3, null] } };
    const event = { data: { id: 'p-1', file: { key: 'a/b', size: 3 } } };

    // Act
    const built = compileTemplate(template, fail)(event);

    // Assess
    expect(built).toEqual({ id: 'p-1', fixed: 'x', nested: { list: [{ key: 'a/b', size: 3 }, 3, null] } });
  });

  it('returns a template without placeholders as it is', () => {
    // Prepare
    const template = { algorithm: 'byte-statistics', list: [1, 2] };

    // Act
    const built = compileTemplate(template, fail)({});

    // Assess
    expect(built).toBe(template);
  });

  it('replaces a whole-template $path by the value', () => {
    // Prepare
    const template = { $path: 'data' };

    // Act
    const built = compileTemplate(template, fail)({ data: { a: 1 } });

    // Assess
    expect(built).toEqual({ a: 1 });
  });

  it('calls missing with the path that has no value', () => {
    // Prepare
    const build = compileTemplate({ a: { $path: 'data.nothing' } }, fail);

    // Act
    const act = () => build({ data: {} });

    // Assess
    expect(act).toThrow('missing data.nothing');
  });
});

describe('checkTemplate', () => {
  it('lists the placeholders and where they are', () => {
    // Prepare
    const template = { a: { $path: 'data.a' }, b: [{ $path: 'data.b' }] };

    // Act
    const { placeholders, problems } = checkTemplate(template);

    // Assess
    expect(problems).toEqual([]);
    expect(placeholders).toEqual([
      { path: 'data.a', at: ['a'] },
      { path: 'data.b', at: ['b', 0] },
    ]);
  });

  it('reports placeholders with other keys, bad paths and unknown $ keys', () => {
    // Prepare
    const template = {
      a: { $path: 'data.a', default: 1 },
      b: { $path: 'data..b' },
      c: { $pth: 'data.c' },
      d: { $path: 3 },
    };

    // Act
    const { problems } = checkTemplate(template);

    // Assess
    expect(problems.map((problem) => `${problem.at.join('/')}: ${problem.message}`)).toEqual([
      'a: a { "$path" } placeholder has no other key; found $path, default',
      expect.stringMatching(/^b\/\$path: path "data..b" is not a dot path/),
      'c/$pth: keys starting with $ are reserved for { "$path": ... } placeholders; found "$pth"',
      'd/$path: expected a dot path such as data.file, got 3',
    ]);
  });
});
