/**
 * `status`: what is in flight now, per stage and lane. From SQS (GetQueueAttributes of each
 * stage queue and its DLQ: waiting, in flight, delayed, dead letters), from the status read
 * model (how many files, cycles and products of the day wait at each stage, and since when:
 * the oldest work waiting, which SQS does not tell without receiving), from Step Functions
 * (running delivery sagas) and ECS (running and pending container tasks). `readStatus` returns
 * plain data; the console calls it as the CLI does.
 */
import { ListTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EntityKinds, type EntityKind, type EntityView } from '#functions/projector/logic.ts';
import { readViewsOfDay } from '#functions/projector/status-store.ts';
import type { StackDescription } from '../local/stack-description.ts';
import { EventTypes } from '#events/registry.ts';
import { queueDepth } from './dlq.ts';
import { readWindow, table } from './event-store.ts';

/** The stage and lane each queue role feeds. */
export const QueueStages: Readonly<Record<string, { readonly stage: string; readonly lane: string }>> = {
  intake: { stage: 'intake', lane: 'uploads' },
  eventBus: { stage: 'scheduler', lane: 'events' },
  eventBusBulk: { stage: 'scheduler', lane: 'bulk events' },
  ingest: { stage: 'ingest', lane: 'lambda' },
  ingestContainer: { stage: 'ingest', lane: 'container' },
  process: { stage: 'process', lane: 'realtime' },
  processBulk: { stage: 'process', lane: 'bulk' },
  ingestBulk: { stage: 'ingest', lane: 'bulk' },
  deliver: { stage: 'deliver', lane: 'saga start' },
};

/** One queue's counts. */
export interface QueueStatus {
  readonly role: string;
  readonly stage: string;
  readonly lane: string;
  readonly waiting: number;
  readonly inFlight: number;
  readonly delayed: number;
  /** Messages in its dead-letter queue; undefined when it has none. */
  readonly deadLetters?: number;
}

/** Entities of the day at one stage of the read model, and the oldest of them. */
export interface StageCount {
  readonly kind: EntityKind;
  readonly stage: string;
  readonly count: number;
  /** The earliest `updatedAt` among those still waiting (not done, not failed). */
  readonly oldestWaitingSince?: string;
  readonly oldestWaitingId?: string;
}

/** The whole status. */
export interface StatusReport {
  readonly at: string;
  readonly day: string;
  readonly queues: readonly QueueStatus[];
  readonly readModel: readonly StageCount[];
  /** Running executions per state machine role; undefined when the stack describes none or the call failed. */
  readonly executions: Readonly<Record<string, number | string>>;
  /** Running and pending tasks per container worker role. */
  readonly containerTasks: Readonly<Record<string, { running: number; pending: number } | string>>;
  /** The delivery calendar's alerts of the day (`input.missing`, `provider.silent`), oldest first. */
  readonly alerts: readonly {
    readonly type: string;
    readonly subject: string;
    readonly at: string;
    readonly detail: string;
  }[];
}

/** What `readStatus` talks to. */
export interface StatusDeps {
  readonly description: StackDescription;
  readonly sqs: SQSClient;
  readonly documents: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly ecs: ECSClient;
  readonly now?: () => Date;
}

/** Counts views per kind and stage; the oldest waiting among those that wait for something. */
export function countStages(views: readonly EntityView[]): StageCount[] {
  const counts = new Map<string, { kind: EntityKind; stage: string; count: number; oldest?: EntityView }>();
  for (const view of views) {
    const key = `${view.kind}#${view.stage}`;
    const entry = counts.get(key) ?? { kind: view.kind, stage: view.stage, count: 0 };
    entry.count += 1;
    if (view.waitingFor.length > 0 && (entry.oldest === undefined || view.updatedAt < entry.oldest.updatedAt))
      entry.oldest = view;
    counts.set(key, entry);
  }
  return [...counts.values()]
    .sort((a, b) => EntityKinds.indexOf(a.kind) - EntityKinds.indexOf(b.kind) || a.stage.localeCompare(b.stage))
    .map(({ oldest, ...rest }) => ({
      ...rest,
      ...(oldest === undefined ? {} : { oldestWaitingSince: oldest.updatedAt, oldestWaitingId: oldest.id }),
    }));
}

