/**
 * Benchmark: for every stage function of the CDK app, the size of its minified bundle and the time
 * a fresh Node process takes to import it, against the same handler imported from source
 * (`functions/<stage>/handler.ts`, type-stripped, dependencies unbundled from node_modules).
 *
 * Everything it reports is measured in the same run: the app is synthesized into a temporary
 * cloud assembly under `bench/out/`, the bundles are read from there, and the import times come
 * from child processes spawned one at a time, bundled and unbundled alternating (ABAB...).
 *
 * The cold-start floor: per function, a bundle of exactly the SDK clients, commands and
 * paginators its bundle contains, same esbuild options (`cold-start-floor.ts`), imported in
 * the same alternation (bundled, unbundled, floor); `overFloor` is bundled / floor. Goal: at
 * most 1.15 for every function.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { synthesize } from '../local/synth.ts';
import { buildFloor, sdkPartsOf, type SdkParts } from './cold-start-floor.ts';
import { summarize, median, type Summary } from './stats.ts';

/** The project root (the folder holding package.json and `functions/`). */
const projectRoot = fileURLToPath(new URL('../', import.meta.url));

/** Options of the benchmark. */
export interface BundleLoadOptions {
  /** Measured runs per function and variant (bundled, unbundled). */
  readonly runs: number;
  /**
   * Warm-up pairs per function run before the measured ones (OS file cache). They are kept in the
   * JSON report under `warmup` and left out of the statistics; the report says how many there were.
   */
  readonly warmup: number;
  /** Folder of the outputs (`bundle-load.json`) and of the temporary cloud assembly. */
  readonly outDir: string;
  /** Upper bound of one child process, in ms; a child that takes longer fails the benchmark. */
  readonly childTimeoutMs?: number;
}

/** One child process: one fresh Node importing one module. */
export interface Sample {
  /** Position of the child in the whole run (0-based), to see drift over time. */
  readonly seq: number;
  /** `await import(module)` inside the child, `performance.now()` before and after (ms). */
  readonly importMs: number;
  /** Child's `performance.now()` when the import started: Node's own bootstrap (ms). */
  readonly bootMs: number;
  /** Parent's clock from just before `spawn` to the child's exit (ms). */
  readonly wallMs: number;
  /**
   * CPU time (user + system) the child spent in the import (ms, `process.cpuUsage`): unlike
   * the clock it does not count the time other processes held the cores, so it stays
   * comparable on a loaded machine.
   */
  readonly cpuMs: number;
}

/** Bundled against unbundled figures of one measure. */
export interface Comparison {
  readonly bundled: Summary;
  readonly unbundled: Summary;
  /** unbundled median / bundled median. */
  readonly ratioOfMedians: number;
  /** Median of the per-pair ratios unbundled/bundled (each pair ran back to back). */
  readonly medianPairRatio: number;
}

/** The result of one function. */
export interface FunctionResult {
  /** Stage name (`functions/<stage>`). */
  readonly function: string;
  /** Logical id of the `AWS::Lambda::Function` in the template. */
  readonly logicalId: string;
  /** How the stage name was found: the `POWERTOOLS_SERVICE_NAME` variable or the logical id. */
  readonly stageFrom: 'POWERTOOLS_SERVICE_NAME' | 'logicalId';
  /** The asset folder, relative to the cloud assembly. */
  readonly assetPath: string;
  /** Handler setting of the function (`index.handler`). */
  readonly handler: string;
  /** Size of `index.mjs` in bytes. */
  readonly bundleBytes: number;
  /** Size of `index.mjs` gzipped at level 9 in bytes. */
  readonly gzipBytes: number;
  /** The source entry imported unbundled, relative to the project root. */
  readonly sourceEntry: string;
  /** Environment the children got (template variables with intrinsics replaced by dummies, plus AWS settings). */
  readonly environment: Readonly<Record<string, string>>;
  /** Template variables whose value was an intrinsic function and was replaced by a dummy string. */
  readonly dummyVariables: readonly string[];
  /** Import time inside the child (ms). */
  readonly importMs: Comparison;
  /** Wall time from spawn to exit (ms). */
  readonly wallMs: Comparison;
  /** The SDK clients, commands and paginators in the function's bundle: what its floor imports. */
  readonly sdkParts: SdkParts;
  /** Size of the floor bundle in bytes. */
  readonly floorBundleBytes: number;
  /** Import time of the floor bundle (ms). */
  readonly floorImportMs: Summary;
  /** Bundled import over floor import: median / median, and the median of per-run ratios. */
  readonly overFloor: { readonly ratioOfMedians: number; readonly medianRunRatio: number };
  /** CPU time of the import: bundled and floor medians (ms) and their ratio. */
  readonly overFloorCpu: { readonly bundled: number; readonly floor: number; readonly ratioOfMedians: number };
  /** Every measured sample, in run order. */
  readonly samples: {
    readonly bundled: readonly Sample[];
    readonly unbundled: readonly Sample[];
    readonly floor: readonly Sample[];
  };
  /** The warm-up samples, not in the statistics. */
  readonly warmup: {
    readonly bundled: readonly Sample[];
    readonly unbundled: readonly Sample[];
    readonly floor: readonly Sample[];
  };
}

