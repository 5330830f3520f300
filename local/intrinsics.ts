import { LocalTemplateError } from './errors';

/** A CloudFormation template, as much of it as the local platform reads. */
export interface CfnTemplate {
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly Resources: Readonly<Record<string, CfnResource>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown }>>;
}

/** One resource of a {@link CfnTemplate}. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Metadata?: Readonly<Record<string, unknown>>;
  readonly Condition?: string;
}

/** What a resource resolves to locally: its `Ref` value and its `Fn::GetAtt` attributes. */
export interface LocalResourceValues {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Values of the pseudo parameters for the local platform. */
export interface PseudoParameters {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
}

/** The account id the local platform pretends to run in (fauxqs uses it in queue ARNs and URLs too). */
export const LOCAL_ACCOUNT_ID = '000000000000';

type Json = unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Resolves CloudFormation intrinsic functions in template values against the local resources: `Ref`,
 * `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`, `Fn::If` (with `Fn::Equals`, `Fn::Not`,
 * `Fn::And`, `Fn::Or` and `Condition`), pseudo parameters and parameter defaults. A resource the local platform did
 * not create resolves to a stable local stand-in (`local-<LogicalId>`, an `arn:aws:local:…` ARN) so values that
 * only matter in AWS, such as a KMS key id, still resolve; anything else unsupported fails with the template path.
 *
 * @example
 * const resolver = new IntrinsicResolver(template, { region: 'us-east-1', accountId: LOCAL_ACCOUNT_ID, stackName: 'Bosun-local' });
 * resolver.register('DefaultQueue', { ref: url, attributes: { Arn: arn, QueueUrl: url, QueueName: name } });
 * const env = resolver.resolve(fn.Properties.Environment.Variables, 'Resources.Fn.Properties.Environment.Variables');
 */
export class IntrinsicResolver {
  private readonly values = new Map<string, LocalResourceValues>();
  private readonly substitutes = new Map<string, string>();

  public constructor(
    private readonly template: CfnTemplate,
    private readonly pseudo: PseudoParameters,
  ) {}

  /** Records what a created local resource resolves to. */
  public register(logicalId: string, values: LocalResourceValues): void {
    this.values.set(logicalId, values);
  }

  /**
   * Makes every intrinsic that resolves to exactly `awsValue` resolve to `localValue` instead: a resource the stack
   * imports rather than owns (such as the Celery queue, whose URL the template builds with `Fn::Join`) has no logical
   * id to register, only the AWS value the template computes for it.
   */
  public substitute(awsValue: string, localValue: string): void {
    this.substitutes.set(awsValue, localValue);
  }

  /** Resolves every intrinsic in `value`; `path` names where it is, for error messages. */
  public resolve(value: Json, path: string): Json {
    if (Array.isArray(value)) {
      return value.map((item, index) => this.resolve(item, `${path}[${index}]`)).filter((item) => item !== NO_VALUE);
    }
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const key = keys[0]!;
      if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') {
        const resolved = this.intrinsic(key, value[key], `${path}.${key}`);
        return typeof resolved === 'string' ? (this.substitutes.get(resolved) ?? resolved) : resolved;
      }
    }
    const result: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = this.resolve(item, `${path}.${key}`);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  /** Resolves `value` and requires a string. */
  public resolveString(value: Json, path: string): string {
    const resolved = this.resolve(value, path);
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    if (typeof resolved !== 'string') {
      throw new LocalTemplateError(path, `must resolve to a string (resolved to ${describe(resolved)})`);
    }
    return resolved;
  }

  private intrinsic(name: string, args: Json, path: string): Json {
    switch (name) {
      case 'Ref':
        return this.ref(this.requireString(args, path), path);
      case 'Fn::GetAtt':
        return this.getAtt(args, path);
      case 'Fn::Join': {
        const [delimiter, items] = this.requirePair(args, path);
        const list = this.resolve(items, `${path}[1]`);
        if (typeof delimiter !== 'string' || !Array.isArray(list)) {
          throw new LocalTemplateError(path, 'Fn::Join takes [delimiter, [values]]');
        }
        return list.map((item, index) => this.asString(item, `${path}[1][${index}]`)).join(delimiter);
      }
      case 'Fn::Sub':
        return this.sub(args, path);
      case 'Fn::Select': {
        const [index, items] = this.requirePair(args, path);
        const list = this.resolve(items, `${path}[1]`);
        const position = Number(this.resolve(index, `${path}[0]`));
        if (!Array.isArray(list) || !Number.isInteger(position) || position < 0 || position >= list.length) {
          throw new LocalTemplateError(path, `Fn::Select index ${position} is outside the list`);
        }
        return list[position];
      }
      case 'Fn::Split': {
        const [delimiter, source] = this.requirePair(args, path);
        if (typeof delimiter !== 'string') throw new LocalTemplateError(path, 'Fn::Split takes [delimiter, string]');
        return this.asString(this.resolve(source, `${path}[1]`), `${path}[1]`).split(delimiter);
      }
      case 'Fn::If': {
        if (!Array.isArray(args) || args.length !== 3) {
          throw new LocalTemplateError(path, 'Fn::If takes [condition, valueIfTrue, valueIfFalse]');
        }
        const chosen = this.condition(this.requireString(args[0], `${path}[0]`), path) ? args[1] : args[2];
        return this.resolve(chosen, path);
      }
      case 'Fn::Equals': {
        const [left, right] = this.requirePair(args, path);
        return JSON.stringify(this.resolve(left, path)) === JSON.stringify(this.resolve(right, path));
      }
      case 'Fn::Not':
        return !this.truthy(Array.isArray(args) ? args[0] : args, path);
      case 'Fn::And':
        return Array.isArray(args) && args.every((item) => this.truthy(item, path));
      case 'Fn::Or':
        return Array.isArray(args) && args.some((item) => this.truthy(item, path));
      case 'Condition':
        return this.condition(this.requireString(args, path), path);
      case 'Fn::GetAZs':
        return [`${this.pseudo.region}a`, `${this.pseudo.region}b`, `${this.pseudo.region}c`];
      case 'Fn::Base64':
        return Buffer.from(this.asString(this.resolve(args, path), path)).toString('base64');
      default:
        throw new LocalTemplateError(path, `the intrinsic function ${name} is not supported by the local platform`);
    }
  }

