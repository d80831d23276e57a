/**
 * What a replay sends back: the state events the pipeline's stages published, never what the
 * scheduler made of them.
 *
 * The rule: a type is replayed when a producer other than the scheduler publishes it on the
 * event bus, as the catalog's AsyncAPI document says (the `send` operations on the `eventBus`
 * channel whose tags do not name the `scheduler`), and an event of such a type is replayed only
 * when its `source` is not the scheduler's. Everything the scheduler produces (commands such as
 * `ingest.requested`, `processing.requested`, `delivery.requested`; its deadline timers
 * `deadline.reached`; its records `cycle.abandoned` and `input.late`) follows from those events
 * by the rules, so a replay re-derives it instead of re-sending it. For the reference catalog:
 * file.available, file.rejected, file.ingested, product.generated, product.delivered, and
 * delivery.compensated (the delivery saga's report of an undone delivery).
 */
import asyncapi from '#events/asyncapi.json' with { type: 'json' };
import { EventTypes, type EventType } from '#events/registry.ts';
import { sourceOf } from '#shared/config.ts';
import { UsageError } from './errors.ts';

interface Reference {
  readonly $ref: string;
}
interface AsyncApiSubset {
  readonly channels: Record<string, { readonly messages?: Record<string, Reference> }>;
  readonly operations: Record<
    string,
    {
      readonly action: string;
      readonly channel: Reference;
      readonly tags?: readonly { readonly name: string }[];
      readonly messages?: readonly Reference[];
    }
  >;
  readonly components: { readonly messages: Record<string, { readonly name?: string }> };
}

const lastPart = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);

/** The tag of the scheduler's operations in the AsyncAPI document. */
const SCHEDULER_TAG = 'scheduler';

/**
 * The types producers other than the scheduler send to the event bus channel, by the AsyncAPI
 * document `document`, in registry order; only types of the registry count.
 */
export function replayableTypesOf(document: AsyncApiSubset): EventType[] {
  const known = new Set<string>(Object.values(EventTypes));
  const types = new Set<EventType>();
  const busMessages = document.channels.eventBus?.messages ?? {};
  for (const operation of Object.values(document.operations)) {
    if (operation.action !== 'send' || operation.channel.$ref !== '#/channels/eventBus') continue;
    if ((operation.tags ?? []).some((tag) => tag.name === SCHEDULER_TAG)) continue;
    for (const message of operation.messages ?? []) {
      const component = busMessages[lastPart(message.$ref)];
      const type = component === undefined ? undefined : document.components.messages[lastPart(component.$ref)]?.name;
      if (type !== undefined && known.has(type)) types.add(type as EventType);
    }
  }
  return Object.values(EventTypes).filter((type) => types.has(type));
}

/** The types a replay sends, in catalog order. */
export const ReplayableTypes: readonly EventType[] = replayableTypesOf(asyncapi as unknown as AsyncApiSubset);

const schedulerSource = sourceOf('scheduler');

/** Whether a stored event is one a replay sends back (see the rule above). */
export const isReplayable = (
  event: { readonly type: string; readonly source: string },
  types: readonly string[] = ReplayableTypes,
): boolean => types.includes(event.type) && event.source !== schedulerSource;

/**
 * Parses `--types a,b`: full names (`cometflow.file.ingested`) or short ones (`file.ingested`),
 * each a replayable type.
 */
export function parseTypes(list: string | undefined): readonly EventType[] {
  if (list === undefined) return ReplayableTypes;
  const short = (type: string): string => type.replace(/^cometflow\./, '');
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0)
    throw new UsageError(`--types is empty; expected some of ${ReplayableTypes.map(short).join(', ')}`);
  return names.map((name) => {
    const found = ReplayableTypes.find((type) => type === name || short(type) === name);
    if (found !== undefined) return found;
    const why = Object.values(EventTypes).some((type) => type === name || short(type) === name)
      ? 'is made by the scheduler, which re-derives it from the events replayed; it is not replayed'
      : 'is not a type of the catalog';
    throw new UsageError(`--types: "${name}" ${why}; replayable types: ${ReplayableTypes.map(short).join(', ')}`);
  });
}
