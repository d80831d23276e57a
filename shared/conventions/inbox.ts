/**
 * What an inbox key means: `<provider prefix><file name>`, each provider with the naming
 * conventions its definition lists (`rules/providers.json`) and their content formats.
 */
import type { FileAttributes } from '#events/registry.ts';
import { type ProviderTable, ReferenceProviders } from './providers.ts';
import { Conventions } from './registry.ts';
import { FileRejectedError } from './rejection.ts';

export { formatOf } from './registry.ts';

/** A provider file identified from its inbox key. */
export interface ProviderFile {
  readonly provider: string;
  readonly name: string;
  readonly attributes: FileAttributes;
}

/**
 * Identifies an inbox key against the providers; throws `FileRejectedError` for an unknown
 * provider prefix, a nested key or a name that follows none of the provider's conventions.
 * A provider with several conventions judges a name by the one it claims (its instrument
 * field); a name claiming none fails with each convention's reason.
 *
 * @example
 * identifyInboxKey('ecmwf/S1D11221200112218001', new Date()).attributes.kind // 'forecast'
 */
export function identifyInboxKey(
  key: string,
  uploadedAt: Date,
  providers: ProviderTable = ReferenceProviders,
): ProviderFile {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? '' : key.slice(0, slash + 1);
  const name = key.slice(slash + 1);
  const provider = providers.find((p) => p.prefix === prefix);
  if (provider === undefined) {
    throw new FileRejectedError(
      'unknown-provider',
      `Key ${JSON.stringify(key)} is not under a provider prefix; expected one of ${providers.map((p) => p.prefix).join(', ')}`,
    );
  }
  if (name.includes('/') || name === '') {
    throw new FileRejectedError(
      'bad-name',
      `Key ${JSON.stringify(key)} has no file name or nested folders; expected ${prefix}<file name>`,
    );
  }
  const conventions = provider.conventions.map((convention) => Conventions[convention]);
  const claimed = conventions.find((convention) => convention.claims(name));
  if (claimed !== undefined || conventions.length === 1) {
    return { provider: provider.name, name, attributes: (claimed ?? conventions[0]!).parse(name, uploadedAt) };
  }
  const reasons = conventions.map((convention) => {
    try {
      return { attributes: convention.parse(name, uploadedAt) };
    } catch (error) {
      if (!(error instanceof FileRejectedError)) throw error;
      return { reason: error.message };
    }
  });
  const parsed = reasons.find((r) => r.attributes !== undefined)?.attributes;
  if (parsed !== undefined) return { provider: provider.name, name, attributes: parsed };
  throw new FileRejectedError(
    'bad-name',
    `File name ${JSON.stringify(name)} follows none of provider ${provider.name}'s conventions (${provider.conventions.join(', ')}): ${reasons.map((r) => r.reason).join('; ')}`,
  );
}
