/**
 * Starts a local stack as a tester would (`npm start -- --serve`), in its own process, waits
 * for it to describe itself, and stops it by its PID: the global setup's reference stack, and a
 * test's own stack of a team's app (`--app`, `--state-dir`).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readDescription, type StackDescription } from '../../../local/stack-description.ts';

/** A local stack served by a child process. */
export interface ServedStack {
  readonly description: StackDescription;
  /** Stops the child (SIGTERM: it stops what it started) and waits for it to exit. */
  readonly stop: () => Promise<void>;
}

/**
 * Runs `local/start.ts --serve ...args` and resolves once `descriptionFile` names the child's PID.
 *
 * @example
 * const { description, stop } = await serveLocalStack(projectRoot, descriptionPath(projectRoot));
 */
export async function serveLocalStack(
  projectRoot: string,
  descriptionFile: string,
  args: readonly string[] = [],
  timeoutMs = 180_000,
): Promise<ServedStack> {
  const child = spawn(process.execPath, [join(projectRoot, 'local', 'start.ts'), '--serve', ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The local stack exited with code ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The local stack did not come up within ${timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
    const found = readDescription(descriptionFile);
    if (found !== undefined && found.pid === child.pid) return { description: found, stop };
  }
}
