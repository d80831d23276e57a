/**
 * The correlation an inbox key or a bare file name belongs to, as intake correlates it: the key
 * is identified by the providers' conventions (`identifyInboxKey`) and correlated by intake's own
 * `correlationOf`, so the console finds a file where the pipeline filed it.
 */
import { identifyInboxKey } from '#shared/conventions/inbox.ts';
import { ReferenceProviders } from '#shared/conventions/providers.ts';
import { correlationOf } from '#functions/intake/logic.ts';

/** The providers' prefixes tried for a bare file name (rules/providers.json). */
const PREFIXES = ReferenceProviders.map((provider) => provider.prefix);

/**
 * The correlation of `key` (`eumetsat/<name>`, `ecmwf/<name>`, or a bare name), or undefined
 * when no convention knows it.
 *
 * @example
 * correlationOfKey('S1D11221200112218001'); // 'forecast-2026-11-22T12:00:00.000Z'
 */
export function correlationOfKey(key: string, now = new Date()): string | undefined {
  const candidates = key.includes('/') ? [key] : PREFIXES.map((prefix) => `${prefix}${key}`);
  for (const candidate of candidates) {
    try {
      return correlationOf(identifyInboxKey(candidate, now));
    } catch {
      // Not this provider's convention: try the next one.
    }
  }
  return undefined;
}

/** The chunk slot (1..41) an imager chunk's key or name stands for; undefined for any other file. */
export function chunkOfKey(key: string, now = new Date()): number | undefined {
  const candidates = key.includes('/') ? [key] : PREFIXES.map((prefix) => `${prefix}${key}`);
  for (const candidate of candidates) {
    try {
      const { attributes } = identifyInboxKey(candidate, now);
      return attributes.convention === 'mtg-fci-l1c' ? attributes.chunk : undefined;
    } catch {
      // Not this provider's convention: try the next one.
    }
  }
  return undefined;
}
