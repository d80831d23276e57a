import { describe, expect, it } from 'vitest';
import { validateAgainstCatalog } from '#events/catalog.ts';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import {
  chooseReference,
  commandId,
  completeJoin,
  deadlineReached,
  evaluate,
  lateInput,
  matchRules,
  referenceRange,
  type CollectEffect,
  type CollectedInput,
  type JoinInput,
  type JoinState,
} from './engine.ts';
import { RuleEvaluationError } from './errors.ts';
import { loadRuleSet } from './loader.ts';
import {
  chunkIngested,
  fileAvailable,
  fileRejected,
  forecastIngested,
  productGenerated,
  ReferenceLoad,
  referenceRuleFile,
} from './testing.ts';

const GiB = 1_073_741_824;
const ruleSet = loadRuleSet(referenceRuleFile(), ReferenceLoad);
const JOIN = 'join-fci-cycle';

/** The reference rules with `edit` applied to a copy of the file (a JSON document, hence `any`). */
const rulesWith = (edit: (file: any) => void) => {
  const file = structuredClone(referenceRuleFile());
  edit(file);
  return loadRuleSet(file, ReferenceLoad);
};

const inputOf = (event: CometEvent<typeof EventTypes.fileIngested>): JoinInput => ({
  ...event.data.ingested,
  name: event.data.name,
});
const collectedOf = (chunks: readonly number[]): CollectedInput[] =>
  chunks.map((chunk) => ({ ...inputOf(chunkIngested({ chunk })), slot: String(chunk) }));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index);
const forecast = forecastIngested({ validTime: '2026-11-22T12:00:00.000Z' });

/** A join of cycle 61 with the given chunks and, unless told otherwise, the forecast. */
const joinState = (chunks: readonly number[], withForecast = true): JoinState => ({
  joinKey: '20261122-061',
  windowStart: '2026-11-22T10:00:00.000Z',
  windowEnd: '2026-11-22T10:10:00.000Z',
  correlationId: 'cycle-20261122-061',
  collected: collectedOf(chunks),
  references: { forecast: withForecast ? inputOf(forecast) : undefined },
});
const deadlineCause = { id: 'deadline-1', correlationid: 'timer', time: '2026-11-22T10:15:00.000Z' };

