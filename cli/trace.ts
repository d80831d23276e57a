/**
 * `trace <inbox key | cycle id | product id>`: where something is, from the status read model
 * (the projection of the event store, `functions/projector/`): every stage it reached with its
 * time, its current state, and in plain words why it is stuck. A file that is a chunk of a cycle
 * also shows the cycle, since "my file is ingested but nothing came of it" is answered there.
 * `traceOf` returns plain data; the console calls it as the CLI does.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadPipelineRules } from '#functions/scheduler/rule-set.ts';
import {
  FORECAST_WAIT,
  ranges,
  type CycleView,
  type EntityKind,
  type EntityRef,
  type EntityView,
  type FileView,
} from '#functions/projector/logic.ts';
import { readView, readViewsOfDay } from '#functions/projector/status-store.ts';
import type { FailureRecord } from '#shared/stage/failure-records.ts';
import { failuresOfCorrelation } from './failures.ts';

/** What a trace argument names. */
export function entityOfArgument(argument: string): EntityRef {
  const cycle = /^(?:cycle-)?(\d{8}-\d{3})$/.exec(argument);
  if (cycle !== null) return { kind: 'cycle', id: cycle[1]! };
  if (/^(?:product-)?[0-9a-f]{32}$/.test(argument)) return { kind: 'product', id: argument.replace(/^product-/, '') };
  return { kind: 'file', id: argument.replace(/^s3:\/\/[^/]+\//, '') };
}

/** A trace: the entity's view, the views it hangs on, and the stuck explanation. */
export interface Trace {
  readonly found: true;
  readonly entity: EntityRef;
  readonly view: EntityView;
  /** For a chunk: its cycle's view. */
  readonly cycle?: CycleView;
  /** Why it is not done, in words; empty when it is done. */
  readonly why: readonly string[];
  /** Messages about it a stage gave up on after its last stage change (they went to a DLQ). */
  readonly failures?: readonly FailureRecord[];
}

/** Nothing known under that argument: what was looked for and the nearest known ids. */
export interface NotFound {
  readonly found: false;
  readonly entity: EntityRef;
  readonly suggestions: readonly string[];
}

/** Levenshtein distance, for suggestions. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The known ids closest to `id`, at most `count`. */
export function nearest(id: string, known: readonly string[], count = 3): string[] {
  return [...known]
    .map((k) => [k, distance(id, k)] as const)
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, count)
    .map(([k]) => k);
}

/** The days to look for neighbours of an id in: the day its name carries, or the last two. */
export function daysToSearch(entity: EntityRef, now: Date): string[] {
  const stamp =
    entity.kind === 'cycle'
      ? /^(\d{4})(\d{2})(\d{2})/.exec(entity.id)
      : (/_(\d{4})(\d{2})(\d{2})\d{6}_\d{4}_\d{4}\.nc$/.exec(entity.id) ??
        /_OPE_(\d{4})(\d{2})(\d{2})/.exec(entity.id));
  if (stamp !== null) return [`${stamp[1]}-${stamp[2]}-${stamp[3]}`];
  const today = now.toISOString().slice(0, 10);
  return [today, new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10)];
}

/** The DLQ a stage's messages go to, in words (the stage's queue role). */
const queueWords = (failure: FailureRecord): string => `the ${failure.stage} DLQ (${failure.queue})`;

/** A failure record in words: where its message went and why. */
export const failureWords = (failure: FailureRecord): string =>
  `in ${queueWords(failure)} after ${failure.receiveCount} receives since ${failure.failedAt}: ${failure.code}: ${failure.reason}`;

/**
 * The failure records that concern `view` and came after its last stage change: a failure the
 * entity moved on from since (a rerun that worked) no longer explains it.
 */
