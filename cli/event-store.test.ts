import { describe, expect, it } from 'vitest';
import { chunkIngested } from '#shared/rules/testing.ts';
import { eventItemOf, guardItemOf } from '../functions/scheduler/event-store.ts';
import { byTime, daysOf, formatEvents, parseWindow, selectionOf, storedEventOf, table } from './event-store.ts';

describe('parseWindow', () => {
  it('normalizes both ends to UTC instants with milliseconds, a day alone meaning its midnight', () => {
    expect(parseWindow('2026-11-22T10:00:00Z', '2026-11-22T14:30:00+02:00')).toEqual({
      from: '2026-11-22T10:00:00.000Z',
      to: '2026-11-22T12:30:00.000Z',
    });
    expect(parseWindow('2026-11-22', '2026-11-23')).toEqual({
      from: '2026-11-22T00:00:00.000Z',
      to: '2026-11-23T00:00:00.000Z',
    });
  });

  it('refuses a time without a zone, an empty window and one longer than a month', () => {
    expect(() => parseWindow('2026-11-22T10:00:00', '2026-11-23')).toThrow(
      '--from "2026-11-22T10:00:00" is not an ISO-8601 time with a zone',
    );
    expect(() => parseWindow('2026-11-22T10:00:00Z', '2026-11-22T10:00:00Z')).toThrow(/is not before --to/);
    expect(() => parseWindow('2026-01-01', '2026-03-01')).toThrow('The window spans 59 days; at most 31 at once');
  });
});

describe('daysOf', () => {
  it('lists the days a half-open window touches', () => {
    expect(daysOf({ from: '2026-11-22T23:00:00.000Z', to: '2026-11-24T00:00:00.000Z' })).toEqual([
      '2026-11-22',
      '2026-11-23',
    ]);
    expect(daysOf({ from: '2026-11-22T10:00:00.000Z', to: '2026-11-22T10:00:01.000Z' })).toEqual(['2026-11-22']);
  });
});

describe('selectionOf', () => {
  it('selects a correlation or a window', () => {
    expect(selectionOf({ correlation: 'cycle-20261122-061' })).toEqual({
      kind: 'correlation',
      correlationId: 'cycle-20261122-061',
    });
    expect(selectionOf({ from: '2026-11-22', to: '2026-11-23' }).kind).toBe('window');
  });

  it('refuses both, neither, and half a window', () => {
    expect(() => selectionOf({ correlation: 'c', from: '2026-11-22' })).toThrow('not both');
    expect(() => selectionOf({})).toThrow(/--correlation <id>/);
    expect(() => selectionOf({ from: '2026-11-22' })).toThrow('--to is missing');
  });
});

describe('storedEventOf', () => {
  it('reads an event item and skips guard items', () => {
    // Prepare
    const event = chunkIngested({ chunk: 4 });
    // The items exactly as the scheduler's appender writes them: a round trip of writer and reader.
    const item = eventItemOf(event, 0);

    // Act
    const stored = storedEventOf(item);

    // Assess
    expect(stored).toEqual({
      correlationId: 'cycle-20261122-061',
      time: event.time,
      id: event.id,
      type: event.type,
      source: 'cometflow/ingest',
      subject: event.subject,
      event,
    });
    expect(storedEventOf(guardItemOf(event, 0))).toBeUndefined();
  });
});

describe('formatting', () => {
  it('lists events oldest first in aligned columns', () => {
    // Prepare
    const events = [chunkIngested({ chunk: 2 }), chunkIngested({ chunk: 1 })].map(
      (e) => storedEventOf({ pk: e.correlationid, event: JSON.stringify(e) })!,
    );

    // Act
    const lines = formatEvents(events.sort(byTime));

    // Assess
    expect(lines[0]).toMatch(/^time {22}type {21}subject/);
    expect(lines[1]).toContain('2026-11-22T10:00:20.000Z  cometflow.file.ingested  eumetsat/');
    expect(lines).toHaveLength(3);
  });

  it('pads every column but the last', () => {
    expect(
      table([
        ['a', 'bb', 'c'],
        ['ccc', 'd', 'e'],
      ]),
    ).toEqual(['a    bb  c', 'ccc  d   e']);
  });
});
