/**
 * The commands of `npm run cometflow`: each one a spec (flags, example), a pure step that turns
 * the parsed command line into options (usage errors surface before any stack is needed), and a
 * run step against a stack.
 */
import type { CommandSpec, ParsedCommand } from './args.ts';
import { cycleCorrelation, formatCycle, readCycle } from './cycle.ts';
import { deadLetterQueues, findDeadLetterQueue, showDeadLetterQueues } from './dlq.ts';
import {
  DEFAULT_SINCE,
  formatDeadLetters,
  formatFailures,
  formatRedrive,
  formatRerun,
  listDeadLetters,
  listFailures,
  parseSince,
  redriveChecked,
  rerunFailures,
  type FailureFilter,
} from './failures.ts';
import { UsageError } from './errors.ts';
import { formatEvents, readSelection, selectionOf, type Selection } from './event-store.ts';
import { DEFAULT_RATE, parseRate } from './pacer.ts';
import { DEFAULT_CONTEXT_HOURS, describeSelection, runReplay, type CliContext, type ReplayOptions } from './replay.ts';
import { parseTypes, ReplayableTypes } from './replay-policy.ts';
import { claimsOf, resourceOf } from './stack.ts';
import { formatStatus, readStatus } from './status.ts';
import { formatTrace, traceOf } from './trace.ts';
import { formatRebuild, rebuildStatus } from './rebuild-status.ts';
import { DEFAULT_GRACE_SECONDS, formatReconcile, reconcile } from './reconcile.ts';
import { CliError } from './errors.ts';
import { ConsoleFlags, prepareConsole, type ConsoleContext } from './console/command.ts';

/** A command: its spec, its option parsing, and what it does. */
export interface Command<O> extends CommandSpec {
  readonly prepare: (parsed: ParsedCommand) => O;
  readonly run: (options: O, context: CliContext) => Promise<void>;
}

/** A command whose options are checked: `prepare` throws a `UsageError` or returns what runs it. */
export interface PreparedCommand extends CommandSpec {
  readonly prepare: (parsed: ParsedCommand) => (context: CliContext) => Promise<void>;
  /**
   * For a command that finds its stack itself, later and again (the console serves while no stack
   * runs): it replaces `prepare` and is given no stack.
   */
  readonly serve?: (parsed: ParsedCommand) => (context: ConsoleContext) => Promise<void>;
}

const define = <O>(command: Command<O>): PreparedCommand => ({
  ...command,
  prepare: (parsed) => {
    const options = command.prepare(parsed);
    return (context) => command.run(options, context);
  },
});

const text = (parsed: ParsedCommand, flag: string): string | undefined => {
  const value = parsed.flags[flag];
  return typeof value === 'string' ? value : undefined;
};

const selectionFlags = {
  correlation: {
    kind: 'value',
    value: '<id>',
    description: 'a correlation id: cycle-<YYYYMMDD-NNN>, forecast-<analysis time>, upload-<key>',
  },
  from: { kind: 'value', value: '<ISO>', description: 'start of a time window (inclusive), with --to' },
  to: { kind: 'value', value: '<ISO>', description: 'end of the time window (exclusive)' },
} as const;

const nonNegative = (flag: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new UsageError(`--${flag} "${value}" is not a non-negative number`);
  return number;
};

const eventsCommand: Command<Selection> = {
  name: 'events',
  summary: 'list the stored events of a correlation or a time window (time, type, subject, id)',
  positionals: [],
  flags: selectionFlags,
  example: 'npm run cometflow -- events --correlation cycle-20261122-061',
  prepare: (parsed) => selectionOf(parsed.flags),
  run: async (selection, { description, clients, print }) => {
    const events = await readSelection(clients.documents, resourceOf('tables', description, 'eventStore'), selection);
    for (const line of formatEvents(events, { withCorrelation: selection.kind === 'window' })) print(line);
    print(`${events.length} events in ${describeSelection(selection)}`);
  },
};

