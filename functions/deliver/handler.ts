/** Deliver's Lambda adapter: `delivery.requested` commands in, one delivery saga execution per product out. */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EventTypes } from '#events/registry.ts';
import { sfnClient } from '#shared/clients/sfn.ts';
import { Env } from '#shared/config.ts';
import { parseEnvironment, Setting } from '#shared/environment.ts';
import { translateThrottling } from '#shared/errors.ts';
import { eventStage } from '#shared/stage/stage-handler.ts';
import { startDelivery, type StartDeliveryDeps } from './logic.ts';

const sfn = sfnClient();
const { [Env.deliveryStateMachineArn]: stateMachineArn } = parseEnvironment({
  [Env.deliveryStateMachineArn]: Setting.arn(),
});

const deps: StartDeliveryDeps = {
  start: async (name, input) => {
    try {
      const { executionArn } = await translateThrottling(`Starting execution ${name}`, () =>
        sfn.send(new StartExecutionCommand({ stateMachineArn, name, input })),
      );
      return { outcome: 'started', ...(executionArn === undefined ? {} : { executionArn }) };
    } catch (error) {
      // The product's delivery was started before: Step Functions keeps the name 90 days.
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists')
        return { outcome: 'already-started' };
      throw error;
    }
  },
};

export const handler = eventStage({
  stage: 'deliver',
  accepts: [EventTypes.deliveryRequested],
  handle: async (command, { logger }) => {
    const result = await startDelivery(command, deps);
    logger.info(result.started ? 'delivery saga started' : 'delivery saga was started before', {
      productId: command.data.productId,
      execution: result.execution,
    });
    return result;
  },
});
