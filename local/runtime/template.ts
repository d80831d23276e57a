/**
 * Reads a synthesized CloudFormation template (`cdk.out/<stack>.template.json`) and resolves
 * the intrinsic functions the local runtime meets (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`,
 * `Fn::Select`, `Fn::Split`, pseudo parameters) against local physical names.
 */
import { readFileSync } from 'node:fs';

/** One resource of a template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

/** What a resource resolves to: `Ref` and each `Fn::GetAtt` attribute. */
export interface PhysicalResource {
  readonly ref: string;
  readonly attributes: Record<string, string>;
}

export const ACCOUNT = '000000000000';

/** Loads a template file. */
export function loadTemplate(path: string): Template {
  const template = JSON.parse(readFileSync(path, 'utf8')) as Template;
  if (typeof template.Resources !== 'object')
    throw new Error(`${path} is not a CloudFormation template: it has no Resources`);
  return template;
}

/** Resources of a type, as [logicalId, resource] pairs in template order. */
export const resourcesOfType = (template: Template, type: string): [string, TemplateResource][] =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** Resolves intrinsics in any template value. */
export class Resolver {
  private readonly physical = new Map<string, PhysicalResource>();
  private readonly pseudo: Record<string, string>;

  public constructor(options: { region: string; stackName: string }) {
    this.pseudo = {
      'AWS::Region': options.region,
      'AWS::AccountId': ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': options.stackName,
      'AWS::StackId': `arn:aws:cloudformation:${options.region}:${ACCOUNT}:stack/${options.stackName}/local`,
      'AWS::NoValue': '',
    };
  }

  /** Declares what a logical id resolves to. */
  public define(logicalId: string, resource: PhysicalResource): void {
    this.physical.set(logicalId, resource);
  }

  public has(logicalId: string): boolean {
    return this.physical.has(logicalId);
  }

  /** The value of `Ref` on a logical id or pseudo parameter. */
  public ref(name: string): string {
    const pseudo = this.pseudo[name];
    if (pseudo !== undefined) return pseudo;
    const resource = this.physical.get(name);
    if (resource === undefined) throw new Error(`Template refers to ${name}, which the local runtime has not created`);
    return resource.ref;
  }

  /** The value of `Fn::GetAtt`. */
  public getAtt(logicalId: string, attribute: string): string {
    const resource = this.physical.get(logicalId);
    const value = resource?.attributes[attribute];
    if (value === undefined)
      throw new Error(`Template reads ${logicalId}.${attribute}, which the local runtime does not provide`);
    return value;
  }

  /** Resolves every intrinsic inside `value`. */
  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      switch (fn) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          // The string form splits at the first dot only: `Db.Endpoint.Address` reads `Endpoint.Address`.
          const [id, attribute] = Array.isArray(arg)
            ? (arg as [string, string])
            : ((arg as string).split(/\.(.*)/s) as [string, string]);
          return this.getAtt(id, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number | string, unknown];
          return (this.resolve(list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return String(this.resolve(text)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
          const resolvedVars = this.resolve(vars) as Record<string, string>;
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in resolvedVars) return resolvedVars[name]!;
            const dot = name.indexOf('.');
            return dot > 0 && !name.startsWith('AWS::')
              ? this.getAtt(name.slice(0, dot), name.slice(dot + 1))
              : this.ref(name);
          });
        }
        default:
          break;
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }
}

/** A local physical name in the style CloudFormation generates: `<stack>-<logicalId>`. */
export function physicalName(
  stackName: string,
  logicalId: string,
  options: { maxLength: number; lowerCase?: boolean },
): string {
  let name = `${stackName}-${logicalId}`;
  if (options.lowerCase) name = name.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return name.length <= options.maxLength ? name : `${name.slice(0, options.maxLength - 9)}-${hash8(name)}`;
}

function hash8(text: string): string {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}
