/**
 * The skeleton's business rules: one command per state event (each ingested file is processed
 * on its own). The join rules with deadlines replace these in the rule engine; the shape of a
 * decision (rule, key, target, command) stays.
 */
import { createHash } from 'node:crypto';
import { EventTypes, type CometEvent, type EventType } from '#events/registry.ts';
import { sourceOf } from '#shared/config.ts';
import { wrap } from '#shared/envelope/envelope.ts';

import type { Target } from '#shared/config.ts';

export type { Target };

/** A command the rules decided to send, keyed so that it fires once. */
export interface Decision {
  readonly rule: string;
  /** Identity of the trigger: the same rule and key never fire twice. */
  readonly key: string;
  readonly target: Target;
  readonly command: CometEvent;
}

const source = sourceOf('scheduler');

/** A command id derived from its trigger, so a re-sent command is recognized downstream. */
export const commandId = (rule: string, key: string): string =>
  createHash('sha256').update(`${rule}\n${key}`).digest('hex').slice(0, 32);

/** The algorithm and product type that each kind of input is processed with. */
export const processingOf = (kind: 'imager-chunk' | 'imager-trailer' | 'forecast'): { algorithm: string; productType: string } =>
  kind === 'forecast'
    ? { algorithm: 'byte-statistics', productType: 'forecast-statistics' }
    : { algorithm: 'byte-statistics', productType: 'fci-chunk-statistics' };

/** The event types the scheduler listens to. */
export const ScheduledTypes = [
  EventTypes.fileAvailable, EventTypes.fileRejected, EventTypes.fileIngested,
  EventTypes.productGenerated, EventTypes.productDelivered,
] as const satisfies readonly EventType[];

/** Decides the commands one event causes. Pure. */
export function decide(event: CometEvent<(typeof ScheduledTypes)[number]>): Decision[] {
  switch (event.type) {
    case EventTypes.fileAvailable: {
      const { data } = event as CometEvent<typeof EventTypes.fileAvailable>;
      const rule = 'ingest-every-available-file';
      const key = `${data.file.key}#${data.file.etag}`;
      return [{ rule, key, target: 'ingest', command: wrap({ type: EventTypes.ingestRequested, source, data, cause: event, id: commandId(rule, key), subject: data.file.key }) }];
    }
    case EventTypes.fileIngested: {
      const { data } = event as CometEvent<typeof EventTypes.fileIngested>;
      const rule = 'process-every-ingested-file';
      const key = `${data.ingested.key}#${data.ingested.sha256}`;
      return [{
        rule, key, target: 'process-realtime',
        command: wrap({
          type: EventTypes.processingRequested, source, cause: event, id: commandId(rule, key), subject: data.name,
          data: { ...processingOf(data.attributes.kind), inputs: [{ ...data.ingested, name: data.name }], degraded: false, missing: [] },
        }),
      }];
    }
    case EventTypes.productGenerated: {
      const { data } = event as CometEvent<typeof EventTypes.productGenerated>;
      const rule = 'deliver-every-product';
      const key = data.productId;
      return [{
        rule, key, target: 'deliver',
        command: wrap({
          type: EventTypes.deliveryRequested, source, cause: event, id: commandId(rule, key), subject: data.productId,
          data: { productId: data.productId, productType: data.productType, product: data.product, manifest: data.manifest },
        }),
      }];
    }
    default:
      return [];
  }
}