describe('evaluate: forward rules', () => {
  it('routes a small imager upload to the real-time ingest lane, resolved from stage and priority', () => {
    // Prepare
    const event = fileAvailable({ size: 17_336_788 });

    // Act
    const effects = evaluate(ruleSet, event);

    // Assess
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({
      kind: 'fire',
      rule: 'ingest-available-file',
      target: 'ingest',
      priority: 'realtime',
      delaySeconds: 0,
    });
  });

  it('routes an upload above 1 GiB to the ingest container, and one of exactly 1 GiB to Lambda', () => {
    // Prepare
    const large = fileAvailable({ size: GiB + 1, key: 'S1D11221200112218001' });
    const limit = fileAvailable({ size: GiB, key: 'S1D11221200112218002' });

    // Act
    const [largeEffect] = evaluate(ruleSet, large);
    const [limitEffect] = evaluate(ruleSet, limit);

    // Assess
    expect(largeEffect).toMatchObject({ kind: 'fire', target: 'ingest-container', priority: 'bulk' });
    expect(limitEffect).toMatchObject({ kind: 'fire', target: 'ingest' });
  });

  it('builds the command from the template, with an id derived from rule and trigger key', () => {
    // Prepare
    const event = fileAvailable({ size: 2048 });
    const triggerKey = `${event.data.file.key}#${event.data.file.etag}`;

    // Act
    const [effect] = evaluate(ruleSet, event);

    // Assess
    expect(effect).toEqual({
      kind: 'fire',
      rule: 'ingest-available-file',
      triggerKey,
      target: 'ingest',
      priority: 'realtime',
      delaySeconds: 0,
      command: {
        specversion: '1.0',
        id: commandId('ingest-available-file', triggerKey),
        source: 'cometflow/scheduler',
        type: EventTypes.ingestRequested,
        time: event.time,
        subject: event.data.file.key,
        dataschema: 'urn:cometflow:schema:cometflow.ingest.requested:1',
        datacontenttype: 'application/json',
        correlationid: event.correlationid,
        causationid: event.id,
        data: event.data,
      },
    });
  });

  it('substitutes each $path of a product into the delivery request', () => {
    // Prepare
    const event = productGenerated();

    // Act
    const [effect] = evaluate(ruleSet, event);

    // Assess
    expect(effect).toMatchObject({
      kind: 'fire',
      rule: 'deliver-product',
      target: 'deliver',
      triggerKey: event.data.productId,
    });
    expect(effect?.kind === 'fire' && effect.command.data).toEqual({
      productId: event.data.productId,
      productType: event.data.productType,
      product: event.data.product,
      manifest: event.data.manifest,
    });
  });

  it('gives the same command for the same event, every time', () => {
    // Prepare
    const event = productGenerated();

    // Act
    const [first, second] = [evaluate(ruleSet, event), evaluate(ruleSet, structuredClone(event))];

    // Assess
    expect(second).toEqual(first);
  });

  it('does nothing for an event no rule listens to', () => {
    // Prepare
    const event = fileRejected();

    // Act
    const effects = evaluate(ruleSet, event);

    // Assess
    expect(effects).toEqual([]);
  });

  it('does nothing when the rule condition or every route condition fails', () => {
    // Prepare
    const guarded = rulesWith((file) => {
      file.rules[2].when = { path: 'data.productType', op: 'eq', value: 'other' };
    });
    const routed = rulesWith((file) => {
      file.rules[0].routes.pop();
    });

    // Act
    const effects = [...evaluate(guarded, productGenerated()), ...evaluate(routed, fileAvailable({ size: 10 }))];

    // Assess
    expect(effects).toEqual([]);
  });

  it('escapes # in key parts so that two keys never collide', () => {
    // Prepare
    const rules = rulesWith((file) => {
      file.rules[0].key = ['data.name', 'data.file.etag'];
    });
    const event = fileAvailable({ size: 10, key: 'a#b%c' });

    // Act
    const [effect] = evaluate(rules, event);

    // Assess
    expect(effect).toMatchObject({ triggerKey: `a%23b%25c#${event.data.file.etag}` });
  });

  it('runs the rules of an event in file order', () => {
    // Prepare
    const rules = rulesWith((file) => {
      file.rules.push({
        ...structuredClone(file.rules[2]),
        name: 'deliver-again',
        routes: [{ ...file.rules[2].routes[0], emit: { ...file.rules[2].routes[0].emit, delaySeconds: 60 } }],
      });
    });

    // Act
    const effects = evaluate(rules, productGenerated());

    // Assess
    expect(effects.map((effect) => effect.kind === 'fire' && `${effect.rule}:${effect.delaySeconds}`)).toEqual([
      'deliver-product:0',
      'deliver-again:60',
    ]);
  });

  it('names the rule when an event lacks a key value', () => {
    // Prepare
    const event = {
      ...productGenerated(),
      data: { ...productGenerated().data, productId: undefined },
    } as unknown as CometEvent;

    // Act
    const act = () => evaluate(ruleSet, event);

    // Assess
    expect(act).toThrow(RuleEvaluationError);
    expect(act).toThrow(
      /^Rule "deliver-product": key path data.productId has no value in cometflow.product.generated event/,
    );
  });
});

