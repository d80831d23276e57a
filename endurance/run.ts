/**
 * `npm run endurance -- [options]`: a compressed facility day against the local stack with faults
 * injected, then the account. Exits 0 when nothing was lost, duplicated or left behind, 1
 * otherwise, 2 on a usage error, 3 when the harness itself failed (an upload that failed or was
 * never sent: the account covers only what was sent). `--help` lists every option.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runEndurance, type EnduranceOptions } from './harness.ts';
import { formatReport } from './report.ts';

/** Every option: its default and what it does, for the parser and `--help`. */
export const OptionHelp: Readonly<
  Record<string, { readonly value: string; readonly default: string; readonly description: string }>
> = {
  minutes: { value: '<n>', default: '3', description: 'real minutes of traffic (the settle phase comes after)' },
  compression: {
    value: '<x>',
    default: '60',
    description: 'compressed minutes per real minute: at 60 a repeat cycle (10 min) arrives every 10 s',
  },
  'fault-rate': {
    value: '<r>',
    default: '0.02',
    description:
      'share of AWS API calls throttled; server errors at r/2, resets before and after the emulator ' +
      'at r/4 each, 1.5 s latency at r',
  },
  'crash-rate': {
    value: '<r>',
    default: '0.02',
    description: 'share of invocations whose execution environment is killed mid-invocation',
  },
  'hang-rate': {
    value: '<r>',
    default: '0.003',
    description: 'share of invocations that do their work and then run past their timeout',
  },
  'redelivery-rate': {
    value: '<r>',
    default: '0.05',
    description: 'share of batches whose first message becomes visible again while it is processed',
  },
  'crash-targets': {
    value: '<a,b>',
    default: 'Intake,Scheduler',
    description:
      'functions (parts of their names) that crash and hang; a crashed batch returns after the ' +
      'visibility timeout, 6 x the function timeout',
  },
  'outage-every': {
    value: '<s>',
    default: '45',
    description: 'seconds between endpoint outages, alternately DynamoDB and S3+SQS (0: none)',
  },
  'outage-seconds': { value: '<s>', default: '3', description: 'length of an outage (the proxy refuses connections)' },
  'chunk-size': { value: '<bytes>', default: '16KiB', description: 'size of an FCI chunk' },
  'forecast-size': {
    value: '<bytes>',
    default: '6MiB',
    description: 'size of a forecast file (multipart above 5 MiB); 1.3GB sends sets to the container worker',
  },
  'large-sets': {
    value: '<n>',
    default: 'all',
    description: 'forecast sets (from the first) of --forecast-size; later sets are 6 MiB',
  },
  'lightning-streams': {
    value: '<n>',
    default: '1',
    description:
      'Lightning Imager streams (LFL, AF, LGR, LEF), one file per compressed 30 s window each, ' +
      'one real-time product per file, in sensing order to the ordered subscriber (0: none)',
  },
  'settle-minutes': {
    value: '<n>',
    default: '8',
    description: 'longest wait for the pipeline to settle, before and after the redrive',
  },
  'in-time-seconds': {
    value: '<s>',
    default: '120',
    description: 'a product is in time when delivered within this many seconds of its last input (or deadline)',
  },
  seed: { value: '<n>', default: '1', description: 'seed of the traffic and fault decisions, to replay a run' },
  'no-faults': {
    value: '',
    default: 'off',
    description: 'run the same traffic without any injected fault (a baseline)',
  },
  json: { value: '<file>', default: 'none', description: 'also write the report as JSON to this file' },
  help: { value: '', default: '', description: 'show this help' },
};

/** The usage text. */
export function usage(): string {
  const rows = Object.entries(OptionHelp).map(
    ([name, o]) =>
      `  --${`${name} ${o.value}`.trim().padEnd(24)} ${o.description}` +
      (o.default === '' ? '' : ` (default ${o.default})`),
  );
  return [
    'usage: npm run endurance -- [options]',
    '',
    'A compressed facility day against a fresh local stack with AWS API faults, crashes, kills,',
    'outages and early redelivery; then settle, one redrive of every DLQ (the CLI), settle, and the account.',
    'Exit status: 0 all accounted for; 1 something lost, duplicated or left behind; 2 a usage error;',
    '3 the harness failed (an upload failed or was never sent).',
    '',
    ...rows,
  ].join('\n');
}

/** `16KiB`, `6MiB`, `1.3GB`, `4096` as bytes. */
export function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i.exec(text.trim());
  if (match === null)
    throw new Error(`"${text}" is not a size; expected a number with an optional unit (B, KiB, MiB, GiB, KB, MB, GB)`);
  const unit = (match[2] ?? 'B').toLowerCase();
  const factor: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1e3, mb: 1e6, gb: 1e9 };
  return Math.round(Number(match[1]) * factor[unit]!);
}

const numberOf = (name: string, text: string, min: number, max: number): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new Error(`--${name} ${text} is out of range; expected a number from ${min} to ${max}`);
  return value;
};

/** Parses the command line into options; throws an error naming the bad option. */
export function parseOptions(argv: readonly string[]): { options: EnduranceOptions; json?: string; help: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: Object.fromEntries(
      Object.entries(OptionHelp).map(([name, o]) => [name, { type: o.value === '' ? 'boolean' : 'string' }]),
    ) as never,
  });
  const v = values as Record<string, string | boolean | undefined>;
  const get = (name: string): string => (typeof v[name] === 'string' ? v[name] : OptionHelp[name]!.default);
  const options: EnduranceOptions = {
    minutes: numberOf('minutes', get('minutes'), 0.5, 24 * 60),
    compression: numberOf('compression', get('compression'), 1, 1440),
    faultRate: numberOf('fault-rate', get('fault-rate'), 0, 0.5),
    crashRate: numberOf('crash-rate', get('crash-rate'), 0, 0.5),
    hangRate: numberOf('hang-rate', get('hang-rate'), 0, 0.5),
    earlyRedeliveryRate: numberOf('redelivery-rate', get('redelivery-rate'), 0, 1),
    crashTargets: get('crash-targets')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
    outageEverySeconds: numberOf('outage-every', get('outage-every'), 0, 3600),
    outageSeconds: numberOf('outage-seconds', get('outage-seconds'), 0, 120),
    chunkBytes: parseBytes(get('chunk-size')),
    forecastBytes: parseBytes(get('forecast-size')),
    largeSets:
      get('large-sets') === 'all' ? Number.POSITIVE_INFINITY : numberOf('large-sets', get('large-sets'), 0, 1000),
    lightningStreams: numberOf('lightning-streams', get('lightning-streams'), 0, 4),
    settleMinutes: numberOf('settle-minutes', get('settle-minutes'), 1, 120),
    inTimeSeconds: numberOf('in-time-seconds', get('in-time-seconds'), 1, 86_400),
    seed: numberOf('seed', get('seed'), 0, 2 ** 31),
    faults: v['no-faults'] !== true,
  };
  return { options, ...(typeof v.json === 'string' ? { json: resolve(v.json) } : {}), help: v.help === true };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage()}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    print(usage());
    process.exit(0);
  }
  const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
  const report = await runEndurance(projectRoot, parsed.options, print);
  print('');
  for (const line of formatReport(report)) print(line);
  if (parsed.json !== undefined) {
    writeFileSync(parsed.json, `${JSON.stringify(report, null, 2)}\n`);
    print(`report written to ${parsed.json}`);
  }
  if (report.account.harnessFailures.length > 0) process.exit(3);
  process.exit(report.ok ? 0 : 1);
}
