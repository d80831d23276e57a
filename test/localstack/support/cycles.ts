/**
 * Uploading whole repeat cycles the way a provider does, and reading what came of them.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventTypes, type CometEvent } from '../../../events/registry.ts';
import { ecmwfForecast, fciChunk, type ProviderFileSample } from '../../../shared/samples/provider-files.ts';
import { eventsOf, readObject, waitFor } from './stack.ts';

/** A cycle's files: its 41 chunks and a forecast valid at the cycle's start hour. */
export interface CycleFiles {
  readonly correlationId: string;
  readonly chunks: ProviderFileSample[];
  readonly forecast: ProviderFileSample;
}

export function cycleFiles(day: string, repeatCycle: number, chunkBytes = 8 * 1024): CycleFiles {
  const analysis = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))));
  return {
    correlationId: `cycle-${day}-${String(repeatCycle).padStart(3, '0')}`,
    chunks: Array.from({ length: 41 }, (_, i) => fciChunk(day, repeatCycle, i + 1, chunkBytes)),
    forecast: ecmwfForecast(analysis, Math.floor(((repeatCycle - 1) * 10) / 60), 2, 4096),
  };
}

/** Puts files into the inbox, `concurrency` at a time. */
export async function uploadAll(
  s3: S3Client,
  bucket: string,
  files: readonly ProviderFileSample[],
  concurrency = 8,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < files.length) {
        const file = files[next++]!;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: file.key, Body: file.body }));
      }
    }),
  );
}

/** A product's manifest, as process writes it. */
export interface Manifest {
  productId: string;
  degraded: boolean;
  missing: string[];
  product: { bucket: string; key: string; size: number; sha256: string };
  inputs: { bucket: string; key: string; name: string; size: number; sha256: string }[];
}

/** Waits for `count` deliveries in a correlation and returns the generated products' manifests. */
export async function deliveredManifests(
  s3: S3Client,
  documents: DynamoDBDocumentClient,
  eventStore: string,
  productsBucket: string,
  correlationId: string,
  timeoutMs = 120_000,
): Promise<Manifest[]> {
  await waitFor(
    `product.delivered in ${correlationId}`,
    async () => {
      const delivered = await eventsOf(documents, eventStore, correlationId, EventTypes.productDelivered);
      return delivered.length > 0 ? delivered : undefined;
    },
    timeoutMs,
  );
  const generated = (await eventsOf(documents, eventStore, correlationId, EventTypes.productGenerated)) as CometEvent<
    typeof EventTypes.productGenerated
  >[];
  return Promise.all(
    generated.map(
      async (event) =>
        JSON.parse((await readObject(s3, productsBucket, event.data.manifest.key)).toString()) as Manifest,
    ),
  );
}
