/**
 * The console's HTTP server: on 127.0.0.1 only, it serves the page and its assets (the browser
 * code bundled by the project's esbuild when the server starts) and a JSON API whose answers
 * come from `data.ts`, that is from the CLI's functions over the same stack the CLI selects.
 * Live views are server-sent events: the server reads a view at most once per interval for each
 * open page and sends it when it changed. The only writes are the CLI's redrive and rerun, each
 * behind a confirmation the request must carry. Every request passes `checkRequest` (Host and Origin).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CliError } from '../errors.ts';
import { selectStack, type SdkEnvironment, type SelectedStack } from '../stack.ts';
import {
  closeStack,
  openStack,
  readCycles,
  MAX_RERUN,
  readFailureRecords,
  readFailures,
  readOverview,
  readReconcile,
  readTrace,
  redriveQueue,
  rerunSelected,
  type ConsoleStack,
} from './data.ts';
import { checkRequest } from './guard.ts';
import type { NoStack } from './views.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the console finds its stack: the CLI's `--stack` / `--outputs` flags, its project root and environment. */
export interface StackSource {
  readonly flags: { readonly stack?: string; readonly outputs?: string };
  readonly root: string;
  readonly env: SdkEnvironment;
}

/** Options of `startConsole`. */
export interface ConsoleOptions {
  readonly source: StackSource;
  /** @default 0 (a free port, chosen by the system) */
  readonly port?: number;
  /** Least time between two reads of a live view for one page, in ms. @default 1000 */
  readonly liveIntervalMs?: number;
  /** Where the server says what it does (the stack it found, refused requests). @default nothing */
  readonly log?: (line: string) => void;
}

/** A running console. */
export interface RunningConsole {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly close: () => Promise<void>;
}

const SECURITY_HEADERS = {
  // No inline script or style: a value that slipped through as markup still could not run.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>cometflow console</title>
<link rel="stylesheet" href="/assets/style.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body><div id="app"><p class="loading">Loading the console…</p></div></body>
</html>
`;

/** Bundles the browser code with the project's esbuild, in memory. */
export async function bundleAssets(): Promise<{ readonly script: string; readonly style: string }> {
  const result = await build({
    entryPoints: [join(here, 'web', 'app.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return { script: result.outputFiles[0]!.text, style: await readFile(join(here, 'web', 'style.css'), 'utf8') };
}

/** The stack as the CLI selects it, or what to say when there is none. */
function currentStack(source: StackSource): SelectedStack | NoStack {
  try {
    return selectStack(source.flags, source.root, source.env);
  } catch (error) {
    if (error instanceof CliError) return { noStack: true, message: error.message };
    throw error;
  }
}

const isNoStack = (value: unknown): value is NoStack =>
  typeof value === 'object' && value !== null && 'noStack' in value;

class BadRequest extends Error {
  public override readonly name = 'BadRequest';
}

async function readJson(request: IncomingMessage, limit = 16 * 1024): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BadRequest(`The request body is over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new BadRequest(`The request body is not a JSON object: ${(error as Error).message}`);
  }
}

const positive = (value: string | null, fallback: number, max: number): number => {
  const number = value === null ? fallback : Number(value);
  return Number.isFinite(number) && number > 0 ? Math.min(number, max) : fallback;
};

