/**
 * Seeds a running stack with cycles of one day through S3, the way a provider uploads (PutObject
 * into the inbox): `cycles` repeat cycles of 41 FCI chunks each (default a whole day, 144) and the
 * forecasts they need, then waits until every cycle's product is delivered (or `timeoutMinutes`)
 * and prints how many were, and how long it took. For measuring the operator commands on a
 * volume of data (README, "Operating it"); AWS APIs only.
 *
 * @example
 * node local/seed-day.ts --day 20261130 --cycles 12
 */
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ecmwfForecast, fciChunk, type ProviderFileSample } from '#shared/samples/provider-files.ts';
import { EventTypes } from '#events/registry.ts';
import { descriptionPath, readDescription, sdkEnvironmentOf } from './stack-description.ts';

const { values } = parseArgs({
  options: {
    day: { type: 'string', default: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10).replaceAll('-', '') },
    cycles: { type: 'string', default: '144' },
    concurrency: { type: 'string', default: '8' },
    'timeout-minutes': { type: 'string', default: '60' },
  },
});
const day = values.day;
const cycles = Number(values.cycles);
if (!/^\d{8}$/.test(day) || !Number.isInteger(cycles) || cycles < 1 || cycles > 144)
  throw new Error(`--day "${day}" --cycles "${values.cycles}": expected YYYYMMDD and 1 to 144 cycles`);
const description = readDescription(descriptionPath(process.cwd()));
if (description === undefined) throw new Error('no local stack described; start one with `npm start -- --serve`');
for (const [name, value] of Object.entries(sdkEnvironmentOf(description))) process.env[name] ??= value;
const s3 = new S3Client({ forcePathStyle: true });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

const analysis = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))));
const files: ProviderFileSample[] = [];
const forecastHours = new Set<number>();
for (let cycle = 1; cycle <= cycles; cycle += 1) {
  const hour = Math.floor(((cycle - 1) * 10) / 60);
  if (!forecastHours.has(hour)) {
    forecastHours.add(hour);
    files.push(ecmwfForecast(analysis, hour, 2, 4096));
  }
  for (let chunk = 1; chunk <= 41; chunk += 1) files.push(fciChunk(day, cycle, chunk, 8 * 1024));
}
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: Number(values.concurrency) }, async () => {
    while (next < files.length) {
      const file = files[next++]!;
      await s3.send(new PutObjectCommand({ Bucket: description.buckets.inbox, Key: file.key, Body: file.body }));
    }
  }),
);
const uploaded = (performance.now() - started) / 1000;
process.stdout.write(`uploaded ${files.length} files (${cycles} cycles of ${day}) in ${uploaded.toFixed(1)} s\n`);

const deadline = Date.now() + Number(values['timeout-minutes']) * 60_000;
const delivered = async (cycle: number): Promise<boolean> => {
  const { Items = [] } = await documents.send(
    new QueryCommand({
      TableName: description.tables.eventStore,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: {
        ':pk': `cycle-${day}-${String(cycle).padStart(3, '0')}`,
        ':type': EventTypes.productDelivered,
      },
    }),
  );
  return Items.length > 0;
};
const waiting = new Set(Array.from({ length: cycles }, (_, i) => i + 1));
while (waiting.size > 0 && Date.now() < deadline) {
  for (const cycle of [...waiting]) if (await delivered(cycle)) waiting.delete(cycle);
  if (waiting.size > 0) await new Promise((r) => setTimeout(r, 5000));
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${cycles - waiting.size}/${cycles} cycles delivered ${seconds.toFixed(0)} s after the first upload\n`,
);
process.exit(waiting.size === 0 ? 0 : 1);
