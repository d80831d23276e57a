import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './cometflow.ts';

/** Runs the CLI with an empty project root (no stack) and captures its output. */
async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const root = mkdtempSync(join(tmpdir(), 'cometflow-main-'));
  const code = await main(
    argv,
    {
      print: (line) => {
        out.push(line);
      },
      error: (line) => {
        err.push(line);
      },
    },
    {},
    root,
  );
  return { code, out, err };
}

describe('main', () => {
  it('exits 2 naming an unknown command and listing the valid ones', async () => {
    const { code, err } = await run(['replya']);
    expect(code).toBe(2);
    expect(err[0]).toBe(
      'error: Unknown command "replya"; valid commands: status, trace, events, replay, cycle, dlq, failures, reconcile, rebuild-status, console',
    );
  });

  it("exits 2 naming an unknown flag and listing the command's flags", async () => {
    const { code, err } = await run(['replay', '--correlation', 'cycle-1', '--dryrun']);
    expect(code).toBe(2);
    expect(err[0]).toMatch(
      /^error: Unknown flag --dryrun for replay; valid flags: --correlation, --from, --to, --dry-run, --rate/,
    );
  });

  it('exits 2 on a bad value before looking for a stack', async () => {
    expect((await run(['replay', '--correlation', 'c', '--rate', '-1'])).code).toBe(2);
    expect((await run(['cycle', 'today'])).err[0]).toMatch(/"today" is not a cycle id/);
    expect((await run(['dlq', '--redrive'])).err[0]).toMatch(/--redrive needs --queue <role>/);
    expect((await run(['events', '--stack', 'a', '--outputs', 'b', '--correlation', 'c'])).err[0]).toBe(
      'error: Give either --stack or --outputs, not both',
    );
  });

  it('exits 2 saying how to start a stack when none is described', async () => {
    const { code, err } = await run(['cycle', '20261122-061']);
    expect(code).toBe(2);
    expect(err[0]).toMatch(/No stack is described at .*\. Start a local stack with `npm start -- --serve`/);
  });

  it('prints the usage for help, and exits 2 with it when no command is given', async () => {
    const help = await run(['help']);
    expect(help.code).toBe(0);
    expect(help.out[0]).toContain('usage: npm run cometflow -- <command> [flags]');
    const commandHelp = await run(['replay', '--help']);
    expect(commandHelp.out[0]).toMatch(/^replay: /);
    expect((await run([])).code).toBe(2);
  });
});
