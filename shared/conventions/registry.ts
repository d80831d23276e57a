/**
 * The naming conventions a provider may use, by name. A provider's definition
 * (`rules/providers.json`) lists the conventions of its files; a new convention is one module
 * (its parser) and one entry here (plus its attributes in the event catalog).
 */
import type { FileAttributes } from '#events/registry.ts';
import { exampleEcmwfName, parseEcmwfName } from './ecmwf.ts';
import { exampleFciName, parseFciName } from './mtg-fci.ts';
import { exampleLiName, looksLikeLiName, parseLiName } from './mtg-li.ts';

/** The content formats intake and ingest can check. */
export type ContentFormat = 'hdf5' | 'grib2';

/** One naming convention: how a file name is read, and what its content must be. */
export interface NamingConvention {
  /** The content format of the files named so. */
  readonly format: ContentFormat;
  /** A valid name, quoted in documentation and error messages. */
  readonly example: string;
  /**
   * Whether a name claims to follow this convention (its instrument or stream field), so that a
   * provider with several conventions judges the name by this one and reports its own error.
   */
  readonly claims: (name: string) => boolean;
  /** Parses a name; throws `FileRejectedError('bad-name')` saying which part is wrong. */
  readonly parse: (name: string, uploadedAt: Date) => FileAttributes;
}

/** Every convention, keyed by the `convention` its attributes carry. */
export const Conventions = {
  'mtg-fci-l1c': {
    format: 'hdf5',
    example: exampleFciName,
    claims: (name) => name.includes('+FCI-'),
    parse: (name) => parseFciName(name),
  },
  'mtg-li-l2': { format: 'hdf5', example: exampleLiName, claims: looksLikeLiName, parse: (name) => parseLiName(name) },
  'ecmwf-dissemination': {
    format: 'grib2',
    example: exampleEcmwfName,
    claims: (name) => name.startsWith('S1D'),
    parse: parseEcmwfName,
  },
} as const satisfies Record<FileAttributes['convention'], NamingConvention>;

/** A convention's name. */
export type ConventionName = keyof typeof Conventions;
/** The conventions' names, in registry order. */
export const ConventionNames = Object.keys(Conventions) as [ConventionName, ...ConventionName[]];

/** The content format a file of these attributes must have. */
export const formatOf = (attributes: FileAttributes): ContentFormat => Conventions[attributes.convention].format;
