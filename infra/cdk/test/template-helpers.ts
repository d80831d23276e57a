/**
 * Small readers of a synthesized template, shared by the CDK tests. They navigate by the
 * references CloudFormation itself uses (`Ref`, `Fn::GetAtt`), never by hashed logical ids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineId, StackId } from '../app.ts';

/** The construct path of the reference stack's pipeline, under which its resources are. */
export const PipelinePath = `${StackId}/${PipelineId}`;

/** A resource of a synthesized template. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The parts of a synthesized template the tests read. */
export interface TemplateJson {
  readonly Resources: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

/** A fresh cloud assembly folder, and a function removing it. */
export function tempOutdir(): { outdir: string; cleanup: () => void } {
  const outdir = mkdtempSync(join(tmpdir(), 'cometflow-cdk-'));
  return { outdir, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** The logical id behind `{ Ref: id }` or `{ 'Fn::GetAtt': [id, attr] }`; throws on anything else. */
export function referencedId(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === 'string') {
      return ref;
    }
    const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
      return getAtt[0];
    }
  }
  throw new Error(`Expected a Ref or Fn::GetAtt, got ${JSON.stringify(value)}`);
}

/** Resources of one type, by logical id. */
export function resourcesOfType(template: TemplateJson, type: string): Record<string, CfnResourceJson> {
  return Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Type === type));
}

/** The resource with this logical id, checking its type. */
export function resource(template: TemplateJson, logicalId: string, type: string): CfnResourceJson {
  const found = template.Resources[logicalId];
  if (found === undefined || found.Type !== type) {
    throw new Error(`Expected a ${type} with logical id ${logicalId}, got ${found?.Type ?? 'nothing'}`);
  }
  return found;
}

/** The `aws:cdk:path` of a resource (the construct path, stable across hash changes). */
export function cdkPath(r: CfnResourceJson): string {
  const path = r.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string') {
    throw new Error('Resource has no aws:cdk:path metadata');
  }
  return path;
}

/** The logical id of the resource whose `aws:cdk:path` is `path`. */
export function logicalIdAt(template: TemplateJson, path: string): string {
  const found = Object.entries(template.Resources).find(([, r]) => r.Metadata?.['aws:cdk:path'] === path);
  if (found === undefined) {
    throw new Error(`No resource at construct path ${path}`);
  }
  return found[0];
}