/** The whole report, as written to `bundle-load.json`. */
export interface BundleLoadReport {
  readonly benchmark: 'bundle-load';
  readonly date: string;
  readonly node: string;
  readonly nodeExecPath: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  /** 1, 5 and 15 minute load averages when the measurements started (other work on the machine adds noise). */
  readonly loadAverageAtStart: readonly number[];
  readonly runs: number;
  readonly warmupPairs: number;
  readonly order: string;
  /** Time the in-process synthesis (with esbuild bundling) took, in ms. */
  readonly synthMs: number;
  readonly functions: readonly FunctionResult[];
}

/** A stage function found in the template. */
interface StageFunction {
  readonly logicalId: string;
  readonly stage: string;
  readonly stageFrom: FunctionResult['stageFrom'];
  readonly assetPath: string;
  readonly handler: string;
  readonly bundle: string;
  readonly sourceEntry: string;
  readonly environment: Record<string, string>;
  readonly dummyVariables: string[];
}

interface TemplateResource {
  readonly Type?: string;
  readonly Metadata?: Record<string, unknown>;
  readonly Properties?: {
    readonly Handler?: unknown;
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
  };
}

/** What the children get besides the function's own variables: a region and dummy credentials. */
const AwsEnvironment: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIABENCHMARKDUMMY00',
  AWS_SECRET_ACCESS_KEY: 'bench-dummy-secret-access-key',
};

/**
 * Value of a template environment variable as a string. Intrinsics (`Ref`, `Fn::GetAtt`, ...)
 * become dummy strings: the handlers only check that the variable is set; nothing is called at import.
 */
