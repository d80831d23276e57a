import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalStack } from './stack.ts';
import { descriptionFileIn, writeDescription, type StackDescription } from './stack-description.ts';

describe('startLocalStack', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start in a folder whose description names another running stack, leaving its logs', async () => {
    // Prepare: a running process (this one's parent) described as the stack of the folder.
    dir = mkdtempSync(join(tmpdir(), 'cometflow-stack-'));
    writeFileSync(join(dir, 'Other.template.json'), JSON.stringify({ Resources: {} }));
    const stateDir = join(dir, 'state');
    mkdirSync(join(stateDir, 'logs'), { recursive: true });
    writeFileSync(join(stateDir, 'logs', 'intake.log'), 'the other stack writes here\n');
    const other: StackDescription = {
      stackName: 'Cometflow',
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      endpoints: {},
      buckets: {},
      queues: {},
      tables: {},
      pid: process.ppid,
    };
    writeDescription(descriptionFileIn(stateDir), other);

    // Act
    const act = startLocalStack({ cdkOut: dir, stackName: 'Other', projectRoot: dir, stateDir });

    // Assess
    await expect(act).rejects.toThrow(`A local stack (pid ${process.ppid}, Cometflow) already runs with its state in`);
    expect(existsSync(join(stateDir, 'logs', 'intake.log'))).toBe(true);
  });
});
