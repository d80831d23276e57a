import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { evaluate } from './engine.ts';
import { describeOutcome, dryRun, MemoryJoinStore, type Outcome } from './memory-store.ts';
import { PendingEventTypes } from './pending-events.ts';
import { loadRuleSet } from './schema.ts';
import {
  chunkIngested, fileAvailable, forecastIngested, productGenerated, ReferenceTargets, referenceRuleFile, shuffled,
} from './testing.ts';

const ruleSet = loadRuleSet(referenceRuleFile(), { targets: ReferenceTargets });
const JOIN = 'join-fci-cycle';
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** The chunks of cycle `cycle` (default 61), all arriving before the cycle's deadline. */
const chunks = (numbers: readonly number[], cycle = 61): CometEvent[] => numbers.map((chunk) => chunkIngested({ chunk, cycle }));
const forecast = forecastIngested({ validTime: '2026-11-22T12:00:00.000Z' });

const sent = (outcomes: readonly Outcome[]) => outcomes.filter((outcome): outcome is Extract<Outcome, { kind: 'sent' }> => outcome.kind === 'sent');
const ofKind = <K extends Outcome['kind']>(outcomes: readonly Outcome[], kind: K) =>
  outcomes.filter((outcome): outcome is Extract<Outcome, { kind: K }> => outcome.kind === kind);
const processing = (outcome: Extract<Outcome, { kind: 'sent' }> | undefined) =>
  outcome?.command as CometEvent<typeof EventTypes.processingRequested> | undefined;

