/**
 * Helpers to acknowledge cdk-nag findings where the code that causes them lives, each with its
 * own reason. cdk-nag 3 reads acknowledgements recorded with `Validations.of(scope).acknowledge`
 * on the resource or any of its ancestors.
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';

/** The AwsSolutions rule pack prefix used in finding ids. */
const Pack = 'AwsSolutions';

/** One finding this code knowingly leaves in place, and why. */
export interface NagFinding {
  /** Rule id without the pack prefix, e.g. `IAM5[Resource::*]` or `L1`. */
  readonly rule: string;
  /** Why the finding is acceptable here. */
  readonly reason: string;
}

/** Records acknowledgements of AwsSolutions findings on `scope` and everything under it. */
export function acknowledgeFindings(scope: IConstruct, findings: readonly NagFinding[]): void {
  Validations.of(scope).acknowledge(...findings.map((f) => ({ id: `${Pack}-${f.rule}`, reason: f.reason })));
}

/**
 * Acknowledges findings on the construct that holds a grantee's policy (the role behind a
 * function). A grantee that is not a construct (an imported principal) is left alone, so its
 * findings surface.
 */
export function acknowledgeOnGrantee(grantee: IGrantable, findings: readonly NagFinding[]): void {
  const principal: unknown = grantee.grantPrincipal;
  if (Construct.isConstruct(principal)) {
    acknowledgeFindings(principal, findings);
  }
}

/**
 * The form cdk-nag gives to `Fn::GetAtt [<logicalId>, Arn]` inside a finding, e.g.
 * `<InboxBucket1234ABCD.Arn>`.
 */
export function arnReference(resource: CfnElement): string {
  const logicalId: unknown = Stack.of(resource).resolve(resource.logicalId);
  return `<${String(logicalId)}.Arn>`;
}
