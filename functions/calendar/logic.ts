/**
 * The delivery calendar's check: from the calendar (data beside the rules,
 * `rules/expected-deliveries.json`) and what the event store holds, the inputs that should have
 * come and did not (`cometflow.input.missing`) and the providers that went quiet
 * (`cometflow.provider.silent`). Pure: the reads come in as functions.
 *
 * Event ids are derived from what they report (the expectation and the cycle; the provider and
 * the quiet period), so checks that overlap, run twice or retry raise each once: the event
 * store appends an id once.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { wrap } from '#shared/envelope/envelope.ts';

/** The `source` of the events the check raises. */
export const CalendarSource = 'cometflow/calendar';

const ProviderSchema = z.enum(['eumetsat', 'ecmwf']);

/** A calendar file: validated when the app is synthesized and when the check starts. */
export const CalendarSchema = z.strictObject({
  description: z.string().optional(),
  /** How far back each check looks for due windows: checks may be late or skipped without losing one. */
  lookbackMinutes: z
    .number()
    .int()
    .positive()
    .max(24 * 60),
  cycles: z.array(
    z.strictObject({
      name: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
      provider: ProviderSchema,
      description: z.string().optional(),
      /** The correlation of a window is this prefix and its id `YYYYMMDD-NNN`. */
      correlationPrefix: z.string().min(1),
      /** Windows start at midnight UTC and follow each other every this many minutes; it must divide a day. */
      everyMinutes: z
        .number()
        .int()
        .positive()
        .refine((m) => 1440 % m === 0, 'must divide 1440 (a day in minutes)'),
      files: z.number().int().positive(),
      graceMinutes: z.number().int().nonnegative(),
    }),
  ),
  silence: z.array(
    z.strictObject({
      provider: ProviderSchema,
      /** Correlations of this provider's files. */
      correlationPrefixes: z.array(z.string().min(1)).min(1),
      afterMinutes: z.number().int().positive(),
    }),
  ),
});
export type Calendar = z.infer<typeof CalendarSchema>;
export type CycleExpectation = Calendar['cycles'][number];

/** Validates a calendar, naming the bad field. */
export function parseCalendar(candidate: unknown, from = 'the calendar'): Calendar {
  const parsed = CalendarSchema.safeParse(candidate);
  if (!parsed.success) throw new Error(`${from} is not a valid delivery calendar: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** One expected window of a cycle expectation. */
export interface DueWindow {
  /** `YYYYMMDD-NNN`, NNN counted from 1 at midnight UTC. */
  readonly id: string;
  readonly start: string;
  readonly end: string;
  /** End plus grace. */
  readonly dueAt: string;
}

/** The windows whose due time falls in `(now - lookback, now]`, oldest first. */
export function dueWindows(expectation: CycleExpectation, now: Date, lookbackMinutes: number): DueWindow[] {
  const every = expectation.everyMinutes * 60_000;
  const grace = expectation.graceMinutes * 60_000;
  const from = now.getTime() - lookbackMinutes * 60_000;
  const windows: DueWindow[] = [];
  // The first window that ends (plus grace) after `from`.
  for (let end = Math.floor((from - grace) / every) * every + every; end + grace <= now.getTime(); end += every) {
    if (end + grace <= from) continue;
    const start = end - every;
    const midnight = Math.floor(start / 86_400_000) * 86_400_000;
    const index = Math.round((start - midnight) / every) + 1;
    const day = new Date(midnight).toISOString().slice(0, 10).replaceAll('-', '');
    windows.push({
      id: `${day}-${String(index).padStart(3, '0')}`,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      dueAt: new Date(end + grace).toISOString(),
    });
  }
  return windows;
}

/** What the check reads. */
export interface CalendarDeps {
  readonly now: () => Date;
  /** Whether any file of this correlation was announced (`file.available`). */
  readonly hasArrived: (correlationId: string) => Promise<boolean>;
  /** Whether any file under these correlation prefixes was announced in `[from, to]`. */
  readonly arrivedBetween: (prefixes: readonly string[], from: string, to: string) => Promise<boolean>;
}

const idOf = (...parts: readonly string[]): string =>
  createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);

/**
 * The events the calendar raises now.
 *
 * @example
 * const raised = await checkCalendar(calendar, { now: () => new Date(), hasArrived, arrivedBetween });
 */
export async function checkCalendar(calendar: Calendar, deps: CalendarDeps): Promise<CometEvent[]> {
  const now = deps.now();
  const raised: CometEvent[] = [];
  for (const expectation of calendar.cycles) {
    for (const window of dueWindows(expectation, now, calendar.lookbackMinutes)) {
      const correlationId = `${expectation.correlationPrefix}${window.id}`;
      if (await deps.hasArrived(correlationId)) continue;
      raised.push(
        wrap({
          type: EventTypes.inputMissing,
          source: CalendarSource,
          id: idOf('input.missing', expectation.name, window.id),
          correlationId,
          time: now,
          subject: window.id,
          data: {
            expectation: expectation.name,
            provider: expectation.provider,
            expected: window.id,
            expectedFiles: expectation.files,
            windowStart: window.start,
            windowEnd: window.end,
            dueAt: window.dueAt,
          },
        }),
      );
    }
  }
  for (const quiet of calendar.silence) {
    const span = quiet.afterMinutes * 60_000;
    const since = new Date(now.getTime() - span).toISOString();
    if (await deps.arrivedBetween(quiet.correlationPrefixes, since, now.toISOString())) continue;
    // One event per quiet span: a provider silent for hours is reported once per `afterMinutes`.
    const period = String(Math.floor(now.getTime() / span));
    raised.push(
      wrap({
        type: EventTypes.providerSilent,
        source: CalendarSource,
        id: idOf('provider.silent', quiet.provider, period),
        correlationId: `provider-${quiet.provider}`,
        time: now,
        subject: quiet.provider,
        data: {
          provider: quiet.provider,
          afterMinutes: quiet.afterMinutes,
          silentSince: since,
          checkedAt: now.toISOString(),
        },
      }),
    );
  }
  return raised;
}
