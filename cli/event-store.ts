/**
 * Reading the event store (the scheduler's append-only table, `functions/scheduler/event-store.ts`):
 * the events of one correlation (a Query on `pk`), or of a time window (a Query on the `byDay`
 * index, partition `day`, sort key `sk = <time>#<id>`, for each day of the window). Guard items
 * (`pk = ID#<id>`, no `event`) are skipped. Every read is a Query; nothing is scanned.
 */
import { paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { CometEvent } from '#events/registry.ts';
import { UsageError } from './errors.ts';

/** The index of the event store by day (`infra/cdk/constructs/pipeline-tables.ts`). */
export const BY_DAY_INDEX = 'byDay';

/** An event as stored, with the attributes the table keeps next to it. */
export interface StoredEvent {
  readonly correlationId: string;
  readonly time: string;
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly subject?: string;
  readonly event: CometEvent;
}

/** A half-open time window `[from, to)`, as ISO-8601 UTC instants with milliseconds. */
export interface TimeWindow {
  readonly from: string;
  readonly to: string;
}

/** What to read: one correlation, or a window. */
export type Selection =
  | { readonly kind: 'correlation'; readonly correlationId: string }
  | { readonly kind: 'window'; readonly window: TimeWindow };

/** Longest window the CLI reads at once: a Query per day, and a replay of more is a migration. */
export const MAX_WINDOW_DAYS = 31;

/** Parses `--from` / `--to` into a window; throws `UsageError` naming the bad value. */
export function parseWindow(from: string, to: string): TimeWindow {
  const parse = (flag: string, value: string): string => {
    const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/i.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms))
      throw new UsageError(
        `--${flag} "${value}" is not an ISO-8601 time with a zone; expected for example 2026-11-22T10:00:00Z or 2026-11-22`,
      );
    return new Date(ms).toISOString();
  };
  const window = { from: parse('from', from), to: parse('to', to) };
  if (window.from >= window.to)
    throw new UsageError(`--from ${window.from} is not before --to ${window.to}; the window is [from, to)`);
  const days = daysOf(window).length;
  if (days > MAX_WINDOW_DAYS) throw new UsageError(`The window spans ${days} days; at most ${MAX_WINDOW_DAYS} at once`);
  return window;
}

/** The selection the flags name: `--correlation`, or `--from` with `--to`, never both. */
export function selectionOf(flags: Readonly<Record<string, string | true>>): Selection {
  const value = (name: string): string | undefined => (typeof flags[name] === 'string' ? flags[name] : undefined);
  const correlation = value('correlation');
  const from = value('from');
  const to = value('to');
  if (correlation !== undefined && (from !== undefined || to !== undefined)) {
    throw new UsageError('Give either --correlation <id> or --from <ISO> --to <ISO>, not both');
  }
  if (correlation !== undefined) return { kind: 'correlation', correlationId: correlation };
  if (from === undefined || to === undefined) {
    throw new UsageError(
      from === undefined && to === undefined
        ? 'Select events with --correlation <id> (for example cycle-20261122-061) or with --from <ISO> --to <ISO>'
        : `--${from === undefined ? 'from' : 'to'} is missing; a window needs both --from and --to`,
    );
  }
  return { kind: 'window', window: parseWindow(from, to) };
}

/** The UTC days (`YYYY-MM-DD`, the `day` attribute) a window touches. */
export function daysOf(window: TimeWindow): string[] {
  const days: string[] = [];
  const last = Date.parse(window.to) - 1;
  for (let ms = Date.parse(`${window.from.slice(0, 10)}T00:00:00.000Z`); ms <= last; ms += 86_400_000) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  return days;
}

/** An item of the table as a stored event; undefined for a guard item or anything without `event`. */
export function storedEventOf(item: Record<string, unknown>): StoredEvent | undefined {
  if (typeof item.event !== 'string' || typeof item.pk !== 'string' || item.pk.startsWith('ID#')) return undefined;
  const event = JSON.parse(item.event) as CometEvent;
  return {
    correlationId: item.pk,
    time: event.time,
    id: event.id,
    type: event.type,
    source: event.source,
    ...(event.subject === undefined ? {} : { subject: event.subject }),
    event,
  };
}

/** Oldest first, then by id: the order of the table's sort key. */
export const byTime = (a: Pick<StoredEvent, 'time' | 'id'>, b: Pick<StoredEvent, 'time' | 'id'>): number =>
  a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

async function queryAll(documents: DynamoDBDocumentClient, input: QueryCommandInput): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const page of paginateQuery({ client: documents }, input)) {
    for (const item of page.Items ?? []) {
      const stored = storedEventOf(item);
      if (stored !== undefined) events.push(stored);
    }
  }
  return events;
}

/** Every event of a correlation, oldest first. */
export async function readCorrelation(
  documents: DynamoDBDocumentClient,
  table: string,
  correlationId: string,
): Promise<StoredEvent[]> {
  const events = await queryAll(documents, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': correlationId },
    ConsistentRead: true,
  });
  return events.sort(byTime);
}

/**
 * Every event whose time is in the window, oldest first: one Query on `byDay` per day, on the
 * sort key range; `types` narrows them with a filter (read capacity is still spent on all).
 */
export async function readWindow(
  documents: DynamoDBDocumentClient,
  table: string,
  window: TimeWindow,
  options: { readonly types?: readonly string[] } = {},
): Promise<StoredEvent[]> {
  const types = options.types ?? [];
  const filter =
    types.length === 0
      ? {}
      : {
          FilterExpression: `#type IN (${types.map((_, i) => `:t${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#type': 'type' },
        };
  const typeValues = Object.fromEntries(types.map((type, i) => [`:t${i}`, type]));
  const events: StoredEvent[] = [];
  for (const day of daysOf(window)) {
    events.push(
      ...(await queryAll(documents, {
        TableName: table,
        IndexName: BY_DAY_INDEX,
        // sk is `<time>#<id>`: every sk of an instant before `to` sorts below `to` itself.
        KeyConditionExpression: '#day = :day AND sk BETWEEN :from AND :to',
        ...filter,
        ExpressionAttributeNames: { '#day': 'day', ...filter.ExpressionAttributeNames },
        ExpressionAttributeValues: { ':day': day, ':from': window.from, ':to': window.to, ...typeValues },
      })),
    );
  }
  return events.filter((e) => e.time >= window.from && e.time < window.to).sort(byTime);
}

/** The events a selection names, oldest first. */
export function readSelection(
  documents: DynamoDBDocumentClient,
  table: string,
  selection: Selection,
): Promise<StoredEvent[]> {
  return selection.kind === 'correlation'
    ? readCorrelation(documents, table, selection.correlationId)
    : readWindow(documents, table, selection.window);
}

/** One line per event: time, type, subject, id (and correlation for a window). */
export function formatEvents(
  events: readonly StoredEvent[],
  options: { readonly withCorrelation?: boolean } = {},
): string[] {
  const header = ['time', 'type', ...(options.withCorrelation === true ? ['correlation'] : []), 'subject', 'id'];
  const rows = events.map((e) => [
    e.time,
    e.type,
    ...(options.withCorrelation === true ? [e.correlationId] : []),
    e.subject ?? '-',
    e.id,
  ]);
  return table([header, ...rows]);
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
