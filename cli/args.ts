/**
 * The command line, parsed against a table of commands: `<command> [positionals] [--flag value]
 * [--switch]`, with `--flag=value` accepted too, tokenized by `node:util` `parseArgs`. Pure: no I/O, errors are `UsageError`s naming
 * what was wrong and listing what is valid.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

/** A flag: a switch (`--dry-run`) or one taking a value (`--rate 20`). */
export interface FlagSpec {
  readonly kind: 'switch' | 'value';
  /** What the value is, for the usage text (`<id>`, `<ISO time>`). */
  readonly value?: string;
  readonly description: string;
}

/** A command: its flags, positional arguments and an example. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly positionals: readonly { readonly name: string; readonly description: string }[];
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly example: string;
}

/** A parsed command line. */
export interface ParsedCommand {
  readonly command: string;
  readonly positionals: readonly string[];
  /** Switches are `true`, flags with a value are the value; absent flags are absent. */
  readonly flags: Readonly<Record<string, string | true>>;
}

/** Flags every command takes: which stack to talk to. */
export const GlobalFlags: Readonly<Record<string, FlagSpec>> = {
  stack: {
    kind: 'value',
    value: '<file>',
    description: 'stack description (default .cometflow/local-stack.json, written by `npm start -- --serve`)',
  },
  outputs: {
    kind: 'value',
    value: '<file>',
    description:
      'outputs file of `cdk deploy --outputs-file`; endpoints and credentials from the SDK environment settings',
  },
  help: { kind: 'switch', description: "show this command's usage" },
};

const flagList = (flags: Readonly<Record<string, FlagSpec>>): string =>
  Object.keys(flags)
    .map((name) => `--${name}`)
    .join(', ');

/**
 * Parses `argv` (without `node` and the script) against `commands`.
 *
 * @example
 * parseCommandLine(['replay', '--correlation', 'cycle-20261122-061', '--dry-run'], Commands);
 * // { command: 'replay', positionals: [], flags: { correlation: 'cycle-20261122-061', 'dry-run': true } }
 */
export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): ParsedCommand {
  const names = commands.map((c) => c.name).join(', ');
  const [name, ...rest] = argv;
  if (name === undefined || name === '') throw new UsageError(`No command given; valid commands: ${names}`);
  const spec = commands.find((c) => c.name === name);
  if (spec === undefined) throw new UsageError(`Unknown command "${name}"; valid commands: ${names}`);
  const allowed = { ...spec.flags, ...GlobalFlags };
  // node:util parseArgs does the tokenizing (`--flag value`, `--flag=value`, `--` ending the
  // flags); strict mode is off so that each mistake gets our message, naming the valid flags.
  const { tokens } = parseArgs({
    args: rest as string[],
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: Object.fromEntries(
      Object.entries(allowed).map(([flag, f]) => [flag, { type: f.kind === 'switch' ? 'boolean' : 'string' } as const]),
    ),
  });
  const flags: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const flag = token.name;
    const flagSpec = allowed[flag];
    if (flagSpec === undefined)
      throw new UsageError(`Unknown flag --${flag} for ${spec.name}; valid flags: ${flagList(allowed)}`);
    if (flags[flag] !== undefined) throw new UsageError(`--${flag} is given twice; give it once`);
    if (flagSpec.kind === 'switch') {
      if (token.inlineValue === true) throw new UsageError(`--${flag} takes no value; got "${token.value ?? ''}"`);
      flags[flag] = true;
      continue;
    }
    // A separate value that looks like a flag is the next flag, not this one's value.
    const { value } = token;
    if (value === undefined || value === '' || (token.inlineValue !== true && value.startsWith('--'))) {
      throw new UsageError(`--${flag} needs a value: ${flagSpec.value ?? '<value>'}`);
    }
    flags[flag] = value;
  }
  if (flags.help === undefined && positionals.length > spec.positionals.length) {
    const expected = spec.positionals.length === 0 ? 'none' : spec.positionals.map((p) => `<${p.name}>`).join(' ');
    throw new UsageError(
      `Unexpected argument "${positionals[spec.positionals.length]}" for ${spec.name}; expected ${expected}`,
    );
  }
  return { command: spec.name, positionals, flags };
}

/** The usage of one command, or of all of them. */
export function usage(commands: readonly CommandSpec[], only?: string): string {
  const lines: string[] = [];
  const selected = only === undefined ? commands : commands.filter((c) => c.name === only);
  if (only === undefined) lines.push('usage: npm run cometflow -- <command> [flags]', '');
  for (const spec of selected) {
    const positionals = spec.positionals.map((p) => ` <${p.name}>`).join('');
    lines.push(`${spec.name}${positionals}: ${spec.summary}`);
    for (const p of spec.positionals) lines.push(`  <${p.name}>  ${p.description}`);
    for (const [flag, f] of Object.entries(spec.flags))
      lines.push(`  --${flag}${f.value === undefined ? '' : ` ${f.value}`}  ${f.description}`);
    lines.push(`  example: ${spec.example}`, '');
  }
  lines.push('every command:');
  for (const [flag, f] of Object.entries(GlobalFlags))
    lines.push(`  --${flag}${f.value === undefined ? '' : ` ${f.value}`}  ${f.description}`);
  return lines.join('\n');
}
