/**
 * `npm run cometflow -- <command>`: the operator's CLI over a running stack (event store, replay,
 * cycle read model, dead-letter queues). See `cli/README.md`.
 *
 * Exit codes: 0 done; 1 failed while running (an AWS error, nothing known by that name); 2 the
 * command cannot run as given (unknown command or flag, a bad value, no running stack, a wrong
 * outputs file, missing credentials), with how to fix it.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine, usage } from './args.ts';
import { Commands } from './commands.ts';
import { CliError, stackProblemOf, UsageError } from './errors.ts';
import type { CliContext } from './replay.ts';
import { clientsFor, destroyClients, selectStack, type SdkEnvironment } from './stack.ts';

/** Where the CLI writes. */
export interface Output {
  readonly print: (line: string) => void;
  readonly error: (line: string) => void;
}

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Runs one command line and resolves to the exit code.
 *
 * @example
 * process.exitCode = await main(['cycle', '20261122-061'], { print: console.log, error: console.error });
 */
export async function main(
  argv: readonly string[],
  output: Output,
  env: SdkEnvironment = process.env,
  root = projectRoot,
): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    (argv.length === 0 ? output.error : output.print)(usage(Commands));
    return argv.length === 0 ? 2 : 0;
  }
  let run: (context: CliContext) => Promise<void>;
  let flags: Readonly<Record<string, string | true>>;
  try {
    const parsed = parseCommandLine(argv, Commands);
    flags = parsed.flags;
    if (flags.help === true) {
      output.print(usage(Commands, parsed.command));
      return 0;
    }
    if (flags.stack !== undefined && flags.outputs !== undefined)
      throw new UsageError('Give either --stack or --outputs, not both');
    const command = Commands.find((c) => c.name === parsed.command)!;
    if (command.serve !== undefined) {
      const serve = command.serve(parsed);
      await serve({ root, env, print: output.print });
      return 0;
    }
    run = command.prepare(parsed);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    output.error(`error: ${error.message}`);
    output.error('run `npm run cometflow -- help` for every command and flag');
    return error.exitCode;
  }
  let from = 'the stack description';
  try {
    const stack = selectStack(
      {
        ...(typeof flags.stack === 'string' ? { stack: flags.stack } : {}),
        ...(typeof flags.outputs === 'string' ? { outputs: flags.outputs } : {}),
      },
      root,
      env,
    );
    from = stack.from;
    const clients = clientsFor(stack);
    try {
      await run({ description: stack.description, clients, print: output.print });
    } finally {
      destroyClients(clients);
    }
    return 0;
  } catch (error) {
    const known = error instanceof CliError ? error : stackProblemOf(error, from);
    if (known !== undefined) {
      output.error(`error: ${known.message}`);
      return known.exitCode;
    }
    const name = error instanceof Error ? error.name : 'Error';
    output.error(`error: ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Output piped into `head` and closed early: stop quietly, as other command-line tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2), {
    print: (line) => {
      process.stdout.write(`${line}\n`);
    },
    error: (line) => {
      process.stderr.write(`${line}\n`);
    },
  });
}