describe('evaluate: join rules', () => {
  it('collects a chunk into its cycle with the window and the deadline', () => {
    // Prepare
    const event = chunkIngested({ chunk: 17 });

    // Act
    const effects = evaluate(ruleSet, event);

    // Assess
    expect(effects).toEqual([
      {
        kind: 'collect',
        rule: JOIN,
        joinKey: '20261122-061',
        slot: '17',
        expectedCount: 41,
        input: inputOf(event),
        windowStart: '2026-11-22T10:00:00.000Z',
        windowEnd: '2026-11-22T10:10:00.000Z',
        deadlineAt: '2026-11-22T10:15:00.000Z',
        correlationId: 'cycle-20261122-061',
      },
    ]);
  });

  it('collects the trailer as slot 41', () => {
    // Prepare
    const event = chunkIngested({ chunk: 41 });

    // Act
    const [effect] = evaluate(ruleSet, event);

    // Assess
    expect(effect).toMatchObject({ kind: 'collect', slot: '41' });
  });

  it('records a forecast as a reference for the cycles within 3 hours of its valid time', () => {
    // Prepare
    const event = forecastIngested({ validTime: '2026-11-22T12:00:00Z' });

    // Act
    const effects = evaluate(ruleSet, event);

    // Assess
    expect(effects).toEqual([
      {
        kind: 'reference',
        rule: JOIN,
        requirement: 'forecast',
        time: '2026-11-22T12:00:00.000Z',
        input: inputOf(event),
        servesFrom: '2026-11-22T09:00:00.000Z',
        servesTo: '2026-11-22T15:00:00.000Z',
      },
    ]);
  });

  it('refuses a slot outside the expected range, naming the rule', () => {
    // Prepare
    const rules = rulesWith((file) => {
      file.rules[1].collect.expected.to = 40;
    });

    // Act
    const act = () => evaluate(rules, chunkIngested({ chunk: 41 }));

    // Assess
    expect(act).toThrow(
      /^Rule "join-fci-cycle": slot 41 of cometflow.file.ingested event \w+ is outside the expected 1..40$/,
    );
  });

  it('refuses a chunk without its cycle window, naming the rule and the path', () => {
    // Prepare
    const event = chunkIngested({ chunk: 3 });
    const broken = {
      ...event,
      data: { ...event.data, attributes: { ...event.data.attributes, cycleEnd: 'soon' } },
    } as CometEvent;

    // Act
    const act = () => evaluate(ruleSet, broken);

    // Assess
    expect(act).toThrow('collect.window.end data.attributes.cycleEnd is "soon" in cometflow.file.ingested event');
  });
});

describe('matchRules', () => {
  it('says which rule, route and join part each event matches without building commands', () => {
    // Prepare
    const events = [
      fileAvailable({ size: GiB * 2 }),
      fileAvailable({ size: 1 }),
      chunkIngested({ chunk: 1 }),
      forecast,
      productGenerated(),
      fileRejected(),
    ];

    // Act
    const matches = events.map((event) => matchRules(ruleSet, event));

    // Assess
    expect(matches).toEqual([
      [{ kind: 'forward', rule: 'ingest-available-file', route: 0, target: 'ingest-container' }],
      [{ kind: 'forward', rule: 'ingest-available-file', route: 2, target: 'ingest' }],
      [{ kind: 'collect', rule: JOIN }],
      [{ kind: 'reference', rule: JOIN, requirement: 'forecast' }],
      [{ kind: 'forward', rule: 'deliver-product', route: 0, target: 'deliver' }],
      [],
    ]);
  });
});

