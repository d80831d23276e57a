/**
 * One Lambda execution environment: a worker thread with the function's own environment, which
 * imports the bundled handler once (cold start) and then serves invocations one at a time.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

interface WorkerData {
  readonly entryUrl: string;
  readonly exportName: string;
  readonly functionName: string;
  readonly memoryLimitInMB: number;
  readonly region: string;
  /** The capacity model: this thread's nice value (Linux nice values are per thread). */
  readonly niceness: number;
}

interface Invocation {
  readonly id: number;
  readonly event: unknown;
  readonly deadline: number;
  readonly requestId: string;
  /** Injected fault: finish the handler's work, then never answer (the host's timeout fires). */
  readonly hang?: boolean;
}

const data = workerData as WorkerData;
const port = parentPort!;

// Set before the handler loads, so its cold start already runs at the lane's share. On Linux
// setpriority(PRIO_PROCESS, 0) applies to the calling thread only: the rest of the runtime keeps
// its priority. Where the platform refuses, the environment runs un-niced.
if (data.niceness > 0) {
  try {
    setPriority(data.niceness);
  } catch {
    // EACCES/ENOSYS: no capacity model on this platform
  }
}

try {
  const module = (await import(data.entryUrl)) as Record<string, unknown>;
  const handler = module[data.exportName];
  if (typeof handler !== 'function') throw new Error(`${data.entryUrl} has no exported function ${data.exportName}`);
  port.on('message', async (invocation: Invocation) => {
    const context = {
      functionName: data.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${data.region}:000000000000:function:${data.functionName}`,
      memoryLimitInMB: String(data.memoryLimitInMB),
      awsRequestId: invocation.requestId,
      logGroupName: `/aws/lambda/${data.functionName}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    try {
      const result: unknown = await (handler as (event: unknown, context: unknown) => Promise<unknown>)(
        invocation.event,
        context,
      );
      if (invocation.hang === true) return;
      port.postMessage({ id: invocation.id, result: result === undefined ? null : result });
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ id: invocation.id, error: { name: e.name, message: e.message, stack: e.stack } });
    }
  });
  port.postMessage({ ready: true });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  port.postMessage({ initError: { name: e.name, message: e.message, stack: e.stack } });
}
