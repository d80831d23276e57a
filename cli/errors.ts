/**
 * The CLI's errors. Each carries the exit code the entry point returns: 2 for a command line
 * that cannot be run as written (unknown command or flag, a bad value), 1 for everything that
 * went wrong while running (no stack, an AWS error).
 */

/** Base of the errors the CLI raises on purpose: the message is printed as is, without a stack. */
export class CliError extends Error {
  /** The process exit code. */
  public readonly exitCode: number;

  public constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** The command line names something that does not exist or gives a value that cannot be used. */
export class UsageError extends CliError {
  public constructor(message: string) {
    super(message, { exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** No stack to talk to: the description file is missing or its process is gone. */
export class StackNotFoundError extends CliError {
  public constructor(message: string) {
    super(message, { exitCode: 1 });
    this.name = 'StackNotFoundError';
  }
}