function resolveVariable(name: string, value: unknown): { value: string; dummy: boolean } {
  if (typeof value === 'string') return { value, dummy: false };
  if (typeof value === 'number' || typeof value === 'boolean') return { value: String(value), dummy: false };
  // Intrinsics become dummy strings, resolved inside joins and substitutions so that a
  // structured value (a JSON list of subscriber queues) keeps its shape.
  // A whole value that is a reference gets the form its variable's cold-start schema expects
  // (shared/environment.ts): a URL for `*_URL`, an ARN for `*_ARN`, a name otherwise.
  const shaped = (id: string): string =>
    name.endsWith('_URL')
      ? `https://sqs.us-east-1.amazonaws.com/000000000000/bench-dummy-${id}`
      : name.endsWith('_ARN')
        ? `arn:aws:bench:us-east-1:000000000000:bench-dummy-${id}`
        : `bench-dummy-ref-${id}`;
  if (typeof value === 'object' && value !== null && typeof (value as { Ref?: unknown }).Ref === 'string') {
    return { value: shaped((value as { Ref: string }).Ref), dummy: true };
  }
  const dummy = (part: unknown): string => {
    if (typeof part === 'string') return part;
    if (typeof part === 'number' || typeof part === 'boolean') return String(part);
    const intrinsic = (part ?? {}) as Record<string, unknown>;
    if (typeof intrinsic.Ref === 'string') return `bench-dummy-ref-${intrinsic.Ref}`;
    const getAtt = intrinsic['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `bench-dummy-getatt-${getAtt.map(String).join('-')}`;
    const join = intrinsic['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1]))
      return (join[1] as unknown[]).map(dummy).join(join[0]);
    const sub = intrinsic['Fn::Sub'];
    if (typeof sub === 'string') return sub.replace(/\$\{([^}]+)\}/g, (_, v: string) => `bench-dummy-sub-${v}`);
    throw new Error(
      `Environment variable ${name} has a template value the benchmark cannot turn into a string: ${JSON.stringify(value)}`,
    );
  };
  return { value: dummy(value), dummy: true };
}

/** The stack template of the cloud assembly, by the manifest. */
async function readTemplate(assemblyDir: string, stackName: string): Promise<Record<string, TemplateResource>> {
  const manifest = JSON.parse(await readFile(join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }>;
  };
  const artifact = manifest.artifacts?.[stackName];
  const templateFile = artifact?.type === 'aws:cloudformation:stack' ? artifact.properties?.templateFile : undefined;
  if (templateFile === undefined) throw new Error(`The cloud assembly ${assemblyDir} holds no stack ${stackName}`);
  const template = JSON.parse(await readFile(join(assemblyDir, templateFile), 'utf8')) as {
    Resources?: Record<string, TemplateResource>;
  };
  return template.Resources ?? {};
}

/** The source of a function: `functions/<stage>/handler.ts`, or for a stage's helper function
 * named `<stage>-<part>` (the delivery saga's `deliver-saga`), `functions/<stage>/<part>.ts`. */
const sourceEntryOf = (service: string): string => {
  const dash = service.indexOf('-');
  return dash < 0
    ? join(projectRoot, 'functions', service, 'handler.ts')
    : join(projectRoot, 'functions', service.slice(0, dash), `${service.slice(dash + 1)}.ts`);
};

/** Every `AWS::Lambda::Function` with an asset path: its bundle, stage and environment. */
async function findStageFunctions(assemblyDir: string, stackName: string): Promise<StageFunction[]> {
  const resources = await readTemplate(assemblyDir, stackName);
  const found: StageFunction[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') continue;

    const variables = resource.Properties?.Environment?.Variables ?? {};
    const environment: Record<string, string> = {};
    const dummyVariables: string[] = [];
    for (const [name, raw] of Object.entries(variables)) {
      const { value, dummy } = resolveVariable(name, raw);
      environment[name] = value;
      if (dummy) dummyVariables.push(name);
    }

    // The stage: POWERTOOLS_SERVICE_NAME, else the logical id's prefix (`IngestFunctionB02ED0EB`).
    const service = environment.POWERTOOLS_SERVICE_NAME;
    const fromId = /^([A-Z][a-z0-9]*)Function/.exec(logicalId)?.[1]?.toLowerCase();
    let stage: string;
    let stageFrom: FunctionResult['stageFrom'];
    if (service !== undefined && existsSync(sourceEntryOf(service))) {
      stage = service;
      stageFrom = 'POWERTOOLS_SERVICE_NAME';
    } else if (fromId !== undefined && existsSync(sourceEntryOf(fromId))) {
      stage = fromId;
      stageFrom = 'logicalId';
    } else {
      throw new Error(
        `Function ${logicalId} (asset ${assetPath}) maps to no functions/<stage>/handler.ts ` +
          `(POWERTOOLS_SERVICE_NAME ${String(service)}, logical id prefix ${String(fromId)})`,
      );
    }

    // A lane runs a stage's code with its own sizing: same bundle, measured once.
    if (found.some((f) => f.assetPath === assetPath)) continue;
    const bundle = join(assemblyDir, assetPath, 'index.mjs');
    if (!existsSync(bundle)) throw new Error(`Function ${logicalId}: its asset ${assetPath} holds no index.mjs`);
    const handler = resource.Properties?.Handler;
    if (handler !== 'index.handler')
      throw new Error(`Function ${logicalId}: handler ${JSON.stringify(handler)}, expected index.handler`);

    found.push({
      logicalId,
      stage,
      stageFrom,
      assetPath,
      handler,
      bundle,
      sourceEntry: sourceEntryOf(stage),
      environment: { ...environment, ...AwsEnvironment },
      dummyVariables,
    });
  }
  if (found.length === 0) throw new Error(`The stack ${stackName} holds no AWS::Lambda::Function with an asset`);
  return found;
}

/**
 * The child's program (ESM, given with `-e`): imports the module named by its argument, checks it
 * exports a `handler` function and prints the timings as one JSON line.
 */
const ChildProgram = [
  'const bootMs = performance.now();',
  'const cpuBefore = process.cpuUsage();',
  'const module = await import(process.argv[1]);',
  'const importMs = performance.now() - bootMs;',
  'const cpu = process.cpuUsage(cpuBefore);',
  'const cpuMs = (cpu.user + cpu.system) / 1000;',
  "if (typeof module.handler !== 'function') { console.error('the module exports no handler function'); process.exit(3); }",
  'process.stdout.write(JSON.stringify({ importMs, bootMs, cpuMs }) + "\\n");',
].join('\n');

let sequence = 0;

/** Spawns one fresh Node that imports `moduleUrl`; resolves with its timings, rejects on any failure. */
function measureOnce(moduleUrl: string, env: Record<string, string>, timeoutMs: number): Promise<Sample> {
  const seq = sequence++;
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    let exitAt = Number.NaN;
    const child = spawn(process.execPath, ['--input-type=module', '-e', ChildProgram, moduleUrl], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', () => {
      exitAt = performance.now();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = (Number.isNaN(exitAt) ? performance.now() : exitAt) - start;
      if (code !== 0) {
        const why =
          signal === null
            ? `exit code ${String(code)}`
            : `signal ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : ''}`;
        reject(new Error(`Importing ${moduleUrl} failed (${why}):\n${stderr}${stdout}`));
        return;
      }
      try {
        const lines = stdout.trim().split('\n');
        const parsed = JSON.parse(lines[lines.length - 1] ?? '') as { importMs: number; bootMs: number; cpuMs: number };
        if (![parsed.importMs, parsed.bootMs, parsed.cpuMs].every(Number.isFinite)) throw new Error('missing timings');
        resolvePromise({ seq, importMs: parsed.importMs, bootMs: parsed.bootMs, wallMs, cpuMs: parsed.cpuMs });
      } catch (error) {
        reject(
          new Error(`Importing ${moduleUrl}: the child printed no timings (${String(error)}):\n${stdout}\n${stderr}`),
        );
      }
    });
  });
}

