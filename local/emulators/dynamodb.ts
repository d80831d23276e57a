/**
 * DynamoDB Local (the official emulator, shipped as a jar inside the npm package
 * `amplify-dynamodb-simulator`) run as a Java child process, bound to 127.0.0.1 by a small
 * launcher (DynamoDB Local has no bind-address option). Stopped by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export interface RunningDynamoDb {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** A port free on 127.0.0.1 now (DynamoDB Local refuses port 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function emulatorDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

/** Stops a child: SIGTERM, then SIGKILL after a grace period; resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Starts DynamoDB Local in memory; resolves once it listens. */
export async function startDynamoDb(
  options: { java?: string; startTimeoutMs?: number } = {},
): Promise<RunningDynamoDb> {
  const dir = emulatorDir();
  const lib = join(dir, 'DynamoDBLocal_lib');
  const java = options.java ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java');
  let lastError: unknown;
  // A port found free can be taken before Java binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const child = spawn(
      java,
      [
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        '-Xmx512m',
        `-Djava.library.path=${lib}`,
        '-cp',
        `${join(dir, 'DynamoDBLocal.jar')}:${join(lib, '*')}`,
        join(here, 'DynamoDbLocalLauncher.java'),
        '-inMemory',
        '-sharedDb',
        '-disableTelemetry',
        '-port',
        String(port),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(
          () =>
            reject(
              new Error(`DynamoDB Local did not start within ${options.startTimeoutMs ?? 60000} ms; output: ${output}`),
            ),
          options.startTimeoutMs ?? 60000,
        );
        const onData = (data: Buffer): void => {
          output += data.toString();
          if (output.includes(`listening ${port}`)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(
            new Error(
              `Cannot run ${java}: ${error.message}; DynamoDB Local needs Java 17 (Debian: openjdk-17-jre-headless)`,
            ),
          );
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`DynamoDB Local exited with code ${code}: ${output}`));
        });
      });
      process.once('exit', () => child.kill('SIGKILL'));
      child.stdout!.resume();
      child.stderr!.resume();
      return { endpoint: `http://127.0.0.1:${port}`, port, pid: child.pid!, stop: () => stopChild(child) };
    } catch (error) {
      lastError = error;
      await stopChild(child);
    }
  }
  throw lastError;
}
