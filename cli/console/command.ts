/**
 * `npm run cometflow -- console [--port N]`: the operator console in the browser, over the stack
 * the CLI would select (`--stack`, `--outputs`, or the local stack). Unlike the other commands it
 * starts without a running stack: the page and the terminal say there is none, and the console
 * reads the stack as soon as one is described. It runs until Ctrl-C or SIGTERM.
 */
import type { ParsedCommand } from '../args.ts';
import { UsageError } from '../errors.ts';
import type { SdkEnvironment } from '../stack.ts';
import { startConsole } from './server.ts';

/** The console command's flags, for the usage text. */
export const ConsoleFlags = {
  port: {
    kind: 'value',
    value: '<port>',
    description: 'the port on 127.0.0.1 to serve on (default: a free port, printed)',
  },
} as const;

/** The port `--port` names; 0 (a free one) when absent. Throws `UsageError` for anything but 0..65535. */
export function parsePort(value: string | true | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || port > 65_535) {
    throw new UsageError(`--port "${String(value)}" is not a port; expected a whole number from 0 to 65535`);
  }
  return port;
}

/** What the console needs from the CLI: where the project is, the environment, where to write. */
export interface ConsoleContext {
  readonly root: string;
  readonly env: SdkEnvironment;
  readonly print: (line: string) => void;
  /** Resolves when the console should stop. @default SIGINT or SIGTERM */
  readonly stopped?: Promise<void>;
}

/** Checks the flags (usage errors before anything starts) and returns what serves the console until stopped. */
export function prepareConsole(parsed: ParsedCommand): (context: ConsoleContext) => Promise<void> {
  const port = parsePort(parsed.flags.port);
  const flags = {
    ...(typeof parsed.flags.stack === 'string' ? { stack: parsed.flags.stack } : {}),
    ...(typeof parsed.flags.outputs === 'string' ? { outputs: parsed.flags.outputs } : {}),
  };
  return async ({ root, env, print, stopped }) => {
    const running = await startConsole({ source: { flags, root, env }, port, log: print });
    print(`console: serving ${running.url} (127.0.0.1 only; Ctrl-C stops it)`);
    await (stopped ??
      new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      }));
    await running.close();
    print('console: stopped');
  };
}
