import { describe, expect, it } from 'vitest';
import definition from '../../rules/providers.json' with { type: 'json' };
import { exampleEcmwfName } from './ecmwf.ts';
import { identifyInboxKey } from './inbox.ts';
import {
  intakeViewOf,
  loadProviders,
  ProviderDefinitionError,
  ReferenceProviders,
  withPrincipals,
  type ProviderDefinition,
} from './providers.ts';
import { rejectionOf } from './testing.ts';

const dwd: ProviderDefinition = {
  name: 'dwd',
  prefix: 'dwd/',
  conventions: ['ecmwf-dissemination'],
  maxFileBytes: 1024 ** 3,
};

describe('the provider definition', () => {
  it('loads the reference providers from rules/providers.json', () => {
    // Assess
    expect(ReferenceProviders.map((p) => [p.name, p.prefix, p.conventions])).toEqual([
      ['eumetsat', 'eumetsat/', ['mtg-fci-l1c', 'mtg-li-l2']],
      ['ecmwf', 'ecmwf/', ['ecmwf-dissemination']],
    ]);
    expect(ReferenceProviders).toEqual(definition.providers);
  });

  it('names every problem of a bad table with its place', () => {
    // Prepare
    const bad = [
      { ...dwd, prefix: 'dwd/inbox/' },
      { ...dwd, name: 'DWD', conventions: ['grib1'] },
      { ...dwd, maxFileBytes: 6 * 1024 ** 4, principals: ['12345'] },
      { ...dwd, surplus: true },
    ];

    // Act
    const act = (): unknown => loadProviders(bad, 'rules/providers.json');

    // Assess
    expect(act).toThrow(ProviderDefinitionError);
    const message = (() => {
      try {
        act();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('rules/providers.json is not a valid provider definition');
    expect(message).toContain('- 0.prefix: one key segment');
    expect(message).toContain('- 1.name: a provider name');
    expect(message).toContain('- 1.conventions.0:');
    expect(message).toContain('- 2.maxFileBytes:');
    expect(message).toContain('- 2.principals.0:');
    expect(message).toContain('surplus');
  });

  it('refuses two providers with the same name or prefix', () => {
    // Act
    const act = (): unknown => loadProviders([dwd, { ...dwd, name: 'dwd-backup' }, { ...dwd, prefix: 'dwd2/' }]);

    // Assess
    expect(act).toThrow('- 1.prefix: duplicate prefix dwd/');
    expect(act).toThrow('- 2.name: duplicate name dwd');
  });

  it('adds deploy-time principals, given as JSON text or an object', () => {
    // Act
    const fromText = withPrincipals([...ReferenceProviders, dwd], '{"dwd":["444455556666"]}');
    const fromObject = withPrincipals(fromText, { dwd: ['arn:aws:iam::444455556666:role/uploader', '444455556666'] });

    // Assess
    expect(fromText.find((p) => p.name === 'dwd')?.principals).toEqual(['444455556666']);
    expect(fromObject.find((p) => p.name === 'dwd')?.principals).toEqual([
      '444455556666',
      'arn:aws:iam::444455556666:role/uploader',
    ]);
    expect(fromObject.find((p) => p.name === 'ecmwf')?.principals).toBeUndefined();
    expect(intakeViewOf(fromObject).every((p) => !('principals' in p))).toBe(true);
  });

  it('refuses principals of an unknown provider or of the wrong form', () => {
    // Assess
    expect(() => withPrincipals(ReferenceProviders, { noaa: ['444455556666'] })).toThrow(
      'Provider principals name unknown providers noaa; expected some of eumetsat, ecmwf',
    );
    expect(() => withPrincipals(ReferenceProviders, { ecmwf: ['arn:aws:s3:::bucket'] })).toThrow(
      ProviderDefinitionError,
    );
    expect(() => withPrincipals(ReferenceProviders, '{ecmwf')).toThrow('are not JSON');
  });

  it("identifies a new provider's files by its entry alone", () => {
    // Act
    const file = identifyInboxKey(`dwd/${exampleEcmwfName}`, new Date('2026-11-22T13:00:00Z'), [
      ...ReferenceProviders,
      dwd,
    ]);
    const elsewhere = rejectionOf(() => identifyInboxKey(`dwd/${exampleEcmwfName}`, new Date()));

    // Assess
    expect(file).toMatchObject({ provider: 'dwd', attributes: { convention: 'ecmwf-dissemination' } });
    expect(elsewhere.code).toBe('unknown-provider');
  });
});
