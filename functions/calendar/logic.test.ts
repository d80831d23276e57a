import { describe, expect, it } from 'vitest';
import { EventTypes } from '#events/registry.ts';
import { eventSchemaOf } from '#events/registry.ts';
import { loadCalendar } from './calendar.ts';
import { checkCalendar, dueWindows, parseCalendar } from './logic.ts';

const calendar = loadCalendar();
const fci = calendar.cycles.find((c) => c.name === 'fci-cycles')!;

describe('the delivery calendar', () => {
  it('finds the FCI cycles due in the lookback: each 10 minutes, due 5 minutes after its end', () => {
    // Act: at 10:27:00 with 30 minutes back, cycles ending 09:55 (due 10:00) .. 10:20 (due 10:25) are due.
    const windows = dueWindows(fci, new Date('2026-11-22T10:27:00Z'), 30);

    // Assess
    expect(windows.map((w) => w.id)).toEqual(['20261122-060', '20261122-061', '20261122-062']);
    expect(windows[1]).toEqual({
      id: '20261122-061',
      start: '2026-11-22T10:00:00.000Z',
      end: '2026-11-22T10:10:00.000Z',
      dueAt: '2026-11-22T10:15:00.000Z',
    });
  });

  it('numbers the first cycle after midnight 001, and the last of the day 144', () => {
    expect(dueWindows(fci, new Date('2026-11-23T00:15:00Z'), 11).map((w) => w.id)).toEqual([
      '20261122-144',
      '20261123-001',
    ]);
  });

  it('raises input.missing once per cycle nothing came for, and provider.silent for a quiet provider, each valid', async () => {
    // Prepare: cycle 061 has files, 060 and 062 none; ecmwf sent something, eumetsat nothing.
    const now = new Date('2026-11-22T10:27:00Z');
    const deps = {
      now: () => now,
      hasArrived: async (correlationId: string) => correlationId === 'cycle-20261122-061',
      arrivedBetween: async (prefixes: readonly string[]) => prefixes.includes('forecast-'),
    };

    // Act
    const raised = await checkCalendar(calendar, deps);
    const again = await checkCalendar(calendar, deps);

    // Assess
    expect(raised.map((e) => [e.type, e.subject, e.correlationid])).toEqual([
      [EventTypes.inputMissing, '20261122-060', 'cycle-20261122-060'],
      [EventTypes.inputMissing, '20261122-062', 'cycle-20261122-062'],
      [EventTypes.providerSilent, 'eumetsat', 'provider-eumetsat'],
    ]);
    expect(again.map((e) => e.id)).toEqual(raised.map((e) => e.id));
    for (const event of raised) expect(eventSchemaOf(event.type).safeParse(event).success).toBe(true);
    expect(raised[1]!.data).toMatchObject({
      expectedFiles: 41,
      dueAt: '2026-11-22T10:25:00.000Z',
      provider: 'eumetsat',
    });
  });

  it('refuses a calendar whose cycle length does not divide a day, naming the field', () => {
    expect(() => parseCalendar({ ...calendar, cycles: [{ ...fci, everyMinutes: 7 }] }, 'x.json')).toThrow(
      /x.json is not a valid delivery calendar:[\s\S]*must divide 1440/,
    );
  });
});
