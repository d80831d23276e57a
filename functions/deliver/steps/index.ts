/**
 * The saga's tasks by name: what the saga function runs for each `step` the state machine
 * passes.
 */
import { confirm, report } from './confirm.ts';
import type { SagaDeps } from './deps.ts';
import { notify, unnotify } from './notify.ts';
import { publish, unpublish } from './publish.ts';
import { register, unregister } from './register.ts';
import type { SagaState, SagaTask, TaskName } from './saga-state.ts';

export const SagaTasks: Readonly<Record<TaskName, (saga: SagaState, deps: SagaDeps) => Promise<unknown>>> = {
  publish,
  register,
  notify,
  confirm,
  unpublish,
  unregister,
  unnotify,
  report,
};

/**
 * Runs one task of the saga.
 *
 * @example
 * const result = await runSagaTask(parseSagaTask(event), deps);
 */
export const runSagaTask = (task: SagaTask, deps: SagaDeps): Promise<unknown> => SagaTasks[task.step](task.saga, deps);
