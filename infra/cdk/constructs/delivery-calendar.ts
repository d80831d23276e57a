/**
 * The delivery calendar's periodic check: a function run every minute by EventBridge Scheduler
 * that holds the providers to `rules/expected-deliveries.json`, reading the event store and
 * publishing `input.missing` and `provider.silent` on the event bus.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CalendarService } from '#shared/metrics.ts';
import { loadCalendar } from '../../../functions/calendar/calendar.ts';
import { BundledFunction } from './bundled-function.ts';
import { acknowledgeFindings, arnReference } from './nag.ts';
import type { PipelineTables } from './pipeline-tables.ts';
import type { StageQueue } from './stage-queue.ts';
import type { CfnElement } from 'aws-cdk-lib';

/** Properties of a `DeliveryCalendar`. */
export interface DeliveryCalendarProps {
  readonly tables: PipelineTables;
  /** Where the check publishes what it raises. */
  readonly eventBus: StageQueue;
  readonly projectRoot: string;
  /**
   * Minutes between checks (EventBridge Scheduler's rate; at least 1).
   * @default 1
   */
  readonly everyMinutes?: number;
}

/**
 * The check and its schedule. The calendar is validated here, at synth: a bad calendar fails
 * `cdk synth` naming the field, not the deployed function.
 *
 * @example
 * new DeliveryCalendar(this, 'Calendar', { tables, eventBus, projectRoot });
 */
export class DeliveryCalendar extends Construct {
  public readonly fn: BundledFunction;
  public readonly schedule: Schedule;

  public constructor(scope: Construct, id: string, props: DeliveryCalendarProps) {
    super(scope, id);
    loadCalendar();
    this.fn = new BundledFunction(this, 'Function', {
      entry: join(props.projectRoot, 'functions', 'calendar', 'handler.ts'),
      projectRoot: props.projectRoot,
      description: 'cometflow delivery calendar check: input.missing and provider.silent',
      serviceName: CalendarService,
      memoryMiB: 256,
      timeoutSeconds: 50,
    });
    props.tables.grantReadData('EventStore', this.fn);
    props.eventBus.grantSend(this.fn);
    // An own role, beside the check: LambdaInvoke would otherwise make one at the stack's root.
    const role = new Role(this, 'ScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Role EventBridge Scheduler assumes to run the cometflow delivery calendar check',
    });
    // A missed run is not retried: the next one, a minute later, looks back far enough.
    const target = new LambdaInvoke(this.fn, {
      input: ScheduleTargetInput.fromObject({ check: 'delivery-calendar' }),
      retryAttempts: 0,
      role,
    });
    this.schedule = new Schedule(this, 'Schedule', {
      schedule: ScheduleExpression.rate(Duration.minutes(props.everyMinutes ?? 1)),
      description: 'Runs the delivery calendar check (input.missing, provider.silent)',
      target,
    });
    acknowledgeFindings(role, [
      {
        rule: `IAM5[Resource::${arnReference(this.fn.node.defaultChild as CfnElement)}:*]`,
        reason:
          "LambdaInvoke grants the schedule's role lambda:InvokeFunction on the check function and its versions (<arn>:*), nothing else.",
      },
    ]);
  }
}