describe('MemoryJoinStore', () => {
  it('fires exactly one processing request for 41 chunks and a forecast in shuffled order with duplicates', () => {
    // Prepare
    const events = [...chunks(range(1, 41)), forecast];
    const duplicated = [...events, ...shuffled(events, 7).slice(0, 5), chunkIngested({ chunk: 9, id: 'second-upload-of-9' })];
    const store = new MemoryJoinStore(ruleSet);

    // Act
    const outcomes = shuffled(duplicated, 42).flatMap((event) => store.apply(event, evaluate(ruleSet, event)));

    // Assess
    const commands = sent(outcomes);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({ rule: JOIN, triggerKey: '20261122-061', target: 'process-bulk', degraded: false, missing: [] });
    const inputs = processing(commands[0])!.data.inputs;
    expect(inputs).toHaveLength(42);
    expect(inputs.map((input) => input.sha256)).toEqual([
      ...range(1, 41).map((chunk) => chunkIngested({ chunk }).data.ingested.sha256), forecast.data.ingested.sha256,
    ]);
    expect(ofKind(outcomes, 'duplicate').length).toBeGreaterThanOrEqual(5);
    expect(store.join(JOIN, '20261122-061')?.closed).toEqual({ by: 'fired', degraded: false, missing: [] });
  });

  it('fires when the forecast arrives after the last chunk', () => {
    // Prepare
    const store = new MemoryJoinStore(ruleSet);
    const beforeForecast = chunks(range(1, 41)).flatMap((event) => store.handle(event));

    // Act
    const outcomes = store.handle({ ...forecast, time: '2026-11-22T10:12:00.000Z' });

    // Assess
    expect(sent(beforeForecast)).toEqual([]);
    expect(beforeForecast.at(-1)).toEqual({ kind: 'waiting', rule: JOIN, joinKey: '20261122-061', waitingFor: ['forecast'] });
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['reference', 'sent']);
    expect(processing(sent(outcomes)[0])).toMatchObject({ causationid: forecast.id, correlationid: 'cycle-20261122-061' });
  });

  it('serves only the cycles within range of the forecast', () => {
    // Prepare
    const store = new MemoryJoinStore(ruleSet);
    const early = chunks(range(1, 41), 1);
    const late = chunks(range(1, 41), 61);
    // Applied without running deadlines: both cycles wait, complete, for a forecast.
    [...early, ...late].forEach((event) => store.apply(event, evaluate(ruleSet, event)));

    // Act
    const outcomes = store.apply(forecast, evaluate(ruleSet, forecast));

    // Assess
    expect(sent(outcomes).map((outcome) => outcome.triggerKey)).toEqual(['20261122-061']);
    expect(store.join(JOIN, '20261122-001')?.closed).toBeUndefined();
  });

  it('fires degraded at the deadline listing the 3 missing chunks', () => {
    // Prepare
    const store = new MemoryJoinStore(ruleSet);
    [forecast, ...chunks(range(1, 41).filter((chunk) => ![2, 20, 41].includes(chunk)))].forEach((event) => store.handle(event));

    // Act
    const outcomes = store.advanceTo('2026-11-22T10:15:00.000Z');

    // Assess
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ kind: 'sent', degraded: true, missing: ['2', '20', '41'] });
    const command = processing(sent(outcomes)[0])!;
    expect(command.data).toMatchObject({ degraded: true, missing: ['2', '20', '41'] });
    expect(command.data.inputs).toHaveLength(39);
    expect(command.time).toBe('2026-11-22T10:15:00.000Z');
  });

  it('does not run a deadline before it is due', () => {
    // Prepare
    const store = new MemoryJoinStore(ruleSet);
    [forecast, ...chunks(range(1, 40))].forEach((event) => store.handle(event));

    // Act
    const outcomes = store.advanceTo('2026-11-22T10:14:59.999Z');

    // Assess
    expect(outcomes).toEqual([]);
  });

  it('abandons the cycle at the deadline when less than the minimum share arrived', () => {
    // Prepare
    const store = new MemoryJoinStore(ruleSet);
    [forecast, ...chunks(range(1, 32))].forEach((event) => store.handle(event));

    // Act
    const outcomes = store.flushDeadlines();

    // Assess
    expect(outcomes).toHaveLength(1);
    const [abandoned] = ofKind(outcomes, 'abandoned');
    expect(abandoned?.reason).toBe('only 32 of 41 inputs arrived by the deadline (78 %, at least 80 % required)');
    expect(abandoned?.event).toMatchObject({ type: PendingEventTypes.cycleAbandoned, data: { arrivedCount: 32, missing: range(33, 41).map(String) } });
    expect(store.join(JOIN, '20261122-061')?.closed?.by).toBe('abandoned');
  });

  it('abandons a complete cycle whose forecast never came', () => {
    // Prepare
    const store = new MemoryJoinStore(ruleSet);
    chunks(range(1, 41)).forEach((event) => store.handle(event));

    // Act
    const outcomes = [...store.flushDeadlines(), ...store.handle(forecast)];

    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['abandoned', 'reference']);
    expect(ofKind(outcomes, 'abandoned')[0]?.event.data.missing).toEqual(['forecast']);
  });

  it('reports a chunk that arrives after its cycle fired as late, once', () => {
    // Prepare
    const store = new MemoryJoinStore(ruleSet);
    [forecast, ...chunks(range(1, 40))].forEach((event) => store.handle(event));
    const fired = store.flushDeadlines();
    const trailer = chunkIngested({ chunk: 41, time: new Date('2026-11-22T10:30:00Z') });

    // Act
    const outcomes = [...store.handle(trailer), ...store.handle({ ...trailer, id: 'trailer-again' }), ...store.handle(chunkIngested({ chunk: 7 }))];

    // Assess
    expect(sent(fired)).toHaveLength(1);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['late', 'duplicate', 'duplicate']);
    const [late] = ofKind(outcomes, 'late');
    expect(late?.event).toMatchObject({ type: PendingEventTypes.inputLate, data: { slot: '41', closedBy: sent(fired)[0]?.command.id } });
    expect(store.join(JOIN, '20261122-061')?.late).toEqual(['41']);
  });

  it('sends a forward command once however often its event comes', () => {
    // Prepare
    const store = new MemoryJoinStore(ruleSet);
    const event = productGenerated();

    // Act
    const outcomes = [event, { ...event, id: 'redelivered' }, event].flatMap((copy) => store.handle(copy));

    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['sent', 'already-fired', 'already-fired']);
  });

  it('runs the deadlines due before an event when it handles the event', () => {
    // Prepare
    const store = new MemoryJoinStore(ruleSet);
    [forecast, ...chunks(range(1, 38))].forEach((event) => store.handle(event));
    const nextCycle = chunkIngested({ chunk: 1, cycle: 62 });

    // Act
    const outcomes = store.handle({ ...nextCycle, time: '2026-11-22T10:16:00.000Z' });

    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['sent', 'collected']);
    expect(outcomes[0]).toMatchObject({ triggerKey: '20261122-061', degraded: true });
  });
});

