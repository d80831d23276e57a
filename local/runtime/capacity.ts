/**
 * The local capacity model. On AWS every Lambda execution environment and every Fargate task
 * has CPU of its own: a bulk lane bounded to 2 concurrent invocations, or two ingest tasks of
 * 1 vCPU each, cannot take CPU from a real-time function. Locally everything shares the
 * machine's cores, so a bulk ingestion would slow real-time work for a reason AWS does not
 * have. The model gives the consumers of bulk lanes (their Lambda execution environments, which
 * are worker threads, and the container tasks, which are child processes) a low scheduling
 * priority (a high nice value): they run on whatever CPU the real-time work leaves, which is
 * the share their own capacity has on AWS, no more. Which lanes are bulk comes from the lane
 * table the scheduler receives (`COMETFLOW_LANES`), the same data that routes the work.
 *
 * What it does not model: the emulators (S3 and SQS, DynamoDB Local) serve both kinds of work
 * at one priority, as the AWS services do, but on the same cores.
 */
import { Env } from '#shared/config.ts';

/** The nice value of bulk consumers: the lowest priority, so they yield to everything else. */
export const BulkNiceness = 19;

/** What runs bulk work, from the functions' environments. */
export interface BulkLanes {
  /** Names of the queues of bulk lanes consumed by Lambda functions. */
  readonly queueNames: ReadonlySet<string>;
  /** Whether the container lanes are bulk. */
  readonly containers: boolean;
}

/**
 * The bulk lanes named by any `COMETFLOW_LANES` among `environments` (the scheduler's).
 *
 * @example
 * bulkLanesOf([{ COMETFLOW_LANES: '{"process-bulk":{"stage":"process","priority":"bulk","queueUrl":"http://x/q"}}' }])
 * // { queueNames: Set { 'q' }, containers: false }
 */
export function bulkLanesOf(environments: readonly Readonly<Record<string, string>>[]): BulkLanes {
  const queueNames = new Set<string>();
  let containers = false;
  for (const environment of environments) {
    const text = environment[Env.lanes];
    if (text === undefined) continue;
    const lanes = JSON.parse(text) as Record<string, { stage: string; priority: string; queueUrl: string }>;
    for (const lane of Object.values(lanes)) {
      if (lane.priority !== 'bulk') continue;
      if (lane.stage === 'ingest-container') containers = true;
      else queueNames.add(lane.queueUrl.slice(lane.queueUrl.lastIndexOf('/') + 1));
    }
  }
  return { queueNames, containers };
}