describe('completeJoin', () => {
  it('fires one processing request listing the chunks by number, then the forecast', () => {
    // Prepare
    const join = joinState([...range(1, 41)].reverse());
    const cause = chunkIngested({ chunk: 20 });

    // Act
    const decision = completeJoin(ruleSet, JOIN, join, cause, 'complete');

    // Assess
    expect(decision).toMatchObject({
      kind: 'fire',
      rule: JOIN,
      triggerKey: '20261122-061',
      target: 'process-bulk',
      priority: 'bulk',
      degraded: false,
      missing: [],
    });
    if (decision.kind !== 'fire') throw new Error('expected a fire decision');
    const command = decision.command as CometEvent<typeof EventTypes.processingRequested>;
    expect(command).toMatchObject({
      type: EventTypes.processingRequested,
      id: commandId(JOIN, '20261122-061'),
      subject: '20261122-061',
      correlationid: 'cycle-20261122-061',
      causationid: cause.id,
      time: cause.time,
    });
    expect(command.data.algorithm).toBe('byte-statistics');
    expect(command.data.productType).toBe('fci-cycle-statistics');
    expect(command.data.inputs).toHaveLength(42);
    expect(command.data.inputs.slice(0, 41).map((input) => input.name)).toEqual(
      range(1, 41).map((chunk) => chunkIngested({ chunk }).data.name),
    );
    expect(command.data.inputs[41]).toEqual(inputOf(forecast));
  });

  it('keeps the join correlation id when the forecast completes it', () => {
    // Prepare
    const join = joinState(range(1, 41));

    // Act
    const decision = completeJoin(ruleSet, JOIN, join, forecast, 'complete');

    // Assess
    expect(decision.kind === 'fire' && decision.command).toMatchObject({
      correlationid: 'cycle-20261122-061',
      causationid: forecast.id,
    });
  });

  it('waits when a chunk or the forecast is missing', () => {
    // Prepare
    const noForecast = joinState(range(1, 41), false);
    const noTrailer = joinState(range(1, 40));

    // Act
    const decisions = [
      completeJoin(ruleSet, JOIN, noForecast, forecast, 'complete'),
      completeJoin(ruleSet, JOIN, noTrailer, forecast, 'complete'),
    ];

    // Assess
    expect(decisions).toEqual([
      { kind: 'wait', rule: JOIN, joinKey: '20261122-061', waitingFor: ['forecast'] },
      { kind: 'wait', rule: JOIN, joinKey: '20261122-061', waitingFor: ['41'] },
    ]);
  });

  it('fires degraded at the deadline with the missing chunks listed', () => {
    // Prepare
    const join = joinState(range(1, 41).filter((chunk) => ![3, 17, 40].includes(chunk)));

    // Act
    const decision = completeJoin(ruleSet, JOIN, join, deadlineCause, 'deadline');

    // Assess
    expect(decision).toMatchObject({ kind: 'fire', degraded: true, missing: ['3', '17', '40'] });
    expect(decision.kind === 'fire' && decision.command.data).toMatchObject({
      degraded: true,
      missing: ['3', '17', '40'],
    });
    expect(
      decision.kind === 'fire' && (decision.command as CometEvent<typeof EventTypes.processingRequested>).data.inputs,
    ).toHaveLength(39);
  });

  it('fires in full at the deadline when the join is complete', () => {
    // Prepare
    const join = joinState(range(1, 41));

    // Act
    const decision = completeJoin(ruleSet, JOIN, join, deadlineCause, 'deadline');

    // Assess
    expect(decision).toMatchObject({ kind: 'fire', degraded: false, missing: [] });
  });

  it('fires degraded at exactly the minimum share', () => {
    // Prepare
    const rules = rulesWith((file) => {
      file.rules[1].collect.expected = { from: 1, to: 10 };
    });
    const join = joinState(range(1, 8));

    // Act
    const decision = completeJoin(rules, JOIN, join, deadlineCause, 'deadline');

    // Assess
    expect(decision).toMatchObject({ kind: 'fire', degraded: true, missing: ['9', '10'] });
  });

  it('abandons at the deadline when less than the minimum share arrived', () => {
    // Prepare
    const join = joinState(range(1, 30));

    // Act
    const decision = completeJoin(ruleSet, JOIN, join, deadlineCause, 'deadline');

    // Assess
    expect(decision).toMatchObject({
      kind: 'abandon',
      rule: JOIN,
      triggerKey: '20261122-061',
      reason: 'only 30 of 41 inputs arrived by the deadline (73 %, at least 80 % required)',
    });
    if (decision.kind !== 'abandon') throw new Error('expected an abandon decision');
    expect(decision.event).toMatchObject({
      type: EventTypes.cycleAbandoned,
      id: commandId(JOIN, '20261122-061'),
      correlationid: 'cycle-20261122-061',
      causationid: 'deadline-1',
      time: deadlineCause.time,
      subject: '20261122-061',
      data: {
        rule: JOIN,
        joinKey: '20261122-061',
        windowStart: '2026-11-22T10:00:00.000Z',
        windowEnd: '2026-11-22T10:10:00.000Z',
        deadlineAt: '2026-11-22T10:15:00.000Z',
        expectedCount: 41,
        arrivedCount: 30,
        minShare: 0.8,
        missing: range(31, 41).map(String),
      },
    });
  });

  it('abandons at the deadline when the forecast is missing, even with every chunk', () => {
    // Prepare
    const join = joinState(range(1, 41), false);

    // Act
    const decision = completeJoin(ruleSet, JOIN, join, deadlineCause, 'deadline');

    // Assess
    expect(decision).toMatchObject({
      kind: 'abandon',
      reason: 'requirement "forecast" is still missing at the deadline, and the rule does not process without it',
    });
    expect(decision.kind === 'abandon' && decision.event.data.missing).toEqual(['forecast']);
  });

  it('fires degraded without the forecast when the rule allows it', () => {
    // Prepare
    const rules = rulesWith((file) => {
      file.rules[1].require[0].onMissing = 'degrade';
    });
    const join = joinState(range(1, 40), false);

    // Act
    const decision = completeJoin(rules, JOIN, join, deadlineCause, 'deadline');

    // Assess
    expect(decision).toMatchObject({ kind: 'fire', degraded: true, missing: ['41', 'forecast'] });
  });

  it('counts each slot once and ignores slots outside the range', () => {
    // Prepare
    const base = joinState(range(1, 41));
    const join: JoinState = {
      ...base,
      collected: [...base.collected, ...collectedOf([5, 6]), { ...base.collected[0]!, slot: '99' }],
    };

    // Act
    const decision = completeJoin(ruleSet, JOIN, join, forecast, 'complete');

    // Assess
    expect(
      decision.kind === 'fire' && (decision.command as CometEvent<typeof EventTypes.processingRequested>).data.inputs,
    ).toHaveLength(42);
  });

  it('refuses a rule that is not a join', () => {
    // Prepare
    const join = joinState([1]);

    // Act
    const act = () => completeJoin(ruleSet, 'deliver-product', join, forecast, 'complete');

    // Assess
    expect(act).toThrow('Rule "deliver-product": is a forward rule; expected a join rule');
  });
});

