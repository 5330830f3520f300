import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type ConsumerTask } from '../../lib/constructs';
import { RECOMMENDED_CONTEXT } from '../../lib/stacks/recommended-context';

/** Entry file of the test consumer. */
export const FIXTURE_ENTRY = join(__dirname, 'fixtures', 'handler.ts');

/** The tasks the test consumer claims to run: within every test queue's receive count and every test timeout. */
export const FIXTURE_TASKS: readonly ConsumerTask[] = [{ name: 'test.echo', maxAttempts: 1, timeLimitSeconds: 5 }];

/** A stack in an app that skips asset bundling (bundling has its own test), with Bosun's recommended flags. */
export function testStack(options: { bundle?: boolean } = {}): Stack {
  const context: Record<string, unknown> = { ...RECOMMENDED_CONTEXT };
  if (options.bundle !== true) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({ context });
  return new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
}

/** The stack's template. */
export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}

/** The error `fn` throws; fails the test when it throws nothing. */
export function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected an Error, got ${String(error)}`);
  }
  throw new Error('expected the call to throw, but it returned');
}
