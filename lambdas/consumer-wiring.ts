import { createTaskHandler, taskHandlerOptionsFromEnv, type TaskDefinition, type TaskSqsHandler } from '../lib/runtime';
import { createAwsClients } from '../lib/sdk/clients';
import { routingSourceFromEnv } from '../lib/sdk/routing-sources';

/**
 * Builds a consumer entry's handler entirely from the environment (contract `EnvVar`): SDK clients created once per
 * process, the routing source (file, AppConfig or the embedded default), and the queue, DLQ, table and bucket.
 *
 * @example
 * export const handler = consumerFromEnv(exampleTasks);
 */
export function consumerFromEnv(
  tasks: readonly TaskDefinition[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): TaskSqsHandler {
  const clients = createAwsClients({ env });
  const options = taskHandlerOptionsFromEnv(env);
  return createTaskHandler({
    tasks,
    clients,
    routing: routingSourceFromEnv(env, clients),
    ...options,
  });
}