export function failuresOf(view: EntityView, records: readonly FailureRecord[]): FailureRecord[] {
  const last = Object.values(view.stages).sort().at(-1) ?? '';
  // A cycle's failures are its correlation's; a file or product is named in the record somewhere.
  const concerns = (r: FailureRecord): boolean => view.kind === 'cycle' || JSON.stringify(r).includes(view.id);
  return records.filter((r) => r.failedAt >= last && concerns(r));
}

/** Why a view is not done, in words. */
export function whyOf(view: EntityView, cycle?: CycleView, failures: readonly FailureRecord[] = []): string[] {
  const why: string[] = failures.map(failureWords);
  if (view.lastError !== undefined) {
    why.push(
      view.kind === 'file' && view.stage === 'quarantined'
        ? `quarantined: ${view.lastError.code}: ${view.lastError.reason}`
        : `${view.lastError.code}: ${view.lastError.reason}`,
    );
  }
  if (view.waitingFor.length > 0) why.push(`waiting for ${view.waitingFor.join('; ')}`);
  if (cycle !== undefined && view.kind === 'file' && view.stage === 'ingested' && cycle.waitingFor.length > 0) {
    why.push(`its cycle ${cycle.id} is ${cycle.stage}, waiting for ${cycle.waitingFor.join('; ')}`);
  }
  return why;
}

/**
 * The trace of what `argument` names, or the nearest known ids when the read model does not
 * know it.
 *
 * @example
 * const trace = await traceOf(documents, statusTable, '20261122-061');
 * if (trace.found) console.log(trace.why);
 */
export async function traceOf(
  db: DynamoDBDocumentClient,
  table: string,
  argument: string,
  now = new Date(),
  options: { readonly failuresTable?: string } = {},
): Promise<Trace | NotFound> {
  const entity = entityOfArgument(argument);
  const view = await readView(db, table, entity);
  if (view === undefined) {
    const known: string[] = [];
    for (const day of daysToSearch(entity, now))
      known.push(...(await readViewsOfDay(db, table, entity.kind, day)).map((v) => v.id));
    return { found: false, entity, suggestions: nearest(entity.id, known) };
  }
  let cycle: CycleView | undefined;
  if (view.kind === 'file') {
    const cycleId = /^cycle-(\d{8}-\d{3})$/.exec((view as FileView).correlationId ?? '')?.[1];
    if (cycleId !== undefined)
      cycle = (await readView(db, table, { kind: 'cycle', id: cycleId })) as CycleView | undefined;
  }
  const collecting = view.kind === 'cycle' ? view : cycle;
  const forecast =
    collecting?.stage === 'collecting' && collecting.window !== undefined
      ? await forecastFor(db, table, collecting.window.start, now)
      : undefined;
  const resolve = (v: CycleView | undefined): CycleView | undefined =>
    v === undefined ? undefined : withForecast(v, forecast);
  const shown = view.kind === 'cycle' ? resolve(view)! : view;
  const shownCycle = resolve(cycle);
  const correlationId = view.kind === 'cycle' ? `cycle-${view.id}` : view.correlationId;
  const failures =
    options.failuresTable === undefined || correlationId === undefined
      ? []
      : failuresOf(shown, await failuresOfCorrelation(db, options.failuresTable, correlationId));
  return {
    found: true,
    entity,
    view: shown,
    ...(shownCycle === undefined ? {} : { cycle: shownCycle }),
    why: whyOf(shown, shownCycle, failures),
    ...(failures.length === 0 ? {} : { failures }),
  };
}

/** The forecast requirement of the join rules: how far a forecast's valid time may be from the cycle's start. */
function forecastWindow(): { beforeMs: number; afterMs: number } | undefined {
  for (const rule of loadPipelineRules().rules) {
    if (rule.kind !== 'join') continue;
    const requirement = rule.requirements.find((r) => r.name === 'forecast');
    if (requirement !== undefined) return { beforeMs: requirement.beforeMs, afterMs: requirement.afterMs };
  }
  return undefined;
}

