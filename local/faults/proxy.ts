/**
 * A fault-injecting HTTP proxy between the stack's SDK clients and one emulator. The runtime
 * gives functions and container workers the proxy's URL as `AWS_ENDPOINT_URL_<SERVICE>`, so
 * handlers do not know it is there. Per request it may answer with the error AWS returns when it
 * throttles or fails (see `aws-errors.ts`), reset the connection before forwarding (the request
 * is lost) or after (the effect happened, the answer is lost: the case that tests idempotency),
 * or add latency; an outage closes the listener so connections are refused, then reopens it on
 * the same port. Every call is counted by operation, and every fault by kind.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { prng } from '#shared/testing/random.ts';
import { awsErrorResponse, operationOf, ServerErrors, ThrottlingErrors, type ProxiedService } from './aws-errors.ts';

/** What a fault does to one request. */
export const FaultKinds = ['throttle', 'server-error', 'reset', 'reset-after', 'latency'] as const;
/** One of `FaultKinds`. */
export type FaultKind = (typeof FaultKinds)[number];

/** A fault and the share of requests it hits, optionally narrowed to operations. */
export interface FaultRule {
  readonly kind: FaultKind;
  /** Share of matching requests, 0 to 1. */
  readonly rate: number;
  /** Only these operations (`PutItem`, `SendMessage`, `GetObject`, ...). @default - every operation */
  readonly operations?: readonly string[];
  /** Added delay of a `latency` fault, in ms. @default 1500 */
  readonly latencyMs?: number;
}

/** Calls and faults of one operation, and the bytes and items it moved (for a cost estimate). */
export interface OperationCount {
  calls: number;
  faults: Partial<Record<FaultKind, number>>;
  /** Request and response body bytes of the forwarded calls. */
  bytesIn: number;
  bytesOut: number;
  /** Items named by DynamoDB batch and transaction calls (`TransactItems`, `RequestItems`). */
  items: number;
}

/** Options of `startFaultProxy`. */
export interface FaultProxyOptions {
  readonly service: ProxiedService;
  /** The emulator's endpoint, `http://127.0.0.1:<port>`. */
  readonly upstream: string;
  readonly rules?: readonly FaultRule[];
  /** Seed of the fault decisions, so a run can be replayed. @default 1 */
  readonly seed?: number;
}

/** A running proxy. */
export interface FaultProxy {
  readonly service: ProxiedService;
  /** The URL clients use instead of the emulator's. */
  readonly endpoint: string;
  /** Replaces the fault rules (an empty list forwards everything). */
  setRules(rules: readonly FaultRule[]): void;
  /** Refuses connections for `ms`, then accepts them again; resolves when it accepts again. */
  outage(ms: number): Promise<void>;
  /** Calls and faults so far, by operation. */
  counts(): Record<string, OperationCount>;
  /** Outages so far. */
  outages(): number;
  stop(): Promise<void>;
}

/** Items of a DynamoDB batch or transaction request; 0 for single-item calls. */
function itemsOf(body: Buffer): number {
  try {
    const parsed = JSON.parse(body.toString()) as {
      TransactItems?: unknown[];
      RequestItems?: Record<string, unknown[] | { Keys?: unknown[] }>;
    };
    if (Array.isArray(parsed.TransactItems)) return parsed.TransactItems.length;
    if (parsed.RequestItems !== undefined) {
      return Object.values(parsed.RequestItems).reduce<number>(
        (n, v) => n + (Array.isArray(v) ? v.length : (v.Keys?.length ?? 0)),
        0,
      );
    }
  } catch {
    // Not JSON: nothing to count.
  }
  return 0;
}

// The SDK's own request timeout is long; an upstream that never answers must not hold a socket forever.
const UPSTREAM_TIMEOUT_MS = 120_000;

/** Starts a proxy for one service on 127.0.0.1 with a free port. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const random = prng(options.seed ?? 1);
  let rules: readonly FaultRule[] = options.rules ?? [];
  const counts: Record<string, OperationCount> = {};
  const sockets = new Set<Socket>();
  let outages = 0;
  let stopped = false;

  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const countOf = (operation: string): OperationCount =>
    (counts[operation] ??= { calls: 0, faults: {}, bytesIn: 0, bytesOut: 0, items: 0 });
  const record = (count: OperationCount, kind: FaultKind): void => {
    count.faults[kind] = (count.faults[kind] ?? 0) + 1;
  };

  /** At most one fault of each kind per request, decided rule by rule. */
  const faultsFor = (operation: string): FaultRule[] =>
    rules.filter(
      (rule) => (rule.operations === undefined || rule.operations.includes(operation)) && random() < rule.rate,
    );

  const forward = (req: IncomingMessage, res: ServerResponse, count: OperationCount, dropAnswer: boolean): void => {
    // DynamoDB bodies are small JSON: kept to count the items of batches and transactions.
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      count.bytesIn += chunk.length;
      if (options.service === 'dynamodb') body.push(chunk);
    });
    req.once('end', () => {
      if (body.length > 0) count.items += itemsOf(Buffer.concat(body));
    });
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        // The Host header stays the proxy's: SQS builds queue URLs from it, so they point here too.
        headers: req.headers,
        timeout: UPSTREAM_TIMEOUT_MS,
      },
      (answer) => {
        if (dropAnswer) {
          // The upstream did the work; the client only sees its connection reset.
          answer.resume();
          answer.once('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => {
          count.bytesOut += chunk.length;
        });
        answer.pipe(res);
      },
    );
    outgoing.once('timeout', () => outgoing.destroy(new Error('upstream timeout')));
    outgoing.once('error', () => req.socket.destroy());
    req.pipe(outgoing);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const operation = operationOf(options.service, method, req.url ?? '/', req.headers);
    const count = countOf(operation);
    count.calls += 1;
    const faults = faultsFor(operation);
    const latency = faults.find((f) => f.kind === 'latency');
    if (latency !== undefined) {
      record(count, 'latency');
      await new Promise((r) => setTimeout(r, latency.latencyMs ?? 1500));
    }
    const failure = faults.find((f) => f.kind !== 'latency');
    if (failure === undefined) {
      forward(req, res, count, false);
      return;
    }
    record(count, failure.kind);
    if (failure.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (failure.kind === 'reset-after') {
      forward(req, res, count, true);
      return;
    }
    // Read the request body first, as a server does before it answers.
    req.resume();
    await new Promise<void>((r) => {
      req.once('end', r);
      req.once('close', r);
    });
    const spec = pick(failure.kind === 'throttle' ? ThrottlingErrors[options.service] : ServerErrors[options.service]);
    const response = awsErrorResponse(options.service, spec, randomUUID(), method);
    res.writeHead(response.status, { ...response.headers, 'content-length': String(Buffer.byteLength(response.body)) });
    res.end(response.body);
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => req.socket.destroy());
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      // Open keep-alive connections would still reach the emulator: an outage cuts them too.
      for (const socket of sockets) socket.destroy();
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;

  let outage: Promise<void> | undefined;
  return {
    service: options.service,
    endpoint: `http://127.0.0.1:${port}`,
    setRules: (next) => {
      rules = next;
    },
    outage: (ms) =>
      (outage ??= (async () => {
        outages += 1;
        await close();
        await new Promise((r) => setTimeout(r, ms));
        if (!stopped) await listen(port);
        outage = undefined;
      })()),
    counts: () => structuredClone(counts),
    outages: () => outages,
    stop: async () => {
      stopped = true;
      await close();
    },
  };
}
