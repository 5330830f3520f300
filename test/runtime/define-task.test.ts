import fc from 'fast-check';
import { z } from 'zod';
import { EnvVar } from '../../lib/contract';
import {
  TaskDefinitionInvalidError,
  backoffDelaySeconds,
  defineTask,
  taskHandlerOptionsFromEnv,
} from '../../lib/runtime';

describe('defineTask', () => {
  const schema = z.object({ to: z.string() });

  it('returns a declaration with the defaults applied', () => {
    const task = defineTask({ name: 'email.send', schema, handler: () => undefined });

    expect(task).toMatchObject({
      name: 'email.send',
      timeLimitSeconds: 30,
      maxAttempts: 3,
      backoff: { baseSeconds: 2, capSeconds: 300 },
      idempotent: true,
      stateTracking: 'full',
      interruptible: false,
    });
    expect(task.schema.safeParse({ to: 'x' })).toEqual({ success: true, data: { to: 'x' } });
  });

  it('rejects a name outside the task-name pattern', () => {
    expect(() => defineTask({ name: 'Email Send', schema, handler: () => undefined })).toThrow(
      new TaskDefinitionInvalidError(
        'Email Send',
        'task name must match /^[a-z0-9][a-z0-9._-]{0,127}$/: lower-case letters, digits, ".", "-" and "_", at most 128 characters (given "Email Send")',
      ),
    );
  });

  it.each([
    [{ timeLimitSeconds: 901 }, 'task "t.x": timeLimitSeconds must be a number between 1 and 900 (given 901)'],
    [{ maxAttempts: 0 }, 'task "t.x": maxAttempts must be an integer between 1 and 1000 (given 0)'],
    [{ maxAttempts: 2.5 }, 'task "t.x": maxAttempts must be an integer between 1 and 1000 (given 2.5)'],
    [{ backoff: { capSeconds: 50_000 } }, 'task "t.x": backoff.capSeconds must be a number between 0 and 43200 (given 50000)'],
  ])('rejects out-of-range options %j', (options, message) => {
    expect(() => defineTask({ name: 't.x', schema, handler: () => undefined, ...options })).toThrow(message);
  });

  it('declares a task interruptible only if it is idempotent (an interrupted attempt of one that is not is dead-lettered)', () => {
    expect(defineTask({ name: 't.nap', schema, interruptible: true, handler: () => undefined }).interruptible).toBe(true);
    expect(() => defineTask({ name: 't.nap', schema, interruptible: true, idempotent: false, handler: () => undefined })).toThrow(
      /task "t.nap": interruptible: true requires an idempotent task \(given idempotent: false\)/,
    );
  });
});

describe('backoffDelaySeconds', () => {
  it('stays between 0 and min(cap, base × 2^(attempt−1)) for any attempt and random draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 0, max: 43_200 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (base, cap, attempt, draw) => {
          const delay = backoffDelaySeconds({ baseSeconds: base, capSeconds: cap }, attempt, () => draw);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.min(cap, base * 2 ** (attempt - 1)));
        },
      ),
    );
  });

  it('grows exponentially up to the cap', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 10].map((attempt) => backoffDelaySeconds({ baseSeconds: 2, capSeconds: 20 }, attempt, top))).toEqual([2, 4, 8, 16, 20]);
  });
});

describe('taskHandlerOptionsFromEnv', () => {
  it('reads the contract env vars and leaves unset ones out', () => {
    expect(
      taskHandlerOptionsFromEnv({
        [EnvVar.QUEUE_NAME]: 'default',
        [EnvVar.QUEUE_URL]: 'http://q/default',
        [EnvVar.DLQ_URL]: 'http://q/default-dlq',
        [EnvVar.QUEUE_URLS]: '{"default":"http://q/default","bulk":"http://q/bulk"}',
        [EnvVar.MAX_RECEIVE_COUNT]: '5',
        [EnvVar.TABLE_NAME]: 'tasks',
        [EnvVar.MAX_DELAY_SECONDS]: '2',
      }),
    ).toEqual({
      queueName: 'default',
      queueUrl: 'http://q/default',
      dlqUrl: 'http://q/default-dlq',
      queueUrls: { default: 'http://q/default', bulk: 'http://q/bulk' },
      maxReceiveCount: 5,
      tableName: 'tasks',
      maxDelaySeconds: 2,
    });
  });

  it('rejects a non-integer max receive count', () => {
    expect(() => taskHandlerOptionsFromEnv({ [EnvVar.MAX_RECEIVE_COUNT]: 'five' })).toThrow(
      'environment variable BOSUN_MAX_RECEIVE_COUNT must be an integer (given "five")',
    );
  });

  it('rejects a queue map that is not a JSON object', () => {
    expect(() => taskHandlerOptionsFromEnv({ [EnvVar.QUEUE_URLS]: '["a"]' })).toThrow(
      'environment variable BOSUN_QUEUE_URLS must be a JSON object of queue name to URL (given an array)',
    );
  });
});
