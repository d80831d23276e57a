/**
 * docs/extending.md, "Add an algorithm and a rule", end to end: a team's app (the reference
 * pipeline plus the `byte-histogram` algorithm and a rule naming it, test/localstack/support/
 * extension/) runs as a stack of its own; a Lightning Imager file uploaded through S3 comes out
 * as a byte histogram of its bytes, delivered to the distribution bucket. AWS APIs only.
 *
 * Against a deployed team stack (`cdk deploy --app "node test/localstack/support/extension/app.ts"
 * --outputs-file f.json`), set `COMETFLOW_EXTENDED_STACK_OUTPUTS=f.json`; otherwise this file
 * starts the team app locally (`npm start -- --serve --app ... --state-dir ...`) and stops it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '../../events/registry.ts';
import {
  descriptionFileIn,
  descriptionFromOutputs,
  sdkEnvironmentOf,
  type StackDescription,
} from '../../local/stack-description.ts';
import { liCorrelationOf, liStreamOf } from '../../shared/conventions/mtg-li.ts';
import { liFile } from '../../shared/samples/provider-files.ts';
import { ByteHistogram } from './support/extension/byte-histogram.ts';
import { HistogramProductType } from './support/extension/rules.ts';
import { serveLocalStack, type ServedStack } from './support/serve.ts';
import { eventsOf, readObject, sha256, waitFor } from './support/stack.ts';

const projectRoot = join(import.meta.dirname, '..', '..');
const appFile = join(import.meta.dirname, 'support', 'extension', 'app.ts');

type Generated = CometEvent<typeof EventTypes.productGenerated>;
type Delivered = CometEvent<typeof EventTypes.productDelivered>;

describe('extending: a team app with its own algorithm and rule', () => {
  let team: StackDescription;
  let served: ServedStack | undefined;
  let stateDir: string | undefined;
  let s3: S3Client;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    const outputsFile = process.env.COMETFLOW_EXTENDED_STACK_OUTPUTS;
    if (outputsFile !== undefined && outputsFile !== '') {
      team = descriptionFromOutputs(JSON.parse(readFileSync(outputsFile, 'utf8')), process.env, outputsFile);
    } else {
      stateDir = mkdtempSync(join(projectRoot, '.cometflow', 'extending-'));
      served = await serveLocalStack(projectRoot, descriptionFileIn(stateDir), [
        '--app',
        appFile,
        '--state-dir',
        stateDir,
      ]);
      team = served.description;
    }
    // This file talks to the team's stack only: the SDK's standard settings point at it.
    Object.assign(process.env, sdkEnvironmentOf(team));
    s3 = new S3Client({ forcePathStyle: true });
    documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  });
  afterAll(async () => {
    s3?.destroy();
    documents?.destroy();
    await served?.stop();
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  });

  it('turns an uploaded lightning file into its byte histogram, delivered', async () => {
    // Prepare: a window a minute back, so the stream's head moves forward as in production.
    const start = new Date(Math.floor((Date.now() - 60_000) / 30_000) * 30_000);
    const file = liFile('LFL', start, 4096, 'MTI1');
    const correlationId = liCorrelationOf({ stream: liStreamOf('MTI1', 'LFL'), sensingStart: start.toISOString() });

    // Act
    await s3.send(new PutObjectCommand({ Bucket: team.buckets.inbox, Key: file.key, Body: file.body }));
    const generated = await waitFor(
      `product.generated of type ${HistogramProductType} in ${correlationId}`,
      async () =>
        (
          (await eventsOf(
            documents,
            team.tables.eventStore!,
            correlationId,
            EventTypes.productGenerated,
          )) as Generated[]
        )
          .filter((e) => e.data.productType === HistogramProductType)
          .at(0),
      150_000,
    );
    const delivered = await waitFor(
      `product.delivered of ${generated.data.productId}`,
      async () =>
        (
          (await eventsOf(
            documents,
            team.tables.eventStore!,
            correlationId,
            EventTypes.productDelivered,
          )) as Delivered[]
        )
          .filter((e) => e.data.productId === generated.data.productId)
          .at(0),
      150_000,
    );

    // Assess: what was delivered is the histogram of the uploaded bytes, made by the team's algorithm.
    const expected: Record<string, number> = {};
    for (const byte of file.body) expected[byte] = (expected[byte] ?? 0) + 1;
    const [product, manifest] = delivered.data.distributed;
    const body = await readObject(s3, product!.bucket, product!.key);
    expect(sha256(body)).toBe(generated.data.product.sha256);
    expect(JSON.parse(body.toString('utf8'))).toEqual({
      algorithm: ByteHistogram,
      version: '1',
      inputs: 1,
      bytes: file.body.length,
      counts: expected,
    });
    const distributedManifest = JSON.parse((await readObject(s3, manifest!.bucket, manifest!.key)).toString('utf8'));
    expect(distributedManifest).toMatchObject({
      productId: generated.data.productId,
      productType: HistogramProductType,
      algorithm: { name: ByteHistogram, version: '1' },
    });
  });
});
