/**
 * Providers are data: the stack built from the reference providers plus one added entry (with
 * deploy-time principals) gives every provider an upload role on its own prefix, the inbox
 * bucket policy's denials, an output and intake's view of it.
 */
import { App } from 'aws-cdk-lib';
import { buildApp, PipelineStack, ProviderPrincipalsContext } from '../app.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env } from '#shared/config.ts';
import {
  ProviderDefinitionError,
  ReferenceProviders,
  withPrincipals,
  type ProviderDefinition,
} from '#shared/conventions/providers.ts';

import { UploadActions } from '../constructs/provider-uploads.ts';
import {
  cdkPath,
  PipelinePath,
  referencedId,
  resourcesOfType,
  tempOutdir,
  type TemplateJson,
} from './template-helpers.ts';
import { Template } from 'aws-cdk-lib/assertions';

const dwd: ProviderDefinition = {
  name: 'dwd',
  prefix: 'dwd/',
  conventions: ['ecmwf-dissemination'],
  maxFileBytes: 2 * 1024 ** 3,
};
const DwdAccount = '444455556666';
const DwdRole = 'arn:aws:iam::444455556666:role/dwd-uploader';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
  Sid?: string;
};

describe('provider upload roles', () => {
  let json: TemplateJson;
  let cleanup: () => void;
  const providers = withPrincipals([...ReferenceProviders, dwd], { dwd: [DwdAccount, DwdRole] });

  beforeAll(() => {
    const out = tempOutdir();
    cleanup = out.cleanup;
    // The added provider's principals come as they would at deploy time: CDK context.
    const { stack } = buildApp({
      outdir: out.outdir,
      providers: [...ReferenceProviders, dwd],
      context: { [ProviderPrincipalsContext]: JSON.stringify({ dwd: [DwdAccount, DwdRole] }) },
    });
    json = Template.fromStack(stack).toJSON() as TemplateJson;
  }, 300_000);
  afterAll(() => cleanup());

  const roleOf = (name: string): [string, TemplateJson['Resources'][string]] => {
    const pascal = name.charAt(0).toUpperCase() + name.slice(1);
    const found = Object.entries(resourcesOfType(json, 'AWS::IAM::Role')).find(
      ([, r]) => cdkPath(r) === `${PipelinePath}/Providers/${pascal}UploadRole/Resource`,
    );
    if (found === undefined) throw new Error(`no upload role for ${name}`);
    return found;
  };
  const inboxId = (): string => referencedId(json.Outputs?.['BucketInbox']?.Value);
  const ownPrefix = (prefix: string): unknown => ({
    'Fn::Join': ['', [{ 'Fn::GetAtt': [inboxId(), 'Arn'] }, `/${prefix}*`]],
  });

  it.each([...ReferenceProviders.map((p) => p.name), 'dwd'])(
    'gives %s a role that may put, upload in parts and read back on its own prefix only',
    (name) => {
      // Prepare
      const provider = providers.find((p) => p.name === name)!;
      const [roleId] = roleOf(name);

      // Act
      const policies = Object.values(resourcesOfType(json, 'AWS::IAM::Policy')).filter((p) =>
        (p.Properties?.['Roles'] as { Ref: string }[]).some((r) => r.Ref === roleId),
      );
      const statements = policies.flatMap(
        (p) => (p.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement,
      );

      // Assess
      expect(statements).toEqual([
        { Effect: 'Allow', Action: [...UploadActions].sort(), Resource: ownPrefix(provider.prefix) },
      ]);
    },
  );

  it('lets the stack account assume a reference provider role, and the given principals the added one', () => {
    // Act
    const trust = (name: string): unknown =>
      (roleOf(name)[1].Properties?.['AssumeRolePolicyDocument'] as { Statement: Statement[] }).Statement.map(
        (s) => s.Principal,
      );

    // Assess
    expect(JSON.stringify(trust('eumetsat'))).toContain(':root');
    expect(JSON.stringify(trust('eumetsat'))).toContain('AWS::AccountId');
    expect(JSON.stringify(trust('dwd'))).toContain(`arn:`);
    expect(JSON.stringify(trust('dwd'))).toContain(`${DwdAccount}:root`);
    expect(JSON.stringify(trust('dwd'))).toContain(DwdRole);
  });

  it("denies each provider's role and principals every S3 action outside its prefix in the inbox policy", () => {
    // Prepare
    const policy = Object.values(resourcesOfType(json, 'AWS::S3::BucketPolicy')).find(
      (p) => (p.Properties?.['Bucket'] as { Ref: string }).Ref === inboxId(),
    );
    const statements = (policy?.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement;

    // Act
    const denials = statements.filter((s) => s.Effect === 'Deny' && s.Sid?.startsWith('Deny'));

    // Assess
    for (const provider of providers) {
      const pascal = provider.name.charAt(0).toUpperCase() + provider.name.slice(1);
      const denial = denials.find((s) => s.Sid === `Deny${pascal}OutsideItsPrefix`);
      expect(denial, provider.name).toMatchObject({ Action: 's3:*', NotResource: ownPrefix(provider.prefix) });
      expect(JSON.stringify(denial?.Principal)).toContain(roleOf(provider.name)[0]);
    }
    expect(JSON.stringify(denials.find((s) => s.Sid === 'DenyDwdOutsideItsPrefix')?.Principal)).toContain(DwdRole);
    // The account's principals too, unless the account is the stack's own.
    expect(denials.find((s) => s.Sid === 'DenyDwdAccountsOutsideItsPrefix')).toMatchObject({
      NotResource: ownPrefix('dwd/'),
      Condition: { StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('outputs every provider with its role, bucket and prefix, and hands intake the added entry', () => {
    // Act
    const output = json.Outputs?.['ProviderDwd']?.Value;
    const intake = Object.values(resourcesOfType(json, 'AWS::Lambda::Function')).find((f) =>
      cdkPath(f).startsWith(`${PipelinePath}/Intake/`),
    );
    const intakeProviders = JSON.parse(
      String((intake?.Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables[Env.providers]),
    ) as ProviderDefinition[];

    // Assess
    expect(JSON.stringify(output)).toContain('\\"prefix\\":\\"dwd/\\"');
    expect(JSON.stringify(output)).toContain(roleOf('dwd')[0]);
    expect(Object.keys(json.Outputs ?? {}).filter((name) => name.startsWith('Provider'))).toEqual([
      'ProviderEumetsat',
      'ProviderEcmwf',
      'ProviderDwd',
    ]);
    expect(intakeProviders.map((p) => p.name)).toEqual(['eumetsat', 'ecmwf', 'dwd']);
    expect(intakeProviders[2]).toEqual({ ...dwd });
  });
});

describe('a bad provider definition', () => {
  it('fails the synth, naming the entry and the field', () => {
    // Act
    const act = (): unknown =>
      new PipelineStack(new App(), 'Bad', { providers: [...ReferenceProviders, { ...dwd, prefix: 'ecmwf/' }] });

    // Assess
    expect(act).toThrow(ProviderDefinitionError);
    expect(act).toThrow(
      "The stack's providers is not a valid provider definition:\n- 2.prefix: duplicate prefix ecmwf/",
    );
  });
});
