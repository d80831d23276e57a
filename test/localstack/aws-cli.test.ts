/**
 * A data provider with the AWS CLI: `aws s3 cp` into the inbox feeds the pipeline exactly as an
 * SDK upload does (here, the chunk that completes a cycle). Uses Debian's CLI at /usr/bin/aws (the `awscli` package; `.ci/run`
 * installs it); skipped where it is absent.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sdkEnvironmentOf } from '../../local/stack-description.ts';
import { cycleFiles, deliveredManifests, uploadAll } from './support/cycles.ts';
import { clients, stack, uniqueCycle } from './support/stack.ts';

const AWS_CLI = '/usr/bin/aws';
const { s3, documents } = clients();
const description = stack();

describe.skipIf(!existsSync(AWS_CLI))('upload with the AWS CLI', () => {
  it('completes a cycle whose last chunk comes from an aws s3 cp into the inbox', async () => {
    // Prepare: the rest of the cycle and its forecast through the SDK; chunk 33 waits for the CLI.
    const { day, repeatCycle } = uniqueCycle();
    const cycle = cycleFiles(day, repeatCycle);
    const chunk = cycle.chunks[32]!;
    await uploadAll(s3, description.buckets.inbox!, [cycle.forecast, ...cycle.chunks.filter((c) => c !== chunk)]);
    const file = join(mkdtempSync(join(tmpdir(), 'cometflow-cli-')), 'chunk.nc');
    writeFileSync(file, chunk.body);
    const endpoint = description.endpoints.s3 === undefined ? [] : ['--endpoint-url', description.endpoints.s3];

    // Act
    await promisify(execFile)(
      AWS_CLI,
      [...endpoint, 's3', 'cp', file, `s3://${description.buckets.inbox}/${chunk.key}`],
      {
        env: { ...process.env, ...sdkEnvironmentOf(description) },
      },
    );

    // Assess
    const manifests = await deliveredManifests(
      s3,
      documents,
      description.tables.eventStore!,
      description.buckets.products!,
      cycle.correlationId,
    );
    expect(manifests).toHaveLength(1);
    expect(manifests[0]!.inputs.map((i) => i.name)).toContain(chunk.key.slice('eumetsat/'.length));
  });
});
