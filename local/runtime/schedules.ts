/**
 * Runs the template's EventBridge Scheduler schedules (`AWS::Scheduler::Schedule`) that target
 * a function: a timer per schedule at its rate, each run invoking the function with the target's
 * `Input`, one run at a time per schedule (a run still going when the next is due skips that
 * one, as a flexible window would). Only `rate(...)` expressions are run; anything else is
 * refused with the expression named, so a schedule is never silently not run.
 */
import type { ExecutionEnvironment } from './lambda-host.ts';

/** A schedule as the template declares it. */
export interface LocalSchedule {
  readonly logicalId: string;
  readonly expression: string;
  /** Logical id of the function the target names (`Fn::GetAtt [id, Arn]`). */
  readonly functionId: string;
  readonly input: unknown;
  readonly enabled: boolean;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

/** Milliseconds between runs of a `rate(...)` expression. */
export function periodOf(expression: string): number {
  const match = RATE.exec(expression);
  if (match === null) {
    throw new Error(
      `Schedule expression "${expression}" is not run by the local runtime; expected rate(<n> minute(s)|hour(s)|day(s))`,
    );
  }
  const unit = {
    minute: 60_000,
    minutes: 60_000,
    hour: 3_600_000,
    hours: 3_600_000,
    day: 86_400_000,
    days: 86_400_000,
  }[match[2]!]!;
  return Number(match[1]) * unit;
}

/** The schedules of a template's resources that target a function. */
export function schedulesOf(
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
): LocalSchedule[] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Scheduler::Schedule')
    .map(([logicalId, r]) => {
      const props = r.Properties ?? {};
      const target = props.Target as { Arn?: { 'Fn::GetAtt'?: [string, string] }; Input?: string } | undefined;
      const functionId = target?.Arn?.['Fn::GetAtt']?.[0];
      if (functionId === undefined)
        throw new Error(
          `Schedule ${logicalId} targets ${JSON.stringify(target?.Arn)}; the local runtime runs schedules of functions only`,
        );
      return {
        logicalId,
        expression: String(props.ScheduleExpression),
        functionId,
        input: target?.Input === undefined ? {} : (JSON.parse(target.Input) as unknown),
        enabled: props.State !== 'DISABLED',
      };
    });
}

/** Timers running schedules; `stop()` clears them and waits for the runs in flight. */
export class ScheduleRunner {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();

  /**
   * Starts a schedule.
   * @param onRun called after each run, with the error of a failed one
   */
  public start(
    schedule: LocalSchedule,
    environment: ExecutionEnvironment,
    onRun?: (error?: Error) => void,
    periodMs = periodOf(schedule.expression),
  ): void {
    if (!schedule.enabled) return;
    let busy = false;
    this.timers.push(
      setInterval(() => {
        if (busy) return;
        busy = true;
        const run = environment
          .invoke(schedule.input)
          .then(
            () => onRun?.(),
            (error: Error) => onRun?.(error),
          )
          .finally(() => {
            busy = false;
            this.running.delete(run);
          });
        this.running.add(run);
      }, periodMs),
    );
  }

  public async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.running);
  }
}
