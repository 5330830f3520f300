import { Duration, type Size, Token } from 'aws-cdk-lib';
import { type IConstruct } from 'constructs';
import { ConstructPropsInvalidError } from './errors';

/**
 * One declarative validation rule: a prop, the value given and the check it must pass. A Duration is checked in
 * seconds and a Size in bytes. Rules whose value is an unresolved token (known only at deploy time) are skipped.
 */
export interface PropRule {
  /** Prop name as the user wrote it, for example `maxReceiveCount`. */
  readonly prop: string;
  /** Value given; `undefined` means "not set" and skips the rule. */
  readonly value: number | Duration | Size | undefined;
  /** Returns the problem sentence when the value is wrong, `undefined` when it is fine. */
  readonly check: (value: number, given: string) => string | undefined;
}

/** The numeric value of a rule, or `undefined` when unset or a token. */
function numeric(rule: PropRule): { value: number; given: string } | undefined {
  const raw = rule.value;
  if (raw === undefined) return undefined;
  if (typeof raw === 'number') {
    return Token.isUnresolved(raw) ? undefined : { value: raw, given: String(raw) };
  }
  if (raw instanceof Duration) {
    if (raw.isUnresolved()) return undefined;
    const seconds = raw.toSeconds();
    return { value: seconds, given: `${seconds} s` };
  }
  if (raw.isUnresolved()) return undefined;
  const bytes = raw.toBytes();
  return { value: bytes, given: `${bytes} bytes` };
}

/** A check that the value lies in `[min, max]`, rendering the range in the value's unit. */
export function between(min: number, max: number, unit = ''): PropRule['check'] {
  const suffix = unit === '' ? '' : ` ${unit}`;
  return (value, given) =>
    value >= min && value <= max ? undefined : `must be between ${min} and ${max}${suffix} (given ${given})`;
}

/**
 * Runs every rule against `scope`'s props and throws {@link ConstructPropsInvalidError} on the first that fails,
 * with a message like "maxReceiveCount must be between 1 and 1000 (given 0)".
 *
 * @example
 * validateProps(this, [{ prop: 'maxReceiveCount', value: props.maxReceiveCount, check: between(1, 1000) }]);
 */
export function validateProps(scope: IConstruct, rules: readonly PropRule[]): void {
  for (const rule of rules) {
    const resolved = numeric(rule);
    if (resolved === undefined) continue;
    const problem = rule.check(resolved.value, resolved.given);
    if (problem !== undefined) {
      throw new ConstructPropsInvalidError(scope.node.path, rule.prop, resolved.given, `${rule.prop} ${problem}`);
    }
  }
}
