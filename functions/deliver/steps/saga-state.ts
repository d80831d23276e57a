/**
 * The document a delivery saga execution carries from state to state, and the task input the
 * state machine hands the saga function. The state machine builds it: a `Start` state puts the
 * `delivery.requested` command under `command` with the execution's name and start time, each
 * step writes its result under its own name (its `ResultPath`), a caught error lands in
 * `failure` and the failed step's name in `failedStep`.
 */
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';
import { EventTypes, ObjectLocationSchema, eventSchemaOf, type CometEvent } from '#events/registry.ts';
import { InvalidInputError } from '#shared/errors.ts';

/** The forward steps, in order. */
export const StepNames = ['publish', 'register', 'notify', 'confirm'] as const;
export type StepName = (typeof StepNames)[number];

/** The compensations, each undoing the step it names after `un`. */
export const CompensationNames = ['unpublish', 'unregister', 'unnotify'] as const;
export type CompensationName = (typeof CompensationNames)[number];

/** The compensation of each step that has effects to undo (`confirm` has none: see confirm.ts). */
export const CompensationOf = {
  publish: 'unpublish',
  register: 'unregister',
  notify: 'unnotify',
} as const satisfies Partial<Record<StepName, CompensationName>>;

/** Every task the saga function runs: the steps, the compensations and the final report. */
export const TaskNames = [...StepNames, ...CompensationNames, 'report'] as const;
export type TaskName = (typeof TaskNames)[number];

/** Anything a task may run against: a step, a compensation, or `report`. */
export type FaultTarget = StepName | CompensationName;

const PublishResultSchema = z.object({
  distributed: z.array(ObjectLocationSchema).min(1),
  publishedAt: z.iso.datetime(),
});
const RegisterResultSchema = z.object({ registeredAt: z.iso.datetime() });
const NotifyResultSchema = z.object({ notified: z.array(z.string()), notifiedAt: z.iso.datetime() });
const ConfirmResultSchema = z.object({ eventId: z.string(), deliveredAt: z.iso.datetime() });

/** The execution's document, as far as the saga function reads it (other keys are dropped). */
export const SagaStateSchema = z.object({
  command: eventSchemaOf(EventTypes.deliveryRequested),
  execution: z.object({
    /** `product-<productId>`. */
    name: z.string().min(1),
    startedAt: z.string().min(1),
  }),
  publish: PublishResultSchema.optional(),
  register: RegisterResultSchema.optional(),
  notify: NotifyResultSchema.optional(),
  confirm: ConfirmResultSchema.optional(),
  /** What a `Catch` caught: the error name and its cause (Lambda's error JSON on AWS). */
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  failedStep: z.enum(StepNames).optional(),
  unpublish: z.unknown().optional(),
  unregister: z.unknown().optional(),
  unnotify: z.unknown().optional(),
});

/** The execution document. */
export type SagaState = Omit<z.infer<typeof SagaStateSchema>, 'command'> & {
  command: CometEvent<typeof EventTypes.deliveryRequested>;
};

export type PublishResult = z.infer<typeof PublishResultSchema>;
export type RegisterResult = z.infer<typeof RegisterResultSchema>;
export type NotifyResult = z.infer<typeof NotifyResultSchema>;
export type ConfirmResult = z.infer<typeof ConfirmResultSchema>;

/** What the state machine passes the saga function: the task to run and the document so far. */
export const SagaTaskSchema = z.object({
  step: z.enum(TaskNames),
  saga: SagaStateSchema,
});
export type SagaTask = { step: TaskName; saga: SagaState };

/**
 * Parses a task input; throws `InvalidInputError` (terminal: the saga compensates) naming what
 * is wrong.
 *
 * @example
 * const task = parseSagaTask(event);
 */
export function parseSagaTask(input: unknown): SagaTask {
  const parsed = SagaTaskSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidInputError(
      `Saga task input is not { step, saga } with a delivery.requested command: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data as SagaTask;
}

/**
 * The reason a `Catch` recorded, in words: Lambda reports a function error's cause as JSON
 * (`{"errorType","errorMessage","trace"}`); the local runner reports the message itself.
 */
export function reasonOf(failure: SagaState['failure']): string {
  const cause = failure?.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: the cause is the message.
  }
  return cause;
}
