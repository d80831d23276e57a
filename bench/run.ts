/**
 * Runs the project's benchmarks in sequence and prints their markdown reports to stdout
 * (progress goes to stderr). `npm run bench -- --runs 25` for more runs per variant.
 *
 * Options:
 *   --runs N     measured runs per variant (default 15)
 *   --warmup N   warm-up runs per variant, reported apart and not counted (default 1)
 *   --container-pairs N   pairs of 1.3 GB transfers (container ingest, plain copy) (default 3)
 *   --only A,B   run only these sections: bundle-load, rules, scheduler-requests, container-ingest, realtime
 *   --realtime-files N   LI files per period of the realtime section (default 40)
 *   --realtime-variants with,without   the realtime section's variants (default both)
 *   --realtime-forecasts N   forecast files of 1.3 GB arriving at once in its bulk period (default 12)
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultOutDir, formatBundleLoad, runBundleLoad } from './bundle-load.ts';
import { benchContainerIngest } from './container-ingest.ts';
import { benchRealtime, type Variant } from './realtime.ts';
import { benchRules } from './rules.ts';
import { benchSchedulerRequests } from './scheduler-requests.ts';

const DefaultRuns = 15;

function count(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${flag} expects an integer of at least ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    warmup: { type: 'string' },
    'container-pairs': { type: 'string' },
    only: { type: 'string' },
    'realtime-files': { type: 'string' },
    'realtime-variants': { type: 'string' },
    'realtime-forecasts': { type: 'string' },
  },
  strict: true,
});
const runs = count('runs', values.runs, DefaultRuns, 1);
const warmup = count('warmup', values.warmup, 1, 0);
const containerPairs = count('container-pairs', values['container-pairs'], 3, 1);
if (runs < DefaultRuns) {
  process.stderr.write(`bench: only ${runs} runs per variant; medians and p90 are less stable below ${DefaultRuns}\n`);
}

const Sections = ['bundle-load', 'rules', 'scheduler-requests', 'container-ingest', 'realtime'] as const;
const only = values.only === undefined ? [...Sections] : values.only.split(',').map((s) => s.trim());
for (const name of only) {
  if (!(Sections as readonly string[]).includes(name))
    throw new Error(`--only names unknown section ${JSON.stringify(name)}; expected some of ${Sections.join(', ')}`);
}
const selected = (name: (typeof Sections)[number]): boolean => only.includes(name);
const realtimeFiles = count('realtime-files', values['realtime-files'], 40, 5);
const realtimeVariants = (values['realtime-variants'] ?? 'with,without').split(',').map((v) => {
  if (v === 'with') return 'with capacity model';
  if (v === 'without') return 'without';
  throw new Error(`--realtime-variants expects with and/or without, got ${JSON.stringify(v)}`);
}) as Variant[];

const outDir = defaultOutDir;
const sections: string[] = [];

// Benchmarks run one after the other, never concurrently, so they do not disturb each other.
if (selected('bundle-load')) {
  const bundleLoad = await runBundleLoad({ runs, warmup, outDir });
  sections.push(formatBundleLoad(bundleLoad, relative(process.cwd(), join(outDir, 'bundle-load.json'))));
}
if (selected('rules')) {
  process.stderr.write('rules: our engine vs json-rules-engine on the same rules and events ...\n');
  sections.push((await benchRules({ runs, warmup: Math.max(warmup, 1) })).markdown);
}
if (selected('scheduler-requests')) {
  process.stderr.write('scheduler-requests: DynamoDB requests per event of a 41-input join ...\n');
  sections.push((await benchSchedulerRequests()).markdown);
}
if (selected('container-ingest')) {
  process.stderr.write(
    `container-ingest: a 1.3 GB file through the container worker, ${containerPairs} pairs against a plain multipart copy ...\n`,
  );
  const containerIngest = await benchContainerIngest({
    pairs: containerPairs,
    outDir,
    projectRoot: fileURLToPath(new URL('../', import.meta.url)),
  });
  const { markdown: containerMarkdown, ...containerData } = containerIngest;
  writeFileSync(join(outDir, 'container-ingest.json'), `${JSON.stringify(containerData, null, 2)}\n`);
  sections.push(containerMarkdown);
}
if (selected('realtime')) {
  process.stderr.write(
    'realtime: LI latency idle and under 12 x 1.3 GB of bulk ingestion, with and without the capacity model ...\n',
  );
  const realtime = await benchRealtime({
    files: realtimeFiles,
    intervalMs: 1000,
    forecasts: count('realtime-forecasts', values['realtime-forecasts'], 12, 1),
    outDir,
    projectRoot: fileURLToPath(new URL('../', import.meta.url)),
    variants: realtimeVariants,
  });
  const { markdown: realtimeMarkdown, ...realtimeData } = realtime;
  writeFileSync(join(outDir, 'realtime.json'), `${JSON.stringify(realtimeData, null, 2)}\n`);
  sections.push(realtimeMarkdown);
}

process.stdout.write(`${sections.join('\n\n')}\n`);
