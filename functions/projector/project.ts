/**
 * Projecting events into the status table: from stream records (the projector) or from events
 * read back from the store (`cometflow rebuild-status`), through the same fold and writes.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { CometEvent } from '#events/registry.ts';
import { MetricDimensions, MetricNames } from '#shared/metrics.ts';
import { checkOut, type ClaimStore } from '#shared/envelope/claim-check.ts';
import { factsOf, groupFacts, type EntityView } from './logic.ts';
import { applyFacts } from './status-store.ts';

/** Where projected views go, and what measures them. */
export interface ProjectDeps {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  /** Timeliness and lateness are emitted here; absent when rebuilding (they were emitted once). */
  readonly metrics?: Pick<Metrics, 'singleMetric' | 'addMetric'>;
  /** Entities written at once. @default 8 */
  readonly concurrency?: number;
  /**
   * Where the data of claim-checked events waits (an event stored with `dataref` and no `data`):
   * read back before the fold. Without it such an event fails the projection, naming the reason.
   */
  readonly claims?: ClaimStore;
}

/** What a projection did. */
export interface ProjectResult {
  readonly events: number;
  readonly entities: number;
}

/** The event an event store item holds; undefined for a guard item or anything else. */
export function eventOfItem(item: Record<string, unknown> | undefined): CometEvent | undefined {
  if (item === undefined || typeof item.event !== 'string' || typeof item.pk !== 'string' || item.pk.startsWith('ID#'))
    return undefined;
  return JSON.parse(item.event) as CometEvent;
}

/** The events inserted by stream records (a TTL removal or a guard item yields none). */
export function eventsOfStreamRecords(records: readonly DynamoDBRecord[]): CometEvent[] {
  const events: CometEvent[] = [];
  for (const record of records) {
    if (record.eventName === 'REMOVE') continue;
    const image = record.dynamodb?.NewImage;
    if (image === undefined) continue;
    const event = eventOfItem(unmarshall(image as Record<string, AttributeValue>));
    if (event !== undefined) events.push(event);
  }
  return events;
}

async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function measure(metrics: NonNullable<ProjectDeps['metrics']>, view: EntityView, newTypes: ReadonlySet<string>): void {
  if (view.kind === 'product' && view.timelinessSeconds !== undefined && newTypes.has('product.delivered')) {
    const metric = metrics.singleMetric();
    metric.addDimension(MetricDimensions.productType, view.productType ?? 'unknown');
    metric.addMetric(MetricNames.productTimeliness, MetricUnit.Seconds, view.timelinessSeconds);
  }
  if (view.kind === 'product' && newTypes.has('delivery.compensated')) {
    const metric = metrics.singleMetric();
    metric.addDimension(MetricDimensions.productType, view.productType ?? 'unknown');
    metric.addMetric(MetricNames.deliveriesCompensated, MetricUnit.Count, 1);
  }
  if (view.kind === 'file' && view.arrivalLatenessSeconds !== undefined && newTypes.has('file.available')) {
    const metric = metrics.singleMetric();
    metric.addDimension(MetricDimensions.provider, view.provider ?? 'unknown');
    metric.addMetric(MetricNames.arrivalLateness, MetricUnit.Seconds, view.arrivalLatenessSeconds);
  }
}

/** Folds events into the status table: every entity they concern, each written once. */
export async function projectEvents(stored: readonly CometEvent[], deps: ProjectDeps): Promise<ProjectResult> {
  // The store keeps a large event's reference (claim check): its data is read back here.
  const events = (await Promise.all(stored.map((event) => checkOut(event, deps.claims)))) as CometEvent[];
  const groups = [...groupFacts(events.flatMap(factsOf)).values()];
  await inPool(groups, deps.concurrency ?? 8, async ({ entity, facts }) => {
    const view = await applyFacts(deps.db, deps.table, entity, facts);
    if (deps.metrics !== undefined) measure(deps.metrics, view, new Set(Object.values(facts).map((f) => f.t)));
  });
  deps.metrics?.addMetric(MetricNames.eventsProjected, MetricUnit.Count, events.length);
  return { events: events.length, entities: groups.length };
}

/** Folds the events of stream records into the status table. */
export function projectStreamRecords(records: readonly DynamoDBRecord[], deps: ProjectDeps): Promise<ProjectResult> {
  return projectEvents(eventsOfStreamRecords(records), deps);
}
