/**
 * `cycle <id>`: a repeat cycle as the status read model holds it (the projection of the event
 * store, `functions/projector/`, the same view `trace` and `status` read and the console shows):
 * chunks announced and ingested, missing and duplicated, the processing request with its
 * references, abandoned, late inputs, products and delivery. There is one fold of a cycle's
 * events, the projector's; `cometflow rebuild-status` rebuilds it from the store.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ranges, type CycleView } from '#functions/projector/logic.ts';
import { readView } from '#functions/projector/status-store.ts';
import { TRAILER_CHUNK } from '#shared/conventions/mtg-fci.ts';
import { UsageError } from './errors.ts';

/** The slots of a cycle's join: 40 body chunks and the trailer, numbered 1..41. */
export const CYCLE_SLOTS = TRAILER_CHUNK;

const JOIN_KEY = /^\d{8}-\d{3}$/;

/** The correlation of a cycle id; throws `UsageError` for anything but `YYYYMMDD-NNN`. */
export function cycleCorrelation(joinKey: string): string {
  if (!JOIN_KEY.test(joinKey))
    throw new UsageError(`"${joinKey}" is not a cycle id; expected YYYYMMDD-NNN, for example 20261122-061`);
  return `cycle-${joinKey}`;
}

/**
 * The read model's view of a cycle, or undefined when it knows none by that id.
 *
 * @example
 * const view = await readCycle(documents, statusTable, '20261122-061');
 * if (view !== undefined) for (const line of formatCycle(view)) console.log(line);
 */
export async function readCycle(
  db: DynamoDBDocumentClient,
  statusTable: string,
  joinKey: string,
): Promise<CycleView | undefined> {
  cycleCorrelation(joinKey);
  return (await readView(db, statusTable, { kind: 'cycle', id: joinKey })) as CycleView | undefined;
}

/** When the cycle's product was delivered, if it was. */
export const deliveredAt = (view: CycleView): string | undefined => view.stages['product.delivered'];

/** The view as text, one fact a line. */
export function formatCycle(view: CycleView): string[] {
  const fired = view.fired;
  const lines = [
    `cycle ${view.id} (cycle-${view.id}): ${view.stage}, folded from ${view.events} stored events`,
    `  window       ${view.window === undefined ? 'unknown' : `${view.window.start} .. ${view.window.end}`}`,
    `  announced    ${view.available.length}/${CYCLE_SLOTS} chunks: ${ranges(view.available)}`,
    `  ingested     ${view.ingested.length}/${CYCLE_SLOTS} chunks: ${ranges(view.ingested)}`,
    `  missing      ${ranges(view.missing)}`,
    `  duplicates   ${(view.duplicates ?? []).length === 0 ? 'none' : view.duplicates.map((d) => `slot ${d.slot} x${d.count}`).join(', ')}`,
    `  fired        ${
      fired === undefined
        ? 'no'
        : `${fired.at}, ${fired.inputs} inputs, ` +
          `${fired.degraded ? `DEGRADED, missing ${fired.missing.join(',')}` : 'complete'}`
    }`,
    `  references   ${fired === undefined ? (view.forecast ?? 'none yet') : (fired.references ?? ['unknown (rebuild-status)']).join(', ') || 'none'}`,
    `  abandoned    ${view.abandoned === undefined ? 'no' : `${view.abandoned.at}: ${view.abandoned.reason}`}`,
    `  late inputs  ${view.late.length === 0 ? 'none' : view.late.map((slot) => `slot ${slot}`).join(', ')}`,
    `  deadline     ${view.stages['deadline.reached'] === undefined ? 'no timer handled yet' : `${view.stages['deadline.reached']} (its timer was handled)`}`,
    `  product      ${view.productIds.length === 0 ? 'none' : view.productIds.join(', ')}`,
    `  delivered    ${deliveredAt(view) ?? 'no'}`,
  ];
  if (view.rejected.length > 0)
    lines.push(`  rejected     ${view.rejected.map((r) => `${r.key} (${r.code})`).join(', ')}`);
  if (view.waitingFor.length > 0) lines.push(`  waiting for  ${view.waitingFor.join('; ')}`);
  return lines;
}
