/**
 * The CLI's errors. Each carries the exit code the entry point returns: 2 for a command line
 * that cannot be run as written (unknown command or flag, a bad value, no usable stack), 1 for
 * everything that went wrong while running (an AWS error, something not found).
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

/**
 * No stack to talk to: the description file is missing or its process is gone, the outputs file
 * is wrong, the endpoints refuse, the credentials are missing. Exit code 2, like a wrong command
 * line: the command cannot run as given, and the message says how to fix it.
 */
export class StackNotFoundError extends CliError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { exitCode: 2, ...options });
    this.name = 'StackNotFoundError';
  }
}

/**
 * The stack problem an SDK error stands for, said with how to fix it; undefined for any other
 * error. Connection refused: the stack is not running. Missing credentials. A table or queue
 * that does not exist: the description or outputs file names another stack.
 */
export function stackProblemOf(error: unknown, from: string): StackNotFoundError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  const start = 'start it with `npm start -- --serve`, or point at a deployed stack with --outputs <file>';
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(error.message)) {
    return new StackNotFoundError(
      `The stack described in ${from} does not answer (${error.message}): it is not running; ${start}`,
      { cause: error },
    );
  }
  if (error.name === 'CredentialsProviderError' || /Could not load credentials/.test(error.message)) {
    return new StackNotFoundError(
      `No AWS credentials for the stack in ${from} (${error.message}): set AWS_ACCESS_KEY_ID and ` +
        'AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or log in with `aws sso login`',
      { cause: error },
    );
  }
  if (
    error.name === 'ResourceNotFoundException' ||
    error.name === 'QueueDoesNotExist' ||
    error.name === 'AWS.SimpleQueueService.NonExistentQueue' ||
    error.name === 'NoSuchBucket'
  ) {
    return new StackNotFoundError(
      `A resource named in ${from} does not exist (${error.name}: ${error.message}): the file describes another ` +
        'or a deleted stack; write it again with `cdk deploy --outputs-file`, or restart the local stack',
      { cause: error },
    );
  }
  return undefined;
}
