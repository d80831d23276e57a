/**
 * Runs the project's benchmarks in sequence and prints their markdown reports to stdout
 * (progress goes to stderr). `npm run bench -- --runs 25` for more runs per variant.
 *
 * Options:
 *   --runs N     measured runs per variant (default 15)
 *   --warmup N   warm-up runs per variant, reported apart and not counted (default 1)
 *   --container-pairs N   pairs of 1.3 GB transfers (container ingest, plain copy) (default 3)
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultOutDir, formatBundleLoad, runBundleLoad } from './bundle-load.ts';
import { benchContainerIngest } from './container-ingest.ts';
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
  },
  strict: true,
});
const runs = count('runs', values.runs, DefaultRuns, 1);
const warmup = count('warmup', values.warmup, 1, 0);
const containerPairs = count('container-pairs', values['container-pairs'], 3, 1);
if (runs < DefaultRuns) {
  process.stderr.write(`bench: only ${runs} runs per variant; medians and p90 are less stable below ${DefaultRuns}\n`);
}

const outDir = defaultOutDir;
const sections: string[] = [];

// Benchmarks run one after the other, never concurrently, so they do not disturb each other.
const bundleLoad = await runBundleLoad({ runs, warmup, outDir });
sections.push(formatBundleLoad(bundleLoad, relative(process.cwd(), join(outDir, 'bundle-load.json'))));
process.stderr.write('rules: our engine vs json-rules-engine on the same rules and events ...\n');
sections.push((await benchRules({ runs, warmup: Math.max(warmup, 1) })).markdown);
process.stderr.write('scheduler-requests: DynamoDB requests per event of a 41-input join ...\n');
sections.push((await benchSchedulerRequests()).markdown);
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

process.stdout.write(`${sections.join('\n\n')}\n`);
