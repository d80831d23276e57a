import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsole, type RunningConsole } from './server.ts';

const get = (
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> =>
  new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });

let running: RunningConsole | undefined;
let folder: string | undefined;

afterEach(async () => {
  await running?.close();
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  running = undefined;
  folder = undefined;
});

describe('console server', () => {
  it('serves with no stack and says so in the terminal and in every view', async () => {
    // Prepare
    folder = mkdtempSync(join(tmpdir(), 'console-no-stack-'));
    const lines: string[] = [];

    // Act
    running = await startConsole({ source: { flags: {}, root: folder, env: {} }, log: (line) => lines.push(line) });
    const overview = await get(running.port, '/api/overview');
    const page = await get(running.port, '/');
    const script = await get(running.port, '/assets/app.js');

    // Assess
    expect(running.url).toBe(`http://127.0.0.1:${running.port}/`);
    expect(overview.status).toBe(200);
    expect(JSON.parse(overview.body)).toMatchObject({
      noStack: true,
      message: expect.stringContaining('npm start -- --serve'),
    });
    expect(lines.join('\n')).toMatch(/No stack is described at .*local-stack\.json/);
    expect(page.body).toContain('<script type="module" src="/assets/app.js">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(script.status).toBe(200);
    expect(script.body.length).toBeGreaterThan(1000);
  });

  it('says a described stack whose process is gone is not running', async () => {
    // Prepare: a description left by a process that no longer exists.
    folder = mkdtempSync(join(tmpdir(), 'console-stale-'));
    const file = join(folder, 'stack.json');
    writeFileSync(
      file,
      JSON.stringify({
        stackName: 'Gone',
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        endpoints: {},
        buckets: {},
        queues: {},
        tables: {},
        pid: 2 ** 22 + 17,
      }),
    );

    // Act
    running = await startConsole({ source: { flags: { stack: file }, root: folder, env: {} } });
    const cycles = await get(running.port, '/api/cycles');

    // Assess
    expect(JSON.parse(cycles.body)).toMatchObject({
      noStack: true,
      message: expect.stringContaining('is not running'),
    });
  });

  it('refuses another Host and an unknown path, a redrive without its confirmation, a rerun without its', async () => {
    // Prepare
    folder = mkdtempSync(join(tmpdir(), 'console-guard-'));
    running = await startConsole({ source: { flags: {}, root: folder, env: {} } });
    const post = (body: string, path = '/api/redrive'): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: running!.port,
            path,
            method: 'POST',
            headers: {
              host: `127.0.0.1:${running!.port}`,
              origin: `http://127.0.0.1:${running!.port}`,
              'content-type': 'application/json',
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });

    // Act
    const rebound = await get(running.port, '/api/overview', { host: `attacker.example:${running.port}` });
    const unknown = await get(running.port, '/etc/passwd');
    const unconfirmed = await post('{"queue":"eventBusDlq"}');
    const notJson = await post('queue=eventBusDlq');
    const rerunUnconfirmed = await post('{"ids":["m1"],"dryRun":false}', '/api/rerun');
    const rerunNothing = await post('{"ids":[],"dryRun":true}', '/api/rerun');
    const rerunDry = await post('{"ids":["m1"],"dryRun":true}', '/api/rerun');

    // Assess
    expect(rebound.status).toBe(421);
    expect(unknown.status).toBe(404);
    expect(unconfirmed).toBe(400);
    expect(notJson).toBe(400);
    expect(rerunUnconfirmed).toBe(400);
    expect(rerunNothing).toBe(400);
    // A well-formed dry run reaches the stack, and there is none.
    expect(rerunDry).toBe(503);
  });
});