/** An ingested forecast whose valid time the join rule accepts for a cycle starting at `start`. */
async function forecastFor(
  db: DynamoDBDocumentClient,
  table: string,
  start: string,
  now: Date,
): Promise<FileView | undefined> {
  const window = forecastWindow();
  if (window === undefined) return undefined;
  const at = Date.parse(start);
  const days = new Set([
    start.slice(0, 10),
    new Date(at - 86_400_000).toISOString().slice(0, 10),
    now.toISOString().slice(0, 10),
  ]);
  for (const day of days) {
    for (const file of (await readViewsOfDay(db, table, 'file', day)) as FileView[]) {
      if (file.stage !== 'ingested' || file.validTime === undefined) continue;
      const valid = Date.parse(file.validTime);
      if (valid >= at - window.beforeMs && valid <= at + window.afterMs) return file;
    }
  }
  return undefined;
}

/** A collecting cycle with its forecast named when one is in (it then waits only for chunks). */
function withForecast(cycle: CycleView, forecast: FileView | undefined): CycleView {
  if (forecast === undefined || !cycle.waitingFor.includes(FORECAST_WAIT)) return cycle;
  return {
    ...cycle,
    waitingFor: cycle.waitingFor.filter((w) => w !== FORECAST_WAIT),
    forecast: forecast.id,
  } as CycleView;
}

const kindWords: Record<EntityKind, string> = { file: 'file', cycle: 'cycle', product: 'product' };

/** A trace as text. */
export function formatTrace(trace: Trace | NotFound): string[] {
  if (!trace.found) {
    return [
      `no ${kindWords[trace.entity.kind]} "${trace.entity.id}" in the status read model`,
      trace.suggestions.length === 0
        ? `  no ${trace.entity.kind} of that day is known either`
        : `  did you mean: ${trace.suggestions.join('  |  ')}`,
    ];
  }
  const { view } = trace;
  const lines = [`${view.kind} ${view.id}: ${view.stage}`];
  for (const [stage, at] of Object.entries(view.stages).sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))) {
    lines.push(`  ${at}  ${stage}`);
  }
  if (view.kind === 'file') {
    if (view.archiveKey !== undefined) lines.push(`  archive     ${view.archiveKey}`);
    if (view.quarantineKey !== undefined) lines.push(`  quarantine  ${view.quarantineKey}`);
    if (view.arrivalLatenessSeconds !== undefined)
      lines.push(`  arrived     ${view.arrivalLatenessSeconds} s after its sensing end (or analysis time)`);
    lines.push(`  uploads     ${view.attempts}`);
  }
  if (view.kind === 'cycle') {
    if (view.window !== undefined) lines.push(`  window      ${view.window.start} .. ${view.window.end}`);
    lines.push(
      `  ingested    ${view.ingested.length}/41: ${ranges(view.ingested)}`,
      `  missing     ${ranges(view.missing)}`,
    );
    if (view.fired !== undefined)
      lines.push(
        `  fired       ${view.fired.inputs} inputs, ${view.fired.degraded ? `DEGRADED, missing ${view.fired.missing.join(',')}` : 'complete'}`,
      );
    if (view.productIds.length > 0) lines.push(`  product     ${view.productIds.join(', ')}`);
    if (view.late.length > 0) lines.push(`  late        slots ${view.late.join(', ')}`);
    if (view.forecast !== undefined) lines.push(`  forecast    ${view.forecast} is in`);
  }
  if (view.kind === 'product') {
    if (view.productType !== undefined) lines.push(`  type        ${view.productType} (${view.correlationId ?? '?'})`);
    if (view.timelinessSeconds !== undefined)
      lines.push(`  timeliness  ${view.timelinessSeconds} s from the nominal end to delivery`);
  }
  if (trace.cycle !== undefined) lines.push(`  cycle       ${trace.cycle.id}: ${trace.cycle.stage}`);
  lines.push(
    trace.why.length === 0
      ? '  why         done, nothing is waiting'
      : `  why         ${trace.why.join('\n              ')}`,
  );
  return lines;
}
