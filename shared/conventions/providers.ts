/**
 * The providers: who uploads into the inbox, under which prefix, with names of which
 * conventions and files up to which size, and which principals may upload. One definition
 * (`rules/providers.json`, beside the rules) read by the CDK app (an upload role per provider,
 * the inbox bucket policy, the stack outputs) and by intake (through `COMETFLOW_PROVIDERS`), both
 * validating it with `ProvidersFileSchema`. Adding a provider is one entry there.
 */
import * as z from 'zod';
import { ProviderNameSchema } from '#events/registry.ts';
import definition from '../../rules/providers.json' with { type: 'json' };
import { PipelineError } from '../errors.ts';
import { ConventionNames } from './registry.ts';

/** S3's largest object: 5 TiB. */
export const MaxS3ObjectBytes = 5 * 1024 ** 4;

/** An AWS account id, or the ARN of a role or user, allowed to assume a provider's upload role. */
export const ProviderPrincipalSchema = z.union([
  z.string().regex(/^\d{12}$/, 'a 12-digit account id'),
  z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, 'an IAM role or user ARN'),
]);

/** One provider. */
export const ProviderSchema = z.strictObject({
  name: ProviderNameSchema,
  description: z.string().optional(),
  /** The one key segment, ending in `/`, the provider uploads under: `eumetsat/`. */
  prefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}\/$/, 'one key segment of lower-case letters, digits, dots, dashes, then "/"'),
  /** The naming conventions its file names may follow; a name claiming none is judged by the first. */
  conventions: z
    .array(z.enum(ConventionNames))
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'each convention once'),
  /** The largest file intake accepts from it, in bytes (S3 objects are at most 5 TiB). */
  maxFileBytes: z.number().int().min(1).max(MaxS3ObjectBytes),
  /**
   * Who may assume its upload role: account ids or IAM role/user ARNs, usually given at deploy
   * time (`cometflow:providerPrincipals`) rather than here.
   * @default - principals of the stack's own account only
   */
  principals: z.array(ProviderPrincipalSchema).optional(),
});
/** One provider, as defined. */
export type ProviderDefinition = z.infer<typeof ProviderSchema>;

/** Every provider; names and prefixes unique. */
export const ProviderTableSchema = z
  .array(ProviderSchema)
  .min(1)
  .superRefine((providers, context) => {
    for (const field of ['name', 'prefix'] as const) {
      const seen = new Set<string>();
      for (const [index, provider] of providers.entries()) {
        if (seen.has(provider[field]))
          context.addIssue({ code: 'custom', path: [index, field], message: `duplicate ${field} ${provider[field]}` });
        seen.add(provider[field]);
      }
    }
  });
/** Every provider, as intake and the CDK app receive them. */
export type ProviderTable = readonly ProviderDefinition[];

/** The file `rules/providers.json`. */
export const ProvidersFileSchema = z.strictObject({
  description: z.string().optional(),
  providers: ProviderTableSchema,
});

/** A provider definition that cannot be used: raised at synth and at intake's cold start. */
export class ProviderDefinitionError extends PipelineError {
  public constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'ProviderDefinitionError';
  }
}

const describeIssues = (where: string, error: z.ZodError): string =>
  `${where} is not a valid provider definition:\n${error.issues
    .map((issue) => `- ${issue.path.length === 0 ? '(top)' : issue.path.join('.')}: ${issue.message}`)
    .join('\n')}`;

/**
 * Validates a provider table, naming every problem with its place (`providers.1.prefix`).
 *
 * @example
 * loadProviders(JSON.parse(readFileSync('rules/providers.json', 'utf8')).providers);
 */
export function loadProviders(value: unknown, where = 'The provider table'): ProviderTable {
  const parsed = ProviderTableSchema.safeParse(value);
  if (!parsed.success) throw new ProviderDefinitionError(describeIssues(where, parsed.error));
  return parsed.data;
}

/** The reference providers: `rules/providers.json`, validated when this module loads. */
export const ReferenceProviders: ProviderTable = (() => {
  const parsed = ProvidersFileSchema.safeParse(definition);
  if (!parsed.success) throw new ProviderDefinitionError(describeIssues('rules/providers.json', parsed.error));
  return parsed.data.providers;
})();

/**
 * Adds deploy-time principals (`{ "<provider>": ["<account id or ARN>", ...] }`, as CDK context
 * or its JSON text) to the providers; a provider name not in the table, or a principal of the
 * wrong form, is an error naming it.
 */
export function withPrincipals(providers: ProviderTable, principals: unknown): ProviderTable {
  if (principals === undefined) return providers;
  let value = principals;
  if (typeof principals === 'string') {
    try {
      value = JSON.parse(principals);
    } catch {
      throw new ProviderDefinitionError(
        `Provider principals ${JSON.stringify(principals.slice(0, 200))} are not JSON; expected { "<provider>": ["<account id or role ARN>", ...] }`,
      );
    }
  }
  const parsed = z.record(z.string(), z.array(ProviderPrincipalSchema)).safeParse(value);
  if (!parsed.success) throw new ProviderDefinitionError(describeIssues('The provider principals', parsed.error));
  const unknown = Object.keys(parsed.data).filter((name) => !providers.some((p) => p.name === name));
  if (unknown.length > 0) {
    throw new ProviderDefinitionError(
      `Provider principals name unknown providers ${unknown.join(', ')}; expected some of ${providers.map((p) => p.name).join(', ')}`,
    );
  }
  return providers.map((provider) => {
    const added = parsed.data[provider.name];
    return added === undefined
      ? provider
      : { ...provider, principals: [...new Set([...(provider.principals ?? []), ...added])] };
  });
}

/** What intake needs of each provider (`COMETFLOW_PROVIDERS`): no principals. */
export const intakeViewOf = (providers: ProviderTable): ProviderTable =>
  providers.map(({ name, prefix, conventions, maxFileBytes }) => ({ name, prefix, conventions, maxFileBytes }));