const replayCommand: Command<ReplayOptions> = {
  name: 'replay',
  summary: `send the state events a stage published (${ReplayableTypes.map((t) => t.replace(/^cometflow\./, '')).join(', ')}) back into the event bus as bulk work (its bulk lane), in time order, unchanged but for their priority`,
  positionals: [],
  flags: {
    ...selectionFlags,
    'dry-run': {
      kind: 'switch',
      description: "send nothing: run the scheduler's rules in memory and print their decisions",
    },
    rate: {
      kind: 'value',
      value: '<events per second>',
      description: `at most this many sends per second (default ${DEFAULT_RATE})`,
    },
    types: { kind: 'value', value: '<a,b>', description: 'replay only these types (short or full names)' },
    'minimum-wait': {
      kind: 'value',
      value: '<seconds>',
      description: "dry run: the scheduler's least wait before a deadline (default: the deployed topology's)",
    },
    'context-hours': {
      kind: 'value',
      value: '<hours>',
      description: `dry run: hours around the selection to look for references such as forecasts (default ${DEFAULT_CONTEXT_HOURS})`,
    },
    verbose: { kind: 'switch', description: 'dry run: print what the scheduler did with every event' },
  },
  example: 'npm run cometflow -- replay --correlation cycle-20261122-061 --dry-run',
  prepare: (parsed) => {
    const minimumWait = text(parsed, 'minimum-wait');
    return {
      selection: selectionOf(parsed.flags),
      dryRun: parsed.flags['dry-run'] === true,
      rate: parseRate(text(parsed, 'rate')),
      types: parseTypes(text(parsed, 'types')),
      ...(minimumWait === undefined ? {} : { minimumWaitSeconds: nonNegative('minimum-wait', minimumWait, 0) }),
      contextHours: nonNegative('context-hours', text(parsed, 'context-hours'), DEFAULT_CONTEXT_HOURS),
      verbose: parsed.flags.verbose === true,
    };
  },
  run: async (options, context) => {
    await runReplay(options, context);
  },
};

const cycleCommand: Command<{ readonly joinKey: string; readonly json: boolean }> = {
  name: 'cycle',
  summary:
    'a repeat cycle as the status read model holds it (announced, ingested, missing, duplicates, fired, references, abandoned, late, product, delivered)',
  positionals: [{ name: 'cycleId', description: 'the cycle id, YYYYMMDD-NNN (correlation cycle-<id>)' }],
  flags: { json: { kind: 'switch', description: 'print the read model as JSON' } },
  example: 'npm run cometflow -- cycle 20261122-061',
  prepare: (parsed) => {
    const [joinKey] = parsed.positionals;
    if (joinKey === undefined) throw new UsageError('cycle needs a cycle id, for example: cycle 20261122-061');
    cycleCorrelation(joinKey);
    return { joinKey, json: parsed.flags.json === true };
  },
  run: async ({ joinKey, json }, { description, clients, print }) => {
    const statusTable = resourceOf('tables', description, 'status');
    const view = await readCycle(clients.documents, statusTable, joinKey);
    if (view === undefined) {
      // Not known: `trace`'s answer, with the day's nearest cycles.
      for (const line of formatTrace(await traceOf(clients.documents, statusTable, joinKey))) print(line);
      throw new CliError(`no cycle "${joinKey}" in the status read model (see the suggestions above)`, { exitCode: 1 });
    }
    if (json) print(JSON.stringify(view, null, 2));
    else for (const line of formatCycle(view)) print(line);
  },
};

const jsonFlag = { json: { kind: 'switch', description: 'print the result as JSON' } } as const;

