/**
 * The delivery saga's Lambda adapter: the state machine invokes it for every task with
 * `{ step, saga }` (step: publish, register, notify, confirm, their compensations, or report)
 * and it runs that task. An error's `name` is what the state machine's Retry and Catch match.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { PipelineError } from '#shared/errors.ts';
import { sagaDeps } from './aws-deps.ts';
import { sagaErrorOf } from './errors.ts';
import { runSagaTask } from './steps/index.ts';
import { parseSagaTask } from './steps/saga-state.ts';

const logger = new Logger({ serviceName: 'deliver-saga' });
const deps = sagaDeps(logger);

export const handler = middy(async (event: unknown): Promise<unknown> => {
  const task = parseSagaTask(event);
  logger.appendKeys({
    step: task.step,
    productId: task.saga.command.data.productId,
    execution: task.saga.execution.name,
    correlationId: task.saga.command.correlationid,
  });
  const t0 = performance.now();
  try {
    const result = await runSagaTask(task, deps);
    logger.info('task done', { ms: Math.round(performance.now() - t0) });
    return result;
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    logger.error('task failed', {
      ms: Math.round(performance.now() - t0),
      errorName: e.name,
      retryable: e instanceof PipelineError ? e.retryable : true,
      reason: e.message,
    });
    throw sagaErrorOf(error);
  } finally {
    logger.removeKeys(['step', 'productId', 'execution', 'correlationId']);
  }
}).use(injectLambdaContext(logger));