describe('lateInput', () => {
  it('reports a chunk that arrived after its cycle closed, pointing at what closed it', () => {
    // Prepare
    const event = chunkIngested({ chunk: 17, time: new Date('2026-11-22T10:20:00Z') });

    // Act
    const late = lateInput(ruleSet, JOIN, '20261122-061', '17', event);

    // Assess
    expect(late).toMatchObject({
      type: EventTypes.inputLate,
      source: 'cometflow/scheduler',
      time: '2026-11-22T10:20:00.000Z',
      correlationid: event.correlationid,
      causationid: event.id,
      subject: '20261122-061',
      data: {
        rule: JOIN,
        joinKey: '20261122-061',
        slot: '17',
        input: inputOf(event),
        closedBy: commandId(JOIN, '20261122-061'),
      },
    });
  });

  it('gives a second copy of the same late slot the same id', () => {
    // Prepare
    const first = chunkIngested({ chunk: 17, id: 'copy-1' });
    const second = chunkIngested({ chunk: 17, id: 'copy-2' });

    // Act
    const ids = [
      lateInput(ruleSet, JOIN, '20261122-061', '17', first).id,
      lateInput(ruleSet, JOIN, '20261122-061', '17', second).id,
    ];

    // Assess
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).not.toBe(lateInput(ruleSet, JOIN, '20261122-061', '18', first).id);
  });
});