const dlqCommand: Command<{
  readonly queue?: string;
  readonly redrive: boolean;
  readonly force: boolean;
  readonly json: boolean;
}> = {
  name: 'dlq',
  summary:
    'every dead-letter queue with its counts and each message with why its stage gave up on it (its failure record); ' +
    "--redrive --queue <role> moves one DLQ's messages back, except those whose cause is unchanged (unless --force)",
  positionals: [],
  flags: {
    ...jsonFlag,
    queue: {
      kind: 'value',
      value: '<role>',
      description: "one dead-letter queue, by role (eventBusDlq) or by its source's (eventBus)",
    },
    redrive: { kind: 'switch', description: 'move the messages of --queue back to its source queue' },
    force: {
      kind: 'switch',
      description: 'redrive messages whose cause is unchanged too (a missing object still missing, a terminal error)',
    },
  },
  example: 'npm run cometflow -- dlq --redrive --queue processDlq',
  prepare: (parsed) => {
    const queue = text(parsed, 'queue');
    const wantsRedrive = parsed.flags.redrive === true;
    if (wantsRedrive && queue === undefined)
      throw new UsageError(
        '--redrive needs --queue <role>, the dead-letter queue to move back (see `dlq` for the list)',
      );
    if (parsed.flags.force === true && !wantsRedrive) throw new UsageError('--force goes with --redrive');
    return {
      ...(queue === undefined ? {} : { queue }),
      redrive: wantsRedrive,
      force: parsed.flags.force === true,
      json: parsed.flags.json === true,
    };
  },
  run: async ({ queue, redrive: move, force, json }, { description, clients, print }) => {
    const pairs =
      queue === undefined ? deadLetterQueues(description.queues) : [findDeadLetterQueue(description.queues, queue)];
    if (pairs.length === 0) {
      print(`the stack ${description.stackName} describes no dead-letter queue (*Dlq)`);
      return;
    }
    const context = { description, clients };
    const redriven = move ? await redriveChecked(context, pairs[0]!, { force }) : undefined;
    const letters = await listDeadLetters(context, pairs);
    if (json) {
      print(JSON.stringify({ ...(redriven === undefined ? {} : { redrive: redriven }), messages: letters }, null, 2));
      return;
    }
    if (redriven !== undefined) for (const line of formatRedrive(redriven)) print(line);
    await showDeadLetterQueues(clients.sqs, pairs, print);
    for (const line of formatDeadLetters(letters)) print(line);
  },
};

const failureFlags = {
  since: {
    kind: 'value',
    value: '<6h | 2d | ISO>',
    description: `failures recorded since then (default ${DEFAULT_SINCE}); a message still in a DLQ is listed whatever its age`,
  },
  stage: {
    kind: 'value',
    value: '<stage>',
    description: 'only failures of this stage (intake, scheduler, ingest, process, deliver)',
  },
  code: {
    kind: 'value',
    value: '<error name>',
    description: 'only failures with this code (InvalidInputError, NoSuchKey, ...)',
  },
} as const;

