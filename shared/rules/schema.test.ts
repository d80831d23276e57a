import { describe, expect, it } from 'vitest';
import { samplesOf } from '#events/catalog.ts';
import { EventTypes } from '#events/registry.ts';
import { RuleSetError } from './errors.ts';
import { loadRuleSet, type LoadOptions } from './loader.ts';
import { RuleSetSchema } from './schema.ts';
import { ReferenceLoad, referenceRuleFile } from './testing.ts';

// The tests edit the rule file freely, as a JSON document: any is the honest type here.
type Json = Record<string, any>;

/** The reference rule file, changed by `edit` (which gets a deep copy). */
const ruleFileWith = (edit: (file: Json) => void): Json => {
  const file = structuredClone(referenceRuleFile()) as Json;
  edit(file);
  return file;
};

const options: LoadOptions = ReferenceLoad;

/** Loads `json` and returns the RuleSetError it throws, failing the test on anything else. */
const loadError = (json: unknown, loadOptions = options): RuleSetError => {
  try {
    loadRuleSet(json, loadOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(RuleSetError);
    return error as RuleSetError;
  }
  throw new Error('expected a RuleSetError, but the rule set loaded');
};

const forwardRule = (overrides: Json = {}): Json => ({
  name: 'deliver-rejections',
  kind: 'forward',
  on: ['cometflow.file.rejected'],
  key: ['data.file.key'],
  routes: [{ emit: { command: 'cometflow.delivery.requested', target: 'deliver', data: { $path: 'data' } } }],
  ...overrides,
});

describe('loadRuleSet', () => {
  it('loads the reference pipeline rules', () => {
    // Prepare
    const file = referenceRuleFile();

    // Act
    const ruleSet = loadRuleSet(file, options);

    // Assess
    expect(ruleSet.rules.map((rule) => `${rule.kind}:${rule.name}`)).toEqual([
      'forward:ingest-available-file',
      'join:join-fci-cycle',
      'forward:deliver-product',
      'forward:process-lightning-file',
      'forward:deliver-stream-product',
    ]);
    expect(ruleSet.byType.get(EventTypes.fileIngested)?.map((rule) => rule.name)).toEqual([
      'join-fci-cycle',
      'process-lightning-file',
    ]);
    expect(ruleSet.byType.get(EventTypes.fileRejected)).toBeUndefined();
  });

  it('loads the reference rules when checked against every sample of the catalog', () => {
    // Prepare
    const samples = Object.values(EventTypes).flatMap((type) => samplesOf(type).map((sample) => sample.event));

    // Act
    const ruleSet = loadRuleSet(referenceRuleFile(), { ...options, samples });

    // Assess
    expect(samples.length).toBeGreaterThan(5);
    expect(ruleSet.rules).toHaveLength(5);
  });

  it('is described by RuleSetSchema', () => {
    // Prepare
    const file = referenceRuleFile();

    // Act
    const parsed = RuleSetSchema.safeParse(file);

    // Assess
    expect(parsed.success).toBe(true);
  });

  it('names the rule whose expected range is reversed', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].collect.expected = { from: 41, to: 40 };
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe(
      'Rule "join-fci-cycle": collect.expected.to (40) is smaller than collect.expected.from (41)',
    );
  });

  it('refuses an unknown event type in on', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[2].on = ['cometflow.product.generatd'];
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toMatch(
      /^Rule "deliver-product": on\[0\]: unknown event type "cometflow\.product\.generatd"; expected one of cometflow\.file\.available,/,
    );
  });

  it('refuses an unknown command type', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].emit.command = 'cometflow.processing.request';
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toMatch(
      /^Rule "join-fci-cycle": emit\.command: unknown command type "cometflow\.processing\.request"/,
    );
  });

  it('refuses a target the deployment does not declare', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[0].routes[0].emit.target = 'ingest-fargate';
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe(
      'Rule "ingest-available-file": routes[0].emit.target: unknown target "ingest-fargate"; expected a lane or a stage with a priority; ' +
        "the topology's lanes: event-bus (scheduler, realtime), event-bus-bulk (scheduler, bulk), ingest (ingest, realtime), ingest-bulk (ingest, bulk), ingest-container (ingest-container, bulk), " +
        'process-realtime (process, realtime), process-bulk (process, bulk), deliver (deliver, realtime)',
    );
  });

  it("resolves a stage and priority to the stage's lane of that priority", () => {
    // Act
    const ruleSet = loadRuleSet(referenceRuleFile(), options);

    // Assess
    const join = ruleSet.definition.rules.find((rule) => rule.name === 'join-fci-cycle');
    const lightning = ruleSet.definition.rules.find((rule) => rule.name === 'process-lightning-file');
    expect(join?.kind === 'join' && join.emit.target).toBe('process-bulk');
    expect(lightning?.kind === 'forward' && lightning.routes[0]!.emit.target).toBe('process-realtime');
  });

  it('refuses a stage and priority the topology has no lane for, naming the rule', () => {
    // Prepare
    const { 'process-bulk': _bulk, ...withoutBulk } = options.lanes!;

    // Act
    const error = loadError(referenceRuleFile(), { targets: Object.keys(withoutBulk), lanes: withoutBulk });

    // Assess
    expect(error.message).toBe(
      'Rule "join-fci-cycle": emit.target: no lane of stage "process" has priority "bulk"; ' +
        "the topology's lanes of that stage: process-realtime (process, realtime)",
    );
  });

  it('refuses a rule sending a command to the event bus, naming the rule', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].emit.target = 'scheduler';
      f.rules[1].emit.priority = 'bulk';
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe(
      'Rule "join-fci-cycle": emit.target: lane "event-bus-bulk" is the event bus (the scheduler\'s queue), not a stage a command can go to; ' +
        'expected a lane of ingest, ingest-container, process, deliver',
    );
  });

  it('refuses a lane named with a priority it does not have', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].emit.target = 'process-bulk';
      f.rules[1].emit.priority = 'realtime';
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe(
      'Rule "join-fci-cycle": emit.target: lane "process-bulk" has priority "bulk", not "realtime"; ' +
        'name its stage "process" with the priority instead',
    );
  });

  it('refuses two rules with the same name', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules.push(structuredClone(f.rules[2]));
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe(
      'Rule "deliver-product": the name is used by 2 rules (rules[2], rules[5]); names must be unique, they identify triggers',
    );
  });

  it('refuses a bad duration, naming the field', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].deadline.after = '5 minutes';
      f.rules[1].require[0].within.before = 'P1M';
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^Rule "join-fci-cycle": require\[0\]\.within\.before: bad duration: duration "P1M" uses years or months/,
      ),
      expect.stringMatching(
        /^Rule "join-fci-cycle": deadline\.after: bad duration: "5 minutes" is not an ISO-8601 duration/,
      ),
    ]);
    expect(error.message).toMatch(/^2 problems in the rule set:\n- Rule "join-fci-cycle"/);
  });

  it('refuses a path with bad syntax', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].collect.slot = 'data.attributes..chunk';
      f.rules[0].key = ['file.key'];
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^Rule "ingest-available-file": key\[0\]: path "file.key" starts with "file", which is not an attribute of the event/,
      ),
      expect.stringMatching(/^Rule "join-fci-cycle": collect\.slot: path "data.attributes..chunk" is not a dot path/),
    ]);
  });

  it('refuses a $path template that refers to nothing', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[2].routes[0].emit.data.manifest = { $path: 'data.manifestt' };
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe(
      'Rule "deliver-product": routes[0].emit.data.manifest.$path: path data.manifestt refers to nothing in cometflow.product.generated events',
    );
  });

  it('refuses paths that refer to nothing in conditions, keys and join fields', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[0].routes[0].when.path = 'data.file.bytes';
      f.rules[1].collect.window.end = 'data.attributes.cycleStop';
      f.rules[1].require[0].input.sha256 = 'data.source.sha256';
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.problems).toEqual([
      'Rule "ingest-available-file": routes[0].when.path: path data.file.bytes refers to nothing in cometflow.file.available events',
      'Rule "join-fci-cycle": collect.window.end: path data.attributes.cycleStop refers to nothing in cometflow.file.ingested events',
      'Rule "join-fci-cycle": require[0].input.sha256: path data.source.sha256 refers to nothing in cometflow.file.ingested events',
    ]);
  });

  it('refuses a minShare outside 0..1', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].degraded.minShare = 80;
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe(
      'Rule "join-fci-cycle": degraded.minShare: 80 is outside 0..1; expected the share of the expected inputs that must have arrived, such as 0.8',
    );
  });

  it('refuses a delay beyond what SQS allows', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[2].routes[0].emit.delaySeconds = 1800;
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe(
      'Rule "deliver-product": routes[0].emit.delaySeconds: delaySeconds 1800 is outside 0..900 (whole seconds; SQS caps message delays at 15 minutes)',
    );
  });

  it('names an unnamed rule by its index', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      delete f.rules[2].name;
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toMatch(
      /^Rule at rules\[2\] \(no name\): name: Invalid input: expected string, received undefined/,
    );
  });

  it('refuses a rule without a known kind', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[0].kind = 'fan-out';
      delete f.rules[2].kind;
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.problems).toEqual([
      'Rule "ingest-available-file": kind "fan-out" is unknown; expected forward or join',
      'Rule "deliver-product": kind is missing; expected forward or join',
    ]);
  });

  it('refuses a misspelt field instead of ignoring it', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].deadline.afer = f.rules[1].deadline.after;
      delete f.rules[1].deadline.after;
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^Rule "join-fci-cycle": deadline\.after: Invalid input: expected string, received undefined/,
      ),
      expect.stringMatching(/^Rule "join-fci-cycle": deadline: Unrecognized key: "afer"/),
    ]);
  });

  it('refuses a route that can never match', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[0].routes.reverse();
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe(
      '2 problems in the rule set:\n' +
        '- Rule "ingest-available-file": routes[1] can never match: routes[0] has no "when" and takes every event before it\n' +
        '- Rule "ingest-available-file": routes[2] can never match: routes[0] has no "when" and takes every event before it',
    );
  });

  it('refuses a comparison that can never hold for the type at its path', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[0].routes[0].when = { path: 'data.file.key', op: 'gt', value: 10 };
      f.rules[1].collect.when = { path: 'data.attributes.chunk', op: 'eq', value: '41' };
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.problems).toEqual([
      'Rule "ingest-available-file": routes[0].when.path: gt 10 can never hold: path data.file.key holds string values',
      'Rule "join-fci-cycle": collect.when.path: eq "41" can never hold: path data.attributes.chunk holds integer values',
    ]);
  });

  it('refuses a value path whose type cannot serve its field', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].collect.input.size = 'data.name';
      f.rules[1].collect.key = 'data.ingested';
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.problems).toEqual([
      'Rule "join-fci-cycle": collect.key: path data.ingested holds object values; expected string or number or integer or boolean',
      'Rule "join-fci-cycle": collect.input.size: path data.name holds string values; expected number or integer',
    ]);
  });

  it('refuses a join command that uses $path or sets what the engine fills in', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].emit.data.productType = { $path: 'data.attributes.kind' };
      f.rules[1].emit.data.missing = [];
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.problems).toEqual([
      'Rule "join-fci-cycle": emit.data.productType: a join\'s command is built from all its inputs, not from one event, so { "$path" } is not available here',
      'Rule "join-fci-cycle": emit.data sets missing, which the engine fills in; remove it',
    ]);
  });

  it('refuses a join command whose data cannot match its type', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      delete f.rules[1].emit.data.productType;
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toMatch(
      /^Rule "join-fci-cycle": emit\.data, with the inputs, degraded and missing the engine adds, does not match cometflow\.processing\.requested: .*productType/s,
    );
  });

  it('refuses a constant forward command whose data does not match its type', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[2].routes[0].emit.data = { productId: 'x' };
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toMatch(
      /^Rule "deliver-product": routes\[0\]\.emit\.data does not match cometflow\.delivery\.requested: /,
    );
  });

  it('refuses a requirement declared twice', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules[1].require.push(structuredClone(f.rules[1].require[0]));
    });

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toBe('Rule "join-fci-cycle": require[1].name: requirement "forecast" is declared twice');
  });

  it('refuses a rule whose template builds an invalid command from a sample event', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules.push(forwardRule());
    });
    const samples = samplesOf(EventTypes.fileRejected).map((sample) => sample.event);

    // Act
    const error = loadError(file, { ...options, samples });

    // Assess
    expect(samples.length).toBeGreaterThan(0);
    expect(error.problems[0]).toMatch(
      /^Rule "deliver-rejections": routes\[0\] builds a command from cometflow\.file\.rejected event \w+ that is not valid: Data of cometflow\.delivery\.requested does not match its schema: .* \(on sample event \w+ of type cometflow\.file\.rejected\)$/s,
    );
  });

  it('refuses a rule file that is not a version 1 rule set', () => {
    // Prepare
    const files = [[], { version: 2, rules: [] }, { version: 1 }];

    // Act
    const messages = files.map((file) => loadError(file).message);

    // Assess
    expect(messages).toEqual([
      'Rule set: Invalid input: expected object, received array',
      'Rule set: version: Invalid input: expected 1',
      'Rule set: rules: Invalid input: expected array, received undefined',
    ]);
  });

  it('refuses every target when the deployment declares none', () => {
    // Prepare
    const file = ruleFileWith((f) => {
      f.rules = [f.rules[2]];
    });

    // Act
    const error = loadError(file, { targets: [] });

    // Assess
    expect(error.message).toBe(
      'Rule "deliver-product": routes[0].emit.target: unknown target "deliver"; expected one of (no targets declared)',
    );
  });
});