/**
 * Starts the console. It answers while no stack runs (the page says so) and picks a stack up
 * when one starts, as the CLI would find it at that moment.
 *
 * @example
 * const console = await startConsole({ source: { flags: {}, root: process.cwd(), env: process.env }, port: 8080 });
 * // console.url === 'http://127.0.0.1:8080/'
 */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const log = options.log ?? ((): void => undefined);
  const interval = options.liveIntervalMs ?? 1000;
  const assets = await bundleAssets();
  let open: { key: string; stack: ConsoleStack } | undefined;
  let lastState = '';
  const live = new Set<ServerResponse>();

  /** The stack to read now, with its clients opened once per description. */
  const stackNow = (): ConsoleStack | NoStack => {
    const selected = currentStack(options.source);
    const state = isNoStack(selected)
      ? `no stack: ${selected.message}`
      : `stack ${selected.description.stackName} (${selected.from})`;
    if (state !== lastState) {
      log(isNoStack(selected) ? `console: ${selected.message}` : `console: reading ${state}`);
      lastState = state;
    }
    if (isNoStack(selected)) {
      if (open !== undefined) closeStack(open.stack);
      open = undefined;
      return selected;
    }
    const key = JSON.stringify(selected.description);
    if (open?.key !== key) {
      if (open !== undefined) closeStack(open.stack);
      open = { key, stack: openStack(selected) };
    }
    return open.stack;
  };

  const views: Record<string, (stack: ConsoleStack, params: URLSearchParams) => Promise<unknown>> = {
    overview: (stack) => readOverview(stack),
    cycles: (stack, params) =>
      readCycles(stack, { hours: positive(params.get('hours'), 6, 72), limit: positive(params.get('limit'), 12, 50) }),
    failures: (stack, params) => readFailures(stack, { hours: positive(params.get('hours'), 24, 24 * 31) }),
    trace: (stack, params) => readTrace(stack, params.get('q') ?? ''),
  };

  const readView = async (name: string, params: URLSearchParams): Promise<unknown> => {
    const stack = stackNow();
    if (isNoStack(stack)) return stack;
    return views[name]!(stack, params);
  };

  const send = (
    response: ServerResponse,
    status: number,
    body: unknown,
    type = 'application/json; charset=utf-8',
  ): void => {
    response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const stream = (request: IncomingMessage, response: ServerResponse, name: string, params: URLSearchParams): void => {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    live.add(response);
    let closed = false;
    let previous = '';
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      const started = Date.now();
      try {
        const text = JSON.stringify(await readView(name, params));
        if (text !== previous && !closed) response.write(`event: view\ndata: ${text}\n\n`);
        previous = text;
      } catch (error) {
        const text = JSON.stringify({ error: `${(error as Error).name}: ${(error as Error).message}` });
        if (text !== previous && !closed) response.write(`event: problem\ndata: ${text}\n\n`);
        previous = text;
      }
      // A slow read does not pile up: the next one starts an interval after this one ended.
      if (!closed)
        timer = setTimeout(
          () => {
            void tick();
          },
          Math.max(0, interval - (Date.now() - started)),
        );
    };
    request.on('close', () => {
      closed = true;
      clearTimeout(timer);
      live.delete(response);
    });
    void tick();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, port: number): Promise<void> => {
    const verdict = checkRequest(
      {
        method: request.method ?? 'GET',
        host: request.headers.host,
        origin: request.headers.origin,
        fetchSite: request.headers['sec-fetch-site'] as string | undefined,
        contentType: request.headers['content-type'],
      },
      port,
    );
    if (!verdict.allowed) {
      log(`console: refused ${request.method} ${request.url}: ${verdict.reason}`);
      send(response, verdict.status, { error: verdict.reason });
      return;
    }
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    const route = `${request.method} ${url.pathname}`;
    if (route === 'GET /' || route === 'GET /index.html') return send(response, 200, PAGE, 'text/html; charset=utf-8');
    if (route === 'GET /assets/app.js') return send(response, 200, assets.script, 'text/javascript; charset=utf-8');
    if (route === 'GET /assets/style.css') return send(response, 200, assets.style, 'text/css; charset=utf-8');
    const api = /^\/api\/(overview|cycles|failures|trace)$/.exec(url.pathname);
    if (request.method === 'GET' && api !== null) return send(response, 200, await readView(api[1]!, url.searchParams));
    const liveView = /^\/api\/live\/(overview|cycles|failures|trace)$/.exec(url.pathname);
    if (request.method === 'GET' && liveView !== null) return stream(request, response, liveView[1]!, url.searchParams);
    // `failures` holds every DLQ message for a moment to read it: asked for, never polled.
    if (route === 'GET /api/failure-records') {
      const stack = stackNow();
      if (isNoStack(stack)) return send(response, 503, stack);
      const filter = Object.fromEntries(
        (['since', 'stage', 'code', 'what'] as const).flatMap((name) => {
          const value = url.searchParams.get(name)?.trim();
          return value === undefined || value === '' ? [] : [[name, value]];
        }),
      );
      return send(response, 200, await readFailureRecords(stack, filter));
    }
    // `reconcile` lists every bucket of the day: asked for, never polled.
    if (route === 'GET /api/reconcile') {
      const stack = stackNow();
      if (isNoStack(stack)) return send(response, 503, stack);
      const day = url.searchParams.get('day')?.trim();
      const grace = url.searchParams.get('grace')?.trim();
      if (grace !== undefined && grace !== '' && !(Number(grace) >= 0))
        throw new BadRequest(`grace "${grace}" is not a number of seconds; expected for example 900`);
      return send(
        response,
        200,
        await readReconcile(stack, {
          ...(day === undefined || day === '' ? {} : { day }),
          ...(grace === undefined || grace === '' ? {} : { graceSeconds: Number(grace) }),
        }),
      );
    }
    if (route === 'POST /api/rerun') {
      const body = await readJson(request);
      const ids = body.ids;
      if (
        !Array.isArray(ids) ||
        ids.length === 0 ||
        ids.length > MAX_RERUN ||
        !ids.every((id) => typeof id === 'string')
      )
        throw new BadRequest(`Give the failures to rerun: { "ids": ["<message id>", ...] } (1 to ${MAX_RERUN})`);
      if (typeof body.dryRun !== 'boolean')
        throw new BadRequest('Say whether it is a dry run: "dryRun": true or false');
      // A real rerun comes after the operator saw the dry run and confirmed it.
      if (!body.dryRun && body.confirm !== 'rerun')
        throw new BadRequest('A rerun that moves messages needs "confirm": "rerun"');
      if (body.since !== undefined && typeof body.since !== 'string')
        throw new BadRequest('"since" is 6h, 2d or an ISO time');
      const stack = stackNow();
      if (isNoStack(stack)) return send(response, 503, stack);
      const result = await rerunSelected(stack, {
        ids: ids as string[],
        dryRun: body.dryRun,
        ...(body.since === undefined || body.since === '' ? {} : { since: body.since as string }),
      });
      if (!body.dryRun) log(`console: rerun of ${ids.length} failure(s): ${result.lines.join('; ')}`);
      return send(response, 200, result);
    }
    if (route === 'POST /api/redrive') {
      const body = await readJson(request);
      if (typeof body.queue !== 'string')
        throw new BadRequest('Give the dead-letter queue to redrive: { "queue": "<role>", "confirm": "<role>" }');
      // The page asks the operator first and sends the role it showed; a bare request is not enough.
      if (body.confirm !== body.queue) throw new BadRequest(`Redriving ${body.queue} needs "confirm": "${body.queue}"`);
      const stack = stackNow();
      if (isNoStack(stack)) return send(response, 503, stack);
      const result = await redriveQueue(stack, body.queue);
      log(`console: redrive of ${body.queue}: ${result.lines.join('; ')}`);
      return send(response, 200, result);
    }
    send(response, 404, { error: `No such page or API: ${request.method} ${url.pathname}` });
  };

  const server = createServer((request, response) => {
    const port = (server.address() as AddressInfo).port;
    handle(request, response, port).catch((error: unknown) => {
      const status = error instanceof BadRequest || error instanceof CliError ? 400 : 502;
      if (status === 502)
        log(`console: ${request.method} ${request.url} failed: ${(error as Error).name}: ${(error as Error).message}`);
      if (!response.headersSent)
        send(response, status, { error: `${(error as Error).name}: ${(error as Error).message}` });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  stackNow();
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    server,
    close: async () => {
      for (const response of live) response.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      if (open !== undefined) closeStack(open.stack);
      open = undefined;
    },
  };
}