const failuresCommand: Command<{
  readonly filter: FailureFilter;
  readonly rerun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  readonly rate: number;
  readonly json: boolean;
}> = {
  name: 'failures',
  summary:
    'the messages stages gave up on, with their reasons and where each is now; --rerun moves the ones still in a ' +
    'dead-letter queue back (a dry run unless --yes; rate-capped; a rerun never makes a second product)',
  positionals: [
    {
      name: 'what',
      description: 'optional: only the failures of this message id, event id, cycle or correlation id, or object key',
    },
  ],
  flags: {
    ...jsonFlag,
    ...failureFlags,
    rerun: { kind: 'switch', description: 'rerun the selected failures still in a DLQ (a dry run without --yes)' },
    yes: { kind: 'switch', description: 'with --rerun: really move the messages' },
    force: { kind: 'switch', description: 'with --rerun: rerun messages whose cause is unchanged too' },
    rate: {
      kind: 'value',
      value: '<per second>',
      description: `with --rerun: messages moved per second at most (default ${DEFAULT_RATE})`,
    },
  },
  example:
    'npm run cometflow -- failures --since 6h --stage process\n  npm run cometflow -- failures --stage process --code NoSuchKey --rerun --yes',
  prepare: (parsed) => {
    const since = text(parsed, 'since');
    if (since !== undefined) parseSince(since);
    const stage = text(parsed, 'stage');
    const code = text(parsed, 'code');
    const [what] = parsed.positionals;
    const rerun = parsed.flags.rerun === true;
    for (const flag of ['yes', 'force', 'rate'])
      if (parsed.flags[flag] !== undefined && !rerun) throw new UsageError(`--${flag} goes with --rerun`);
    return {
      filter: {
        ...(since === undefined ? {} : { since }),
        ...(stage === undefined ? {} : { stage }),
        ...(code === undefined ? {} : { code }),
        ...(what === undefined ? {} : { what }),
      },
      rerun,
      yes: parsed.flags.yes === true,
      force: parsed.flags.force === true,
      rate: parseRate(text(parsed, 'rate')),
      json: parsed.flags.json === true,
    };
  },
  run: async ({ filter, rerun, yes, force, rate, json }, { description, clients, print }) => {
    const context = { description, clients };
    if (!rerun) {
      const report = await listFailures(context, filter);
      if (json) print(JSON.stringify(report, null, 2));
      else for (const line of formatFailures(report)) print(line);
      return;
    }
    const report = await rerunFailures(context, { ...filter, dryRun: !yes, force, rate });
    if (json) print(JSON.stringify(report, null, 2));
    else for (const line of formatRerun(report)) print(line);
  },
};

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

const statusCommand: Command<{ readonly json: boolean; readonly day?: string }> = {
  name: 'status',
  summary:
    "what is in flight now: per stage and lane the queue depth, in flight, delayed and dead letters; the read model's " +
    'files, cycles and products of the day per stage with the oldest waiting; running sagas and container tasks',
  positionals: [],
  flags: {
    ...jsonFlag,
    day: { kind: 'value', value: '<YYYY-MM-DD>', description: 'the day the read model counts (default today, UTC)' },
  },
  example: 'npm run cometflow -- status',
  prepare: (parsed) => {
    const day = text(parsed, 'day');
    if (day !== undefined && !dayPattern.test(day))
      throw new UsageError(`--day "${day}" is not a day; expected YYYY-MM-DD, for example 2026-11-22`);
    return { json: parsed.flags.json === true, ...(day === undefined ? {} : { day }) };
  },
  run: async ({ json, day }, { description, clients, print }) => {
    const report = await readStatus({ description, ...clients }, day);
    if (json) print(JSON.stringify(report, null, 2));
    else for (const line of formatStatus(report)) print(line);
  },
};

const traceCommand: Command<{ readonly argument: string; readonly json: boolean }> = {
  name: 'trace',
  summary:
    'where a file, cycle or product is: every stage it reached with times, its state, and why it is stuck (from the status read model)',
  positionals: [
    {
      name: 'what',
      description:
        'an inbox key (eumetsat/W_XX-...nc), a cycle id (20261122-061 or cycle-20261122-061) or a product id',
    },
  ],
  flags: jsonFlag,
  example: 'npm run cometflow -- trace 20261122-061',
  prepare: (parsed) => {
    const [argument] = parsed.positionals;
    if (argument === undefined)
      throw new UsageError('trace needs what to trace: an inbox key, a cycle id (20261122-061) or a product id');
    return { argument, json: parsed.flags.json === true };
  },
  run: async ({ argument, json }, { description, clients, print }) => {
    const failuresTable = description.tables.failures;
    const trace = await traceOf(
      clients.documents,
      resourceOf('tables', description, 'status'),
      argument,
      new Date(),
      failuresTable === undefined ? {} : { failuresTable },
    );
    if (json) print(JSON.stringify(trace, null, 2));
    else for (const line of formatTrace(trace)) print(line);
    // Not knowing it is an answer, but not a success: scripts can tell.
    if (!trace.found) throw new CliError(`nothing known as "${argument}" (see the suggestions above)`, { exitCode: 1 });
  },
};

