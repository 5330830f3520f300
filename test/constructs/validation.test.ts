import { join } from 'node:path';
import { Duration, Lazy, Size, Stack } from 'aws-cdk-lib';
import { ConstructPropsInvalidError, findProjectRoot } from '../../lib/constructs';
import { between, validateProps } from '../../lib/constructs/validation';
import { thrownBy } from './helpers';

describe('validateProps', () => {
  const scope = new Stack(undefined, 'Scope');

  it('reads a Duration in seconds and a Size in bytes, naming the unit in the message', () => {
    expect(thrownBy(() => validateProps(scope, [{ prop: 'delay', value: Duration.minutes(16), check: between(0, 900, 's') }])).message).toBe(
      'Scope: delay must be between 0 and 900 s (given 960 s)',
    );
    expect(thrownBy(() => validateProps(scope, [{ prop: 'size', value: Size.kibibytes(2), check: between(0, 1024, 'bytes') }])).message).toBe(
      'Scope: size must be between 0 and 1024 bytes (given 2048 bytes)',
    );
  });

  it('reports the first failing rule with its prop and value', () => {
    const error = thrownBy(() =>
      validateProps(scope, [
        { prop: 'a', value: 5, check: between(1, 10) },
        { prop: 'b', value: 11, check: between(1, 10) },
        { prop: 'c', value: 12, check: between(1, 10) },
      ]),
    );
    expect(error).toBeInstanceOf(ConstructPropsInvalidError);
    expect(error).toMatchObject({ prop: 'b', given: '11', message: 'Scope: b must be between 1 and 10 (given 11)' });
  });

  it('skips unset values and unresolved tokens of every kind', () => {
    const rules = [
      { prop: 'unset', value: undefined, check: between(1, 10) },
      { prop: 'number', value: Lazy.number({ produce: () => 0 }), check: between(1, 10) },
      { prop: 'duration', value: Duration.seconds(Lazy.number({ produce: () => 0 })), check: between(1, 10, 's') },
      { prop: 'size', value: Size.bytes(Lazy.number({ produce: () => 0 })), check: between(1, 10, 'bytes') },
    ];
    expect(() => validateProps(scope, rules)).not.toThrow();
  });
});

describe('findProjectRoot', () => {
  it('finds the folder holding package-lock.json above a module', () => {
    expect(findProjectRoot(join(__dirname, 'fixtures'))).toBe(join(__dirname, '..', '..'));
  });

  it('returns the starting folder when no lockfile is found', () => {
    expect(findProjectRoot('/')).toBe('/');
  });
});
