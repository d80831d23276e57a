/**
 * Deterministic ids: 32 hex digits (128 bits) of SHA-256 over the parts that make a thing what
 * it is. A redelivered message, a retried step or a re-sent command yields the same id, so the
 * receiver deduplicates it; 128 bits keep collisions out of reach at any volume the pipeline sees.
 */
import { createHash } from 'node:crypto';

/**
 * The id of the thing `parts` describe: SHA-256 over the parts joined by newlines (which no
 * part of an id contains: keys, ETags, rule names, hex digests), first 32 hex digits.
 *
 * @example
 * const id = stableId('available', key, etag); // the same upload, the same event id
 */
export function stableId(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}