const rebuildStatusCommand: Command<{ readonly json: boolean }> = {
  name: 'rebuild-status',
  summary:
    'rebuild the status read model from the event store: delete every status item, fold every stored event again',
  positionals: [],
  flags: jsonFlag,
  example: 'npm run cometflow -- rebuild-status',
  prepare: (parsed) => ({ json: parsed.flags.json === true }),
  run: async ({ json }, { description, clients, print }) => {
    const result = await rebuildStatus(
      clients.documents,
      resourceOf('tables', description, 'eventStore'),
      resourceOf('tables', description, 'status'),
      json ? undefined : print,
      claimsOf(clients.s3, description),
    );
    if (json) print(JSON.stringify(result, null, 2));
    else for (const line of formatRebuild(result)) print(line);
  },
};

const durationSeconds = (flag: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(value.trim());
  if (match === null)
    throw new UsageError(`--${flag} "${value}" is not a duration; expected seconds or 30s, 15m, 2h, 1d`);
  return (
    Number(match[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86_400 } as const)[match[2] as '' | 's' | 'm' | 'h' | 'd']
  );
};

const reconcileCommand: Command<{ readonly day?: string; readonly graceSeconds: number; readonly json: boolean }> = {
  name: 'reconcile',
  summary:
    'inbox, quarantine, archive, products, distribution, catalog and event store of a day checked against each ' +
    'other: objects only in one place, accepted but never ingested, complete but never processed, generated but ' +
    'never delivered, multipart uploads left open, what the retention policy should have removed; exit 1 when inconsistent',
  positionals: [],
  flags: {
    ...jsonFlag,
    day: { kind: 'value', value: '<YYYY-MM-DD>', description: 'the day to reconcile (default today, UTC)' },
    grace: {
      kind: 'value',
      value: '<duration>',
      description: `younger than this is in flight, not inconsistent (default ${DEFAULT_GRACE_SECONDS / 60}m)`,
    },
  },
  example: 'npm run cometflow -- reconcile --day 2026-11-22',
  prepare: (parsed) => {
    const day = text(parsed, 'day');
    if (day !== undefined && !dayPattern.test(day))
      throw new UsageError(`--day "${day}" is not a day; expected YYYY-MM-DD, for example 2026-11-22`);
    return {
      ...(day === undefined ? {} : { day }),
      graceSeconds: durationSeconds('grace', text(parsed, 'grace'), DEFAULT_GRACE_SECONDS),
      json: parsed.flags.json === true,
    };
  },
  run: async ({ day, graceSeconds, json }, { description, clients, print }) => {
    const report = await reconcile({ description, clients }, { ...(day === undefined ? {} : { day }), graceSeconds });
    if (json) print(JSON.stringify(report, null, 2));
    else for (const line of formatReconcile(report)) print(line);
    // Inconsistent is an answer, but not a success: scripts and alarms can tell.
    if (!report.consistent)
      throw new CliError(`${report.findings.length} inconsistencies on ${report.day} (listed above)`, { exitCode: 1 });
  },
};

const consoleCommand: PreparedCommand = {
  name: 'console',
  summary:
    'the operator console in the browser, on 127.0.0.1: overview, cycles, trace, failures, live; ' +
    'redrive after a confirmation',
  positionals: [],
  flags: ConsoleFlags,
  example: 'npm run cometflow -- console --port 8080',
  prepare: () => {
    throw new UsageError('console is served, not run against a stack');
  },
  serve: prepareConsole,
};

/** Every command, in the order the usage lists them. */
export const Commands: readonly PreparedCommand[] = [
  define(statusCommand),
  define(traceCommand),
  define(eventsCommand),
  define(replayCommand),
  define(cycleCommand),
  define(dlqCommand),
  define(failuresCommand),
  define(reconcileCommand),
  define(rebuildStatusCommand),
  consoleCommand,
];
