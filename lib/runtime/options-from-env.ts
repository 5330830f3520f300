import { EnvVar } from '../contract';
import { TaskHandlerConfigInvalidError } from './errors';
import type { CreateTaskHandlerOptions } from './create-task-handler';

/** The queue, table and bucket settings of {@link CreateTaskHandlerOptions} that come from the environment. */
export type EnvTaskHandlerOptions = Pick<
  CreateTaskHandlerOptions,
  'queueName' | 'queueUrl' | 'dlqUrl' | 'queueUrls' | 'maxReceiveCount' | 'tableName' | 'bucketName' | 'maxDelaySeconds'
>;

function integer(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    throw new TaskHandlerConfigInvalidError(`environment variable ${name} must be an integer (given ${JSON.stringify(raw)})`);
  }
  return value;
}

function queueUrlMap(env: Readonly<Record<string, string | undefined>>): Record<string, string> | undefined {
  const raw = env[EnvVar.QUEUE_URLS];
  if (raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw new TaskHandlerConfigInvalidError(`environment variable ${EnvVar.QUEUE_URLS} must be a JSON object of queue name to URL (given text that is not JSON)`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((url) => typeof url !== 'string')) {
    throw new TaskHandlerConfigInvalidError(`environment variable ${EnvVar.QUEUE_URLS} must be a JSON object of queue name to URL (given ${Array.isArray(parsed) ? 'an array' : typeof parsed})`);
  }
  return parsed as Record<string, string>;
}

/**
 * Reads a consumer's queue, DLQ, table, bucket and limits from the contract's env vars (set by the platform's
 * consumer construct, or by the local platform). Unset variables are left out, so the handler's defaults apply.
 *
 * @throws TaskHandlerConfigInvalidError when a number or the queue map is malformed.
 * @example
 * export const handler = createTaskHandler({ tasks, clients: createAwsClients(), ...taskHandlerOptionsFromEnv() });
 */
export function taskHandlerOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): EnvTaskHandlerOptions {
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const entries: Array<[keyof EnvTaskHandlerOptions, unknown]> = [
    ['queueName', text(EnvVar.QUEUE_NAME)],
    ['queueUrl', text(EnvVar.QUEUE_URL)],
    ['dlqUrl', text(EnvVar.DLQ_URL)],
    ['queueUrls', queueUrlMap(env)],
    ['maxReceiveCount', integer(env, EnvVar.MAX_RECEIVE_COUNT)],
    ['tableName', text(EnvVar.TABLE_NAME)],
    ['bucketName', text(EnvVar.BUCKET_NAME)],
    ['maxDelaySeconds', integer(env, EnvVar.MAX_DELAY_SECONDS)],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as EnvTaskHandlerOptions;
}