describe('dryRun', () => {
  it('prints one line per decision for a replayed sequence', () => {
    // Prepare
    const events = [fileAvailable({ size: 2_000_000_000, key: 'S1D11221200112218001' }), forecast, ...chunks([1, 2]), productGenerated()];

    // Act
    const lines = dryRun(ruleSet, events).map(describeOutcome);

    // Assess
    expect(lines).toEqual([
      expect.stringMatching(/^ingest-available-file: send cometflow\.ingest\.requested \w{32} to ingest-container \(trigger eumetsat\/S1D11221200112218001#\w+ priority bulk\)$/),
      'join-fci-cycle: reference forecast at 2026-11-22T12:00:00.000Z recorded (ecmwf/2026/11/22/S1D11220600112212001)',
      'join-fci-cycle: join 20261122-061 collects slot 1 (1/41)',
      'join-fci-cycle: join 20261122-061 collects slot 2 (2/41)',
      // The product event comes at 10:16, after the cycle's deadline at 10:15: the deadline runs first.
      expect.stringMatching(/^join-fci-cycle: join 20261122-061 abandoned \(only 2 of 41 inputs arrived by the deadline \(4 %, at least 80 % required\)\); emit cometflow\.cycle\.abandoned \w{32}$/),
      expect.stringMatching(/^deliver-product: send cometflow\.delivery\.requested \w{32} to deliver \(trigger 70cf47380b9674f26bc8432dc68cdf0c\)$/),
    ]);
  });

  it('leaves pending deadlines alone when told to', () => {
    // Prepare
    const events = chunks([1]);

    // Act
    const outcomes = dryRun(ruleSet, events, { flushDeadlines: false });

    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['collected']);
  });

  it('describes degraded commands, waits, duplicates and late inputs', () => {
    // Prepare
    const events = [...chunks(range(1, 41)), ...chunks([1]), { ...forecast, time: '2026-11-22T10:11:00.000Z' }];
    const store = new MemoryJoinStore(ruleSet);
    const outcomes = events.flatMap((event) => store.handle(event));
    const degradedRun = dryRun(ruleSet, [forecast, ...chunks(range(1, 40)), chunkIngested({ chunk: 41, time: new Date('2026-11-22T10:20:00Z') })]);

    // Act
    const lines = [...outcomes.slice(-4), ...degradedRun.slice(-2)].map(describeOutcome);

    // Assess
    expect(lines).toEqual([
      'join-fci-cycle: join 20261122-061 waits for forecast',
      'join-fci-cycle: join 20261122-061 already has slot 1, duplicate ignored',
      'join-fci-cycle: reference forecast at 2026-11-22T12:00:00.000Z recorded (ecmwf/2026/11/22/S1D11220600112212001)',
      expect.stringMatching(/^join-fci-cycle: send cometflow\.processing\.requested \w{32} to process-bulk \(trigger 20261122-061 priority bulk\)$/),
      expect.stringMatching(/^join-fci-cycle: send cometflow\.processing\.requested \w{32} to process-bulk \(trigger 20261122-061 priority bulk DEGRADED, missing 41\)$/),
      expect.stringMatching(/^join-fci-cycle: slot 41 of join 20261122-061 is late; emit cometflow\.input\.late \w{32}$/),
    ]);
  });
});
