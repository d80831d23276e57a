/**
 * What an inbox key means: `<provider>/<file name>`, each provider with its own naming
 * convention and content format.
 */
import type { FileAttributes } from '#events/registry.ts';
import { Providers, type Provider } from '../config.ts';
import { parseEcmwfName } from './ecmwf.ts';
import { parseFciName } from './mtg-fci.ts';
import { looksLikeLiName, parseLiName } from './mtg-li.ts';
import { FileRejectedError } from './rejection.ts';

/** A provider file identified from its inbox key. */
export interface ProviderFile {
  readonly provider: Provider;
  readonly name: string;
  readonly attributes: FileAttributes;
}

/** The content format each kind of file must have. */
export const formatOf = (attributes: FileAttributes): 'hdf5' | 'grib2' =>
  attributes.kind === 'forecast' ? 'grib2' : 'hdf5';

/**
 * Identifies an inbox key; throws `FileRejectedError` for an unknown provider prefix, a nested
 * key or a name that breaks the provider's convention.
 */
export function identifyInboxKey(key: string, uploadedAt: Date): ProviderFile {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? '' : key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (!(Providers as readonly string[]).includes(prefix)) {
    throw new FileRejectedError(
      'unknown-provider',
      `Key ${JSON.stringify(key)} is not under a provider prefix; expected one of ${Providers.map((p) => `${p}/`).join(', ')}`,
    );
  }
  if (name.includes('/') || name === '') {
    throw new FileRejectedError(
      'bad-name',
      `Key ${JSON.stringify(key)} has no file name or nested folders; expected ${prefix}/<file name>`,
    );
  }
  const provider = prefix as Provider;
  // EUMETSAT sends two instruments' files under one prefix; the instrument field picks the convention.
  const attributes =
    provider === 'ecmwf'
      ? parseEcmwfName(name, uploadedAt)
      : looksLikeLiName(name)
        ? parseLiName(name)
        : parseFciName(name);
  return { provider, name, attributes };
}
