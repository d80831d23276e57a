/**
 * The rule file's zod schema (`RuleSetSchema`) and the types it defines. Checking a file against
 * the catalog and the targets, and compiling it, is `loader.ts`: this module imports neither the
 * compiler nor the engine, so schema, compile and engine no longer import each other in a loop.
 */
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';
import { Priorities, SqsMaxDelaySeconds, type Priority } from '../config.ts';
import { checkCondition, type Condition } from './conditions.ts';
import { parseDuration } from './durations.ts';
import { pathSyntaxProblem } from './paths.ts';
import { checkTemplate, type Template } from './template.ts';

/** Kebab-case, so that names are safe in table keys, ids and metric dimensions. */
const NamePattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** The largest join: its final command lists every input, and a join is read whole once. */
export const MaxJoinSlots = 10_000;
/** The longest delay a rule may ask for: SQS's cap on a message delay. */
export const MaxDelaySeconds = SqsMaxDelaySeconds;

const custom = (ctx: z.RefinementCtx, message: string, path: (string | number)[] = []): void => {
  ctx.addIssue({ code: 'custom', message, path });
};

const NameSchema = z.string().superRefine((name, ctx) => {
  if (!NamePattern.test(name)) custom(ctx, `${JSON.stringify(name)} is not a kebab-case name such as "join-fci-cycle"`);
});

const PathSchema = z.string().superRefine((path, ctx) => {
  const problem = pathSyntaxProblem(path);
  if (problem !== undefined) custom(ctx, problem);
});

const DurationSchema = z.string().superRefine((text, ctx) => {
  try {
    parseDuration(text);
  } catch (error) {
    custom(ctx, `bad duration: ${(error as Error).message}`);
  }
});

/** A condition (see `conditions.ts`); checked by hand for messages that say which operand is wrong. */
export const ConditionSchema = z
  .custom<Condition>(() => true)
  .superRefine((value, ctx) => {
    for (const problem of checkCondition(value)) custom(ctx, problem.message, [...problem.at]);
  });

/** A template (see `template.ts`). */
export const TemplateSchema = z
  .custom<Template>(() => true)
  .superRefine((value, ctx) => {
    for (const problem of checkTemplate(value).problems) custom(ctx, problem.message, [...problem.at]);
  });

const PrioritySchema = z.enum(Priorities);
/** The priority of a command: with a stage as target, it chooses the stage's lane. */
export type { Priority };

const DelaySchema = z.number().superRefine((delay, ctx) => {
  if (!Number.isInteger(delay) || delay < 0 || delay > MaxDelaySeconds) {
    custom(
      ctx,
      `delaySeconds ${delay} is outside 0..${MaxDelaySeconds} (whole seconds; SQS caps message delays at 15 minutes)`,
    );
  }
});

const ForwardEmitSchema = z.strictObject({
  /** The command's event type, for example `cometflow.ingest.requested`. */
  command: z.string(),
  /** The target the command is sent to: a name the deployment declares, such as `ingest`. */
  target: z.string(),
  priority: PrioritySchema.optional(),
  /** Message delay. @default 0 */
  delaySeconds: DelaySchema.optional(),
  /** Path of the value used as the command's `subject`. */
  subject: PathSchema.optional(),
  data: TemplateSchema,
});

const RouteSchema = z.strictObject({
  /** Absent: the route takes every event that reaches it. */
  when: ConditionSchema.optional(),
  emit: ForwardEmitSchema,
});

/** One-to-one rule: each matching event fires one command, routed by the first matching route. */
export const ForwardRuleSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('forward'),
  description: z.string().optional(),
  on: z.array(z.string()).min(1),
  when: ConditionSchema.optional(),
  /** Paths whose values form the trigger's identity: one command per rule and key, ever. */
  key: z.array(PathSchema).min(1),
  routes: z.array(RouteSchema).min(1),
});

const InputPathsSchema = z.strictObject({
  bucket: PathSchema,
  key: PathSchema,
  size: PathSchema,
  sha256: PathSchema,
  name: PathSchema,
});

const ExpectedSchema = z.strictObject({
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
});

const RequirementSchema = z.strictObject({
  name: NameSchema,
  when: ConditionSchema,
  /** Path of the reference's own time (a forecast's valid time). */
  time: PathSchema,
  /** How far the reference's time may be before and after the join's window start. */
  within: z.strictObject({ before: DurationSchema, after: DurationSchema }),
  input: InputPathsSchema,
  /** What the deadline does when this reference is still missing. @default 'abandon' */
  onMissing: z.enum(['abandon', 'degrade']).optional(),
});

const MinShareSchema = z.number().superRefine((share, ctx) => {
  if (share < 0 || share > 1)
    custom(
      ctx,
      `${share} is outside 0..1; expected the share of the expected inputs that must have arrived, such as 0.8`,
    );
});

/** Many-to-one rule with a deadline: collect numbered slots, join references, fire once. */
export const JoinRuleSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('join'),
  description: z.string().optional(),
  on: z.array(z.string()).min(1),
  collect: z.strictObject({
    when: ConditionSchema,
    key: PathSchema,
    slot: PathSchema,
    expected: ExpectedSchema,
    input: InputPathsSchema,
    window: z.strictObject({ start: PathSchema, end: PathSchema }),
  }),
  require: z.array(RequirementSchema).optional(),
  deadline: z.strictObject({ after: DurationSchema }),
  degraded: z.strictObject({ minShare: MinShareSchema }),
  emit: z.strictObject({
    command: z.string(),
    target: z.string(),
    priority: PrioritySchema.optional(),
    delaySeconds: DelaySchema.optional(),
    data: z.record(z.string(), z.unknown()),
  }),
});

/** A rule, by kind. */
export const RuleSchema = z.discriminatedUnion('kind', [ForwardRuleSchema, JoinRuleSchema]);

/** A rule file. */
export const RuleSetSchema = z.strictObject({
  version: z.literal(1),
  description: z.string().optional(),
  rules: z.array(RuleSchema),
});

export type ForwardRuleDefinition = z.infer<typeof ForwardRuleSchema>;
export type JoinRuleDefinition = z.infer<typeof JoinRuleSchema>;
export type RuleDefinition = z.infer<typeof RuleSchema>;
export type RuleSetDefinition = z.infer<typeof RuleSetSchema>;
export type InputPaths = z.infer<typeof InputPathsSchema>;
