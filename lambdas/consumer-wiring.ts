import { EnvVar } from '../lib/contract';
import { createTaskHandler, taskHandlerOptionsFromEnv, type TaskDefinition, type TaskSqsHandler } from '../lib/runtime';
import { createAwsClients } from '../lib/aws/clients';
import { sqsForwardingDestination } from '../lib/aws/destinations';
import { routingSourceFromEnv } from '../lib/aws/routing-sources';

/** Name of the custom destination that hands tasks back to the legacy system being migrated from. */
export const LEGACY_DESTINATION = 'legacy';

/**
 * Builds a consumer entry's handler entirely from the environment (contract `EnvVar`): SDK clients created once per
 * process, the routing source (file, AppConfig or the embedded default), the queue, DLQ, table and bucket, and the
 * `legacy` destination when `BOSUN_LEGACY_QUEUE_URL` is set.
 *
 * @example
 * export const handler = consumerFromEnv(exampleTasks);
 */
export function consumerFromEnv(
  tasks: readonly TaskDefinition[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): TaskSqsHandler {
  const clients = createAwsClients({ env });
  const legacyQueueUrl = env[EnvVar.LEGACY_QUEUE_URL];
  return createTaskHandler({
    tasks,
    clients,
    routing: routingSourceFromEnv(env, clients),
    destinations:
      legacyQueueUrl === undefined || legacyQueueUrl === ''
        ? []
        : [sqsForwardingDestination({ name: LEGACY_DESTINATION, queueUrl: legacyQueueUrl, sqs: clients.sqs })],
    ...taskHandlerOptionsFromEnv(env),
  });
}
