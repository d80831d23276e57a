/**
 * The providers' side of the inbox: per provider (`rules/providers.json`, or the stack's
 * `providers`), an upload role that may put, complete multipart uploads of, and read back
 * objects under the provider's own prefix only, and statements of the inbox bucket policy that
 * deny its principals every S3 action outside that prefix, whatever else may ever grant them.
 */
import { Aws, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import {
  AccountPrincipal,
  AccountRootPrincipal,
  ArnPrincipal,
  CompositePrincipal,
  Effect,
  type IPrincipal,
  PolicyStatement,
  Role,
} from 'aws-cdk-lib/aws-iam';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { OutputPrefix } from '#shared/config.ts';
import type { ProviderDefinition, ProviderTable } from '#shared/conventions/providers.ts';
import { acknowledgeFindings, arnReference } from './nag.ts';
import type { SecureBucket } from './secure-bucket.ts';

/** Properties of `ProviderUploads`. */
export interface ProviderUploadsProps {
  /** The bucket the providers upload into. */
  readonly inbox: SecureBucket;
  /** The providers, validated (`loadProviders`). */
  readonly providers: ProviderTable;
  /**
   * Longest session of an upload role: an upload of the largest file must fit in it.
   * @default Duration.hours(12)
   */
  readonly maxSessionDuration?: Duration;
}

/** What a provider's upload role may do, on its own prefix only. */
export const UploadActions = [
  's3:PutObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
  's3:GetObject',
] as const;

/** `eumetsat` -> `Eumetsat`, `met-norway` -> `MetNorway`: a provider's part of construct ids and outputs. */
export const pascalOf = (name: string): string =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** A provider's upload role and where it writes, as the `Provider<Name>` output describes them (JSON). */
export interface ProviderUploadOutput {
  readonly name: string;
  readonly prefix: string;
  readonly bucket: string;
  readonly roleArn: string;
  readonly maxFileBytes: number;
  readonly conventions: readonly string[];
}

/**
 * An upload role per provider, and the inbox bucket policy's denials around it.
 *
 * @example
 * const uploads = new ProviderUploads(this, 'Providers', { inbox, providers: ReferenceProviders });
 * uploads.roles.eumetsat.roleArn;
 */
export class ProviderUploads extends Construct {
  /** Upload roles by provider name. */
  public readonly roles: Readonly<Record<string, Role>>;

  public constructor(scope: Construct, id: string, props: ProviderUploadsProps) {
    super(scope, id);
    const bucket = props.inbox.bucket;
    const roles: Record<string, Role> = {};
    for (const provider of props.providers) {
      const own = bucket.arnForObjects(`${provider.prefix}*`);
      const role = new Role(this, `${pascalOf(provider.name)}UploadRole`, {
        assumedBy: trustOf(provider),
        description: `Uploads of provider ${provider.name}: put, multipart and read back under ${provider.prefix} of the inbox, nothing else`,
        maxSessionDuration: props.maxSessionDuration ?? Duration.hours(12),
      });
      // Multipart uploads (create, upload part, complete) are authorized as s3:PutObject.
      role.addToPrincipalPolicy(new PolicyStatement({ actions: [...UploadActions], resources: [own] }));
      acknowledgeFindings(role, [
        {
          rule: `IAM5[Resource::${arnReference(bucket.node.defaultChild as CfnBucket)}/${provider.prefix}*]`,
          reason: `A provider uploads files whose names are not known in advance, under its own prefix ${provider.prefix} only.`,
        },
      ]);
      // The denials: outside its prefix, nothing, for the role and for the provider's own
      // principals (an account's principals only when the account is not the stack's own, so
      // the pipeline's roles keep their access).
      bucket.addToResourcePolicy(
        new PolicyStatement({
          sid: `Deny${pascalOf(provider.name)}OutsideItsPrefix`,
          effect: Effect.DENY,
          principals: [
            new ArnPrincipal(role.roleArn),
            ...(provider.principals ?? []).filter((p) => p.startsWith('arn:')).map((p) => new ArnPrincipal(p)),
          ],
          actions: ['s3:*'],
          notResources: [own],
        }),
      );
      const accounts = (provider.principals ?? []).filter((p) => !p.startsWith('arn:'));
      if (accounts.length > 0) {
        bucket.addToResourcePolicy(
          new PolicyStatement({
            sid: `Deny${pascalOf(provider.name)}AccountsOutsideItsPrefix`,
            effect: Effect.DENY,
            principals: accounts.map((account) => new AccountPrincipal(account)),
            actions: ['s3:*'],
            notResources: [own],
            conditions: { StringNotEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
          }),
        );
      }
      roles[provider.name] = role;
      const description: ProviderUploadOutput = {
        name: provider.name,
        prefix: provider.prefix,
        bucket: bucket.bucketName,
        roleArn: role.roleArn,
        maxFileBytes: provider.maxFileBytes,
        conventions: provider.conventions,
      };
      new CfnOutput(Stack.of(this), `${OutputPrefix.provider}${pascalOf(provider.name)}`, {
        value: Stack.of(this).toJsonString(description),
        description: `Provider ${provider.name} as JSON: the role to assume to upload, the inbox bucket and the prefix it may write`,
      });
    }
    this.roles = roles;
  }
}

/** Who may assume a provider's role: its principals, or the stack's own account when none are given. */
function trustOf(provider: ProviderDefinition): IPrincipal {
  const principals = (provider.principals ?? []).map((p) =>
    p.startsWith('arn:') ? new ArnPrincipal(p) : new AccountPrincipal(p),
  );
  if (principals.length === 0) return new AccountRootPrincipal();
  return principals.length === 1 ? principals[0]! : new CompositePrincipal(...principals);
}