const failureText = (error: unknown): string =>
  `unavailable: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;

/**
 * The status of a stack now. The read model counts what the day holds (`day`, default today, UTC).
 *
 * @example
 * const report = await readStatus({ description, sqs, documents, sfn, ecs });
 */
export async function readStatus(deps: StatusDeps, day?: string): Promise<StatusReport> {
  const now = (deps.now ?? (() => new Date()))();
  const { description } = deps;
  const theDay = day ?? now.toISOString().slice(0, 10);
  const queues = await Promise.all(
    Object.entries(description.queues)
      .filter(([role]) => !role.endsWith('Dlq'))
      .map(async ([role, url]): Promise<QueueStatus> => {
        const where = QueueStages[role] ?? {
          stage: role.startsWith('subscriber') ? 'subscriber' : role,
          lane: role.replace(/^subscriber/, ''),
        };
        const dlq = description.queues[`${role}Dlq`];
        const [depth, dead] = await Promise.all([
          queueDepth(deps.sqs, url),
          dlq === undefined ? undefined : queueDepth(deps.sqs, dlq),
        ]);
        return {
          role,
          ...where,
          waiting: depth.visible,
          inFlight: depth.inFlight,
          delayed: depth.delayed,
          ...(dead === undefined ? {} : { deadLetters: dead.visible + dead.inFlight + dead.delayed }),
        };
      }),
  );
  const statusTable = description.tables.status;
  const views =
    statusTable === undefined
      ? []
      : (
          await Promise.all(EntityKinds.map((kind) => readViewsOfDay(deps.documents, statusTable, kind, theDay)))
        ).flat();
  const executions: Record<string, number | string> = {};
  for (const [role, arn] of Object.entries(description.stateMachines ?? {})) {
    try {
      let count = 0;
      let nextToken: string | undefined;
      do {
        const page = await deps.sfn.send(
          new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING', nextToken }),
        );
        count += page.executions?.length ?? 0;
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
      executions[role] = count;
    } catch (error) {
      executions[role] = failureText(error);
    }
  }
  const containerTasks: Record<string, { running: number; pending: number } | string> = {};
  for (const [role, worker] of Object.entries(description.workers ?? {})) {
    try {
      const count = async (desiredStatus: 'RUNNING' | 'PENDING'): Promise<number> =>
        (await deps.ecs.send(new ListTasksCommand({ cluster: worker.cluster, family: worker.family, desiredStatus })))
          .taskArns?.length ?? 0;
      containerTasks[role] = { running: await count('RUNNING'), pending: await count('PENDING') };
    } catch (error) {
      containerTasks[role] = failureText(error);
    }
  }
  const eventStore = description.tables.eventStore;
  const stored =
    eventStore === undefined
      ? []
      : await readWindow(
          deps.documents,
          eventStore,
          {
            from: `${theDay}T00:00:00.000Z`,
            to: new Date(Date.parse(`${theDay}T00:00:00.000Z`) + 86_400_000).toISOString(),
          },
          { types: [EventTypes.inputMissing, EventTypes.providerSilent] },
        );
  const alerts = stored.map(({ event }) => ({
    type: event.type.replace(/^cometflow\./, ''),
    subject: event.subject ?? '',
    at: event.time,
    detail:
      event.type === EventTypes.inputMissing
        ? `${(event.data as { expectedFiles: number }).expectedFiles} files due by ${(event.data as { dueAt: string }).dueAt}, none came`
        : `nothing since ${(event.data as { silentSince: string }).silentSince}`,
  }));
  return {
    at: now.toISOString(),
    day: theDay,
    alerts,
    queues: queues.sort((a, b) => a.stage.localeCompare(b.stage) || a.lane.localeCompare(b.lane)),
    readModel: countStages(views),
    executions,
    containerTasks,
  };
}

/** Seconds (or minutes, hours) between two instants, in short words. */
export function age(from: string, to: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  return seconds < 120
    ? `${seconds} s`
    : seconds < 7200
      ? `${Math.round(seconds / 60)} min`
      : `${Math.round(seconds / 3600)} h`;
}

/** The report as text. */
export function formatStatus(report: StatusReport): string[] {
  const lines = [`status at ${report.at}`, '', 'queues (SQS)'];
  lines.push(
    ...table([
      ['stage', 'lane', 'waiting', 'in flight', 'delayed', 'dead letters'],
      ...report.queues.map((q) => [
        q.stage,
        q.lane,
        String(q.waiting),
        String(q.inFlight),
        String(q.delayed),
        q.deadLetters === undefined ? '-' : String(q.deadLetters),
      ]),
    ]).map((l) => `  ${l}`),
  );
  lines.push('', `read model, ${report.day} (status table)`);
  if (report.readModel.length === 0) lines.push('  nothing recorded for this day');
  else {
    lines.push(
      ...table([
        ['kind', 'stage', 'count', 'oldest waiting'],
        ...report.readModel.map((s) => [
          s.kind,
          s.stage,
          String(s.count),
          s.oldestWaitingSince === undefined ? '-' : `${age(s.oldestWaitingSince, report.at)} (${s.oldestWaitingId})`,
        ]),
      ]).map((l) => `  ${l}`),
    );
  }
  lines.push('', `missing inputs and silent providers, ${report.day} (delivery calendar)`);
  if (report.alerts.length === 0) lines.push('  none');
  else
    lines.push(
      ...table([
        ['type', 'what', 'noticed', 'detail'],
        ...report.alerts.map((a) => [a.type, a.subject, a.at, a.detail]),
      ]).map((l) => `  ${l}`),
    );
  lines.push('', 'running');
  for (const [role, count] of Object.entries(report.executions)) lines.push(`  ${role} saga executions  ${count}`);
  for (const [role, tasks] of Object.entries(report.containerTasks)) {
    lines.push(
      `  ${role} container tasks  ${typeof tasks === 'string' ? tasks : `${tasks.running} running, ${tasks.pending} pending`}`,
    );
  }
  return lines;
}