describe('references', () => {
  const candidate = (validTime: string, key = validTime): { time: string; input: JoinInput } => ({
    time: validTime,
    input: { ...inputOf(forecastIngested({ validTime })), key },
  });

  it('gives the range of reference times a window start accepts', () => {
    // Prepare
    const windowStart = '2026-11-22T10:00:00.000Z';

    // Act
    const accepted = referenceRange(ruleSet, JOIN, 'forecast', windowStart);

    // Assess
    expect(accepted).toEqual({ from: '2026-11-22T07:00:00.000Z', to: '2026-11-22T13:00:00.000Z' });
  });

  it('chooses the reference closest to the window start, in range', () => {
    // Prepare
    const candidates = [
      candidate('2026-11-22T06:00:00.000Z'),
      candidate('2026-11-22T12:00:00.000Z'),
      candidate('2026-11-22T09:00:00.000Z'),
    ];

    // Act
    const chosen = chooseReference(ruleSet, JOIN, 'forecast', '2026-11-22T10:00:00.000Z', candidates);

    // Assess
    expect(chosen?.key).toBe('2026-11-22T09:00:00.000Z');
  });

  it('breaks ties by the later time, then the greater key', () => {
    // Prepare
    const start = '2026-11-22T10:00:00.000Z';
    const timeTie = [candidate('2026-11-22T09:00:00.000Z'), candidate('2026-11-22T11:00:00.000Z')];
    const keyTie = [candidate('2026-11-22T11:00:00.000Z', 'a'), candidate('2026-11-22T11:00:00.000Z', 'b')];

    // Act
    const chosen = [
      chooseReference(ruleSet, JOIN, 'forecast', start, timeTie)?.key,
      chooseReference(ruleSet, JOIN, 'forecast', start, [...keyTie].reverse())?.key,
    ];

    // Assess
    expect(chosen).toEqual(['2026-11-22T11:00:00.000Z', 'b']);
  });

  it('chooses nothing when no candidate is in range', () => {
    // Prepare
    const candidates = [candidate('2026-11-22T06:59:59.999Z'), candidate('2026-11-22T13:00:00.001Z')];

    // Act
    const chosen = chooseReference(ruleSet, JOIN, 'forecast', '2026-11-22T10:00:00.000Z', candidates);

    // Assess
    expect(chosen).toBeUndefined();
  });
});

describe('deadlineReached', () => {
  it('builds one timer event per join, due at its deadline', () => {
    // Prepare
    const [collect] = evaluate(ruleSet, chunkIngested({ chunk: 5 })) as [CollectEffect];
    const [other] = evaluate(ruleSet, chunkIngested({ chunk: 6 })) as [CollectEffect];

    // Act
    const timers = [deadlineReached(collect, { id: 'first-chunk' }), deadlineReached(other, { id: 'other-chunk' })];

    // Assess
    expect(timers[0]).toMatchObject({
      type: EventTypes.deadlineReached,
      time: '2026-11-22T10:15:00.000Z',
      correlationid: 'cycle-20261122-061',
      causationid: 'first-chunk',
      data: { rule: JOIN, joinKey: '20261122-061', deadlineAt: '2026-11-22T10:15:00.000Z' },
    });
    expect(timers[1]?.id).toBe(timers[0]?.id);
  });
});

describe('commands', () => {
  it('match the catalog schema of their type', () => {
    // Prepare
    const events = [fileAvailable({ size: 10 }), fileAvailable({ size: GiB * 2 }), productGenerated()];
    const join = completeJoin(ruleSet, JOIN, joinState(range(1, 38)), deadlineCause, 'deadline');

    // Act
    const commands = [
      ...events.flatMap((event) => evaluate(ruleSet, event)).map((effect) => effect.kind === 'fire' && effect.command),
      join.kind === 'fire' && join.command,
    ];

    // Assess
    expect(commands.map(validateAgainstCatalog)).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
  });
});
