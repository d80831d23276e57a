/**
 * The rule set of docs/extending.md ("Add an algorithm and a rule"): the reference rules plus
 * one rule that turns every ingested Lightning Imager file into a byte histogram as well.
 */
import reference from '../../../../rules/reference-pipeline.json' with { type: 'json' };
import { ByteHistogram } from './byte-histogram.ts';

/** Product type of the new rule's products. */
export const HistogramProductType = 'lightning-byte-histogram';

/** The new rule: one histogram per ingested lightning file, delivered by `deliver-product`. */
export const histogramRule = {
  name: 'histogram-lightning-file',
  kind: 'forward',
  description: 'Every ingested Lightning Imager file also yields its byte histogram (bulk: nobody waits for it).',
  on: ['cometflow.file.ingested'],
  when: { path: 'data.attributes.convention', op: 'eq', value: 'mtg-li-l2' },
  key: ['data.ingested.key', 'data.ingested.sha256'],
  routes: [
    {
      emit: {
        command: 'cometflow.processing.requested',
        target: 'process',
        priority: 'bulk',
        subject: 'data.name',
        data: {
          algorithm: ByteHistogram,
          productType: HistogramProductType,
          inputs: [
            {
              bucket: { $path: 'data.ingested.bucket' },
              key: { $path: 'data.ingested.key' },
              size: { $path: 'data.ingested.size' },
              sha256: { $path: 'data.ingested.sha256' },
              name: { $path: 'data.name' },
            },
          ],
        },
      },
    },
  ],
} as const;

/** The reference rules with the new one. */
export const extendedRules = { ...reference, rules: [...reference.rules, histogramRule] };
