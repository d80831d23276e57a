/**
 * A data provider with the AWS CLI: `aws s3 cp` into the inbox starts the pipeline exactly as
 * an SDK upload does. Uses Debian's CLI at /usr/bin/aws (the `awscli` package; `.ci/run`
 * installs it); skipped where it is absent.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EventTypes } from '../../events/registry.ts';
import { fciChunk } from '../../shared/samples/provider-files.ts';
import { sdkEnvironmentOf } from '../../local/stack-description.ts';
import { clients, eventsOf, stack, uniqueCycle, waitFor } from './support/stack.ts';

const AWS_CLI = '/usr/bin/aws';
const { documents } = clients();
const description = stack();

describe.skipIf(!existsSync(AWS_CLI))('upload with the AWS CLI', () => {
  it('starts the pipeline from an aws s3 cp into the inbox', async () => {
    // Prepare
    const { day, repeatCycle } = uniqueCycle();
    const chunk = fciChunk(day, repeatCycle, 33, 100_000);
    const file = join(mkdtempSync(join(tmpdir(), 'cometflow-cli-')), 'chunk.nc');
    writeFileSync(file, chunk.body);
    const endpoint = description.endpoints.s3 === undefined ? [] : ['--endpoint-url', description.endpoints.s3];

    // Act
    await promisify(execFile)(AWS_CLI, [...endpoint, 's3', 'cp', file, `s3://${description.buckets.inbox}/${chunk.key}`], {
      env: { ...process.env, ...sdkEnvironmentOf(description) },
    });

    // Assess
    const correlationId = `cycle-${day}-${String(repeatCycle).padStart(3, '0')}`;
    const delivered = await waitFor('product.delivered', async () => {
      const events = await eventsOf(documents, description.tables.eventStore!, correlationId, EventTypes.productDelivered);
      return events.length > 0 ? events : undefined;
    }, 90_000);
    expect(delivered).toHaveLength(1);
  });
});