function compare(bundled: readonly number[], unbundled: readonly number[]): Comparison {
  const b = summarize(bundled);
  const u = summarize(unbundled);
  return {
    bundled: b,
    unbundled: u,
    ratioOfMedians: u.median / b.median,
    medianPairRatio: median(bundled.map((value, i) => (unbundled[i] as number) / value)),
  };
}

/** Runs the benchmark: synthesizes the app, sizes every bundle and times the imports. */
export async function runBundleLoad(options: BundleLoadOptions): Promise<BundleLoadReport> {
  const { runs, warmup, outDir } = options;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${String(runs)}`);
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new Error(`warmup must be a non-negative integer, got ${String(warmup)}`);
  const timeoutMs = options.childTimeoutMs ?? 120_000;

  await mkdir(outDir, { recursive: true });
  const assemblyDir = await mkdtemp(join(outDir, 'assembly-'));
  try {
    const synthStart = performance.now();
    process.stderr.write(`bundle-load: synthesizing the app into ${relative(projectRoot, assemblyDir)} ...\n`);
    const { stackName } = await synthesize(assemblyDir);
    const synthMs = performance.now() - synthStart;
    const functions = await findStageFunctions(assemblyDir, stackName);

    const loadAverageAtStart = loadavg();
    const results: FunctionResult[] = [];
    for (const fn of functions) {
      const code = await readFile(fn.bundle);
      const bundleUrl = pathToFileURL(fn.bundle).href;
      const sourceUrl = pathToFileURL(fn.sourceEntry).href;
      const sdkParts = await sdkPartsOf(fn.sourceEntry, projectRoot);
      const floorDir = await mkdtemp(join(assemblyDir, `floor-${fn.stage}-`));
      const floorBundle = await buildFloor(sdkParts, floorDir);
      const floorUrl = pathToFileURL(floorBundle).href;
      const samples = { bundled: [] as Sample[], unbundled: [] as Sample[], floor: [] as Sample[] };
      const warm = { bundled: [] as Sample[], unbundled: [] as Sample[], floor: [] as Sample[] };
      process.stderr.write(
        `bundle-load: ${fn.stage}: ${warmup} warm-up + ${runs} measured rounds (bundled, unbundled, floor) ...\n`,
      );
      for (let i = 0; i < warmup + runs; i++) {
        const into = i < warmup ? warm : samples;
        into.bundled.push(await measureOnce(bundleUrl, fn.environment, timeoutMs));
        into.unbundled.push(await measureOnce(sourceUrl, fn.environment, timeoutMs));
        into.floor.push(await measureOnce(floorUrl, fn.environment, timeoutMs));
      }
      const bundledImports = samples.bundled.map((s) => s.importMs);
      const floorImports = samples.floor.map((s) => s.importMs);
      const floorSummary = summarize(floorImports);
      results.push({
        function: fn.stage,
        logicalId: fn.logicalId,
        stageFrom: fn.stageFrom,
        assetPath: fn.assetPath,
        handler: fn.handler,
        bundleBytes: code.byteLength,
        gzipBytes: gzipSync(code, { level: 9 }).byteLength,
        sourceEntry: relative(projectRoot, fn.sourceEntry),
        environment: fn.environment,
        dummyVariables: fn.dummyVariables,
        importMs: compare(
          samples.bundled.map((s) => s.importMs),
          samples.unbundled.map((s) => s.importMs),
        ),
        wallMs: compare(
          samples.bundled.map((s) => s.wallMs),
          samples.unbundled.map((s) => s.wallMs),
        ),
        sdkParts,
        floorBundleBytes: (await readFile(floorBundle)).byteLength,
        floorImportMs: floorSummary,
        overFloor: {
          ratioOfMedians: summarize(bundledImports).median / floorSummary.median,
          medianRunRatio: median(bundledImports.map((value, i) => value / (floorImports[i] as number))),
        },
        overFloorCpu: (() => {
          const bundled = median(samples.bundled.map((s) => s.cpuMs));
          const floor = median(samples.floor.map((s) => s.cpuMs));
          return { bundled, floor, ratioOfMedians: bundled / floor };
        })(),
        samples,
        warmup: warm,
      });
    }

    const cpu = cpus();
    const report: BundleLoadReport = {
      benchmark: 'bundle-load',
      date: new Date().toISOString(),
      node: process.version,
      nodeExecPath: process.execPath,
      platform: process.platform,
      arch: process.arch,
      cpuModel: cpu[0]?.model ?? 'unknown',
      cpuCount: cpu.length,
      loadAverageAtStart,
      runs,
      warmupPairs: warmup,
      order:
        'per function: warm-up rounds, then measured rounds; each round is bundled, unbundled, floor (ABCABC...), one child at a time',
      synthMs,
      functions: results,
    };
    await writeFile(join(outDir, 'bundle-load.json'), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    await rm(assemblyDir, { recursive: true, force: true });
  }
}

const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
const ms = (value: number): string => value.toFixed(1);

/** The report as markdown: a context line and one table row per function. */
export function formatBundleLoad(report: BundleLoadReport, jsonPath: string): string {
  const lines = [
    '## Bundle size and module load time (bundled vs unbundled)',
    '',
    `Node ${report.node} · ${report.cpuModel} (${report.cpuCount} CPUs, ${report.platform}/${report.arch}) · ` +
      `${report.runs} runs per variant, ABAB, fresh process each (+ ${report.warmupPairs} warm-up pair(s) per function, not counted) · ${report.date}`,
    '',
    '| function | bundle (KiB) | gzip (KiB) | import bundled (ms, median) | import unbundled (ms, median) | ratio unbundled/bundled | ' +
      'process wall bundled/unbundled (ms) | floor (KiB) | import floor (ms, median) | bundled/floor | ' +
      'import CPU bundled/floor (ms, median) | bundled/floor CPU |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of report.functions) {
    const i = r.importMs;
    const w = r.wallMs;
    lines.push(
      `| ${r.function} | ${kib(r.bundleBytes)} | ${kib(r.gzipBytes)} | ` +
        `${ms(i.bundled.median)} (p90 ${ms(i.bundled.p90)}) | ${ms(i.unbundled.median)} (p90 ${ms(i.unbundled.p90)}) | ` +
        `${i.ratioOfMedians.toFixed(2)}× | ${ms(w.bundled.median)} / ${ms(w.unbundled.median)} ` +
        `(p90 ${ms(w.bundled.p90)} / ${ms(w.unbundled.p90)}; ${w.ratioOfMedians.toFixed(2)}×) | ` +
        `${kib(r.floorBundleBytes)} | ${ms(r.floorImportMs.median)} (p90 ${ms(r.floorImportMs.p90)}) | ` +
        `${r.overFloor.ratioOfMedians.toFixed(2)}× (runs ${r.overFloor.medianRunRatio.toFixed(2)}×) | ` +
        `${ms(r.overFloorCpu.bundled)} / ${ms(r.overFloorCpu.floor)} | ${r.overFloorCpu.ratioOfMedians.toFixed(2)}× |`,
    );
  }
  lines.push('', 'The floor of each function imports exactly these SDK parts (read from its bundle):', '');
  for (const r of report.functions) {
    lines.push(
      `- ${r.function}: ${Object.entries(r.sdkParts)
        .map(([pkg, names]) => `${pkg} (${names.join(', ')})`)
        .join('; ')}`,
    );
  }
  lines.push(
    '',
    'Medians over the measured runs, p90 in parentheses (nearest rank). Ratios are unbundled median / bundled median; ' +
      'bundled/floor is the bundled median over the floor median (goal: at most 1.15); bundled/floor CPU is the same ' +
      'over the CPU time of the import, which other processes on the machine do not inflate. ' +
      `Synthesis with esbuild bundling took ${(report.synthMs / 1000).toFixed(1)} s. Every sample: ${jsonPath}.`,
  );
  return lines.join('\n');
}

/** Default folder of the benchmark outputs (git-ignored). */
export const defaultOutDir: string = resolve(projectRoot, 'bench', 'out');
