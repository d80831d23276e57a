import { describe, expect, it } from 'vitest';
import { parseCommandLine, usage, type CommandSpec } from './args.ts';
import { UsageError } from './errors.ts';

const commands: CommandSpec[] = [
  {
    name: 'replay',
    summary: 'replay events',
    positionals: [],
    example: 'replay --correlation c',
    flags: {
      correlation: { kind: 'value', value: '<id>', description: 'a correlation' },
      'dry-run': { kind: 'switch', description: 'send nothing' },
    },
  },
  {
    name: 'cycle',
    summary: 'a cycle',
    positionals: [{ name: 'cycleId', description: 'the id' }],
    flags: { json: { kind: 'switch', description: 'JSON' } },
    example: 'cycle 20261122-061',
  },
];

const usageErrorOf = (argv: string[]): UsageError => {
  try {
    parseCommandLine(argv, commands);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
};

describe('parseCommandLine', () => {
  it('reads flags with a value, switches and positionals', () => {
    expect(parseCommandLine(['replay', '--correlation', 'cycle-1', '--dry-run'], commands)).toEqual({
      command: 'replay',
      positionals: [],
      flags: { correlation: 'cycle-1', 'dry-run': true },
    });
    expect(parseCommandLine(['cycle', '20261122-061', '--json', '--stack=/tmp/s.json'], commands)).toEqual({
      command: 'cycle',
      positionals: ['20261122-061'],
      flags: { json: true, stack: '/tmp/s.json' },
    });
  });

  it('names an unknown command and lists the valid ones, with exit code 2', () => {
    const error = usageErrorOf(['replya']);
    expect(error.message).toBe('Unknown command "replya"; valid commands: replay, cycle');
    expect(error.exitCode).toBe(2);
  });

  it('names an unknown flag and lists the valid ones of the command', () => {
    expect(usageErrorOf(['replay', '--dryrun']).message).toBe(
      'Unknown flag --dryrun for replay; valid flags: --correlation, --dry-run, --stack, --outputs, --help',
    );
  });

  it('refuses a flag without its value, a switch with one, a flag given twice and a stray argument', () => {
    expect(usageErrorOf(['replay', '--correlation']).message).toBe('--correlation needs a value: <id>');
    expect(usageErrorOf(['replay', '--correlation', '--dry-run']).message).toBe('--correlation needs a value: <id>');
    expect(usageErrorOf(['replay', '--dry-run=yes']).message).toBe('--dry-run takes no value; got "yes"');
    expect(usageErrorOf(['replay', '--dry-run', '--dry-run']).message).toBe('--dry-run is given twice; give it once');
    expect(usageErrorOf(['cycle', 'a', 'b']).message).toBe('Unexpected argument "b" for cycle; expected <cycleId>');
    expect(usageErrorOf([]).message).toBe('No command given; valid commands: replay, cycle');
  });
});

describe('usage', () => {
  it('lists every command with its flags and example, then the global flags', () => {
    const text = usage(commands);
    expect(text).toContain('replay: replay events');
    expect(text).toContain('  --correlation <id>  a correlation');
    expect(text).toContain('  example: cycle 20261122-061');
    expect(text).toContain('  --stack <file>');
  });
});
