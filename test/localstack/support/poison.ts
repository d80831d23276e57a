/**
 * A poisoned processing request: it names an input that is not in the archive yet, so process
 * fails on every receive and the message goes to the process DLQ with its failure record; putting
 * `body` at `input.key` afterwards removes the cause.
 */
import { randomBytes } from 'node:crypto';
import { EventTypes } from '../../../events/registry.ts';
import { wrap } from '../../../shared/envelope/envelope.ts';
import { sha256 } from './stack.ts';

/** The request, its missing input and the bytes that fix it; `label` prefixes ids and keys. */
export function poisonedRequest(archiveBucket: string, label: string) {
  const tag = randomBytes(6).toString('hex');
  const correlationId = `${label}-${tag}`;
  const body = Buffer.from(`${label} input ${tag}\n`);
  const input = {
    bucket: archiveBucket,
    key: `${label}/${tag}/input.nc`,
    size: body.length,
    sha256: sha256(body),
    name: `input-${tag}.nc`,
  };
  const command = wrap({
    type: EventTypes.processingRequested,
    source: `test/${label}`,
    correlationId,
    subject: correlationId,
    data: {
      algorithm: 'byte-statistics',
      productType: 'fci-cycle-statistics',
      inputs: [input],
      degraded: false,
      missing: [],
    },
  });
  return { correlationId, body, input, command };
}