  private truthy(value: Json, path: string): boolean {
    return this.resolve(value, path) === true;
  }

  private condition(name: string, path: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new LocalTemplateError(path, `condition "${name}" is not defined`);
    return this.truthy(definition, `Conditions.${name}`);
  }

  private ref(name: string, path: string): Json {
    switch (name) {
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.pseudo.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.pseudo.region}:${this.pseudo.accountId}:stack/${this.pseudo.stackName}/local`;
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        break;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter !== undefined) {
      if (parameter.Default === undefined) throw new LocalTemplateError(path, `parameter "${name}" has no default`);
      return parameter.Default;
    }
    const local = this.values.get(name);
    if (local !== undefined) return local.ref;
    if (this.template.Resources[name] === undefined) {
      throw new LocalTemplateError(path, `Ref to "${name}", which is neither a resource nor a parameter of the template`);
    }
    return `local-${name}`;
  }

  private getAtt(args: Json, path: string): Json {
    let logicalId: string;
    let attribute: string;
    if (typeof args === 'string') {
      const dot = args.indexOf('.');
      logicalId = args.slice(0, dot);
      attribute = args.slice(dot + 1);
    } else {
      const [id, attr] = this.requirePair(args, path);
      logicalId = this.requireString(id, `${path}[0]`);
      attribute = this.asString(this.resolve(attr, `${path}[1]`), `${path}[1]`);
    }
    const local = this.values.get(logicalId);
    const value = local?.attributes[attribute];
    if (value !== undefined) return value;
    if (this.template.Resources[logicalId] === undefined) {
      throw new LocalTemplateError(path, `Fn::GetAtt of "${logicalId}", which is not a resource of the template`);
    }
    if (local !== undefined) {
      throw new LocalTemplateError(
        path,
        `attribute "${attribute}" of "${logicalId}" is not available locally (available: ${Object.keys(local.attributes).join(', ')})`,
      );
    }
    return attribute.endsWith('Arn')
      ? `arn:aws:local:${this.pseudo.region}:${this.pseudo.accountId}:${logicalId}`
      : `local-${logicalId}-${attribute}`;
  }

  private sub(args: Json, path: string): string {
    let text: string;
    let variables: Record<string, Json> = {};
    if (typeof args === 'string') text = args;
    else {
      const [template, vars] = this.requirePair(args, path);
      text = this.requireString(template, `${path}[0]`);
      if (!isRecord(vars)) throw new LocalTemplateError(path, 'Fn::Sub takes a string or [string, {variables}]');
      variables = vars;
    }
    return text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in variables) return this.asString(this.resolve(variables[name], `${path}.${name}`), `${path}.${name}`);
      if (name.includes('.') && !name.startsWith('AWS::')) return this.asString(this.getAtt(name, path), path);
      const resolved = this.ref(name, path);
      if (resolved === NO_VALUE) throw new LocalTemplateError(path, `${whole} cannot be substituted`);
      return this.asString(resolved, path);
    });
  }

  private asString(value: Json, path: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new LocalTemplateError(path, `must be a string (resolved to ${describe(value)})`);
  }

  private requireString(value: Json, path: string): string {
    if (typeof value !== 'string') throw new LocalTemplateError(path, `must be a string (given ${describe(value)})`);
    return value;
  }

  private requirePair(args: Json, path: string): [Json, Json] {
    if (!Array.isArray(args) || args.length !== 2) {
      throw new LocalTemplateError(path, `takes a two-element list (given ${describe(args)})`);
    }
    return [args[0], args[1]];
  }
}

/** Marker for `Ref: AWS::NoValue`: the property is dropped. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (value === NO_VALUE) return 'AWS::NoValue';
  return typeof value === 'object' ? 'an object' : typeof value;
}
