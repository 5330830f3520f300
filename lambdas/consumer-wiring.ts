import { EnvVar } from '../lib/contract';
import { createTaskHandler, taskHandlerOptionsFromEnv, type TaskDefinition, type TaskSqsHandler } from '../lib/runtime';
import { createAwsClients } from '../lib/aws/clients';
import { celeryDestination, sqsForwardingDestination } from '../lib/aws/destinations';
import type { CeleryTaskMapping } from '../lib/celery';
import { routingSourceFromEnv } from '../lib/aws/routing-sources';

/** Name of the custom destination that hands tasks back to the legacy system being migrated from. */
export const LEGACY_DESTINATION = 'legacy';

/** Name of the destination that hands tasks to the Celery worker's queue (`BOSUN_CELERY_QUEUE_URL`). */
export const CELERY_DESTINATION = 'celery';

/** What a consumer entry adds to {@link consumerFromEnv} beyond its tasks. */
export interface ConsumerWiring {
  /**
   * Which of the entry's tasks are which Celery tasks (see docs/celery.md). With it the consumer runs Celery messages
   * sent to its queue (the Celery intake) and, when the platform names a `celeryQueue` (`BOSUN_CELERY_QUEUE_URL`),
   * hands the tasks the routing document sends to `celery` to the Celery worker, holding farther ETAs on its own queue.
   * @default - neither
   */
  readonly celery?: readonly CeleryTaskMapping[];
}

/**
 * Builds a consumer entry's handler entirely from the environment (contract `EnvVar`): SDK clients created once per
 * process, the routing source (file, AppConfig or the embedded default), the queue, DLQ, table and bucket, and the
 * `legacy` destination when `BOSUN_LEGACY_QUEUE_URL` is set, and the Celery intake and `celery` destination when
 * `wiring.celery` maps tasks (see {@link ConsumerWiring}).
 *
 * @example
 * export const handler = consumerFromEnv(exampleTasks);
 * export const celeryAware = consumerFromEnv(exampleTasks, process.env, { celery: [{ task: 'email.send', celeryTask: 'app.send_email' }] });
 */
export function consumerFromEnv(
  tasks: readonly TaskDefinition[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  wiring: ConsumerWiring = {},
): TaskSqsHandler {
  const clients = createAwsClients({ env });
  const legacyQueueUrl = env[EnvVar.LEGACY_QUEUE_URL];
  const celeryQueueUrl = env[EnvVar.CELERY_QUEUE_URL];
  const fromEnv = taskHandlerOptionsFromEnv(env);
  const celery = wiring.celery;
  return createTaskHandler({
    tasks,
    clients,
    routing: routingSourceFromEnv(env, clients),
    destinations: [
      ...(legacyQueueUrl === undefined || legacyQueueUrl === ''
        ? []
        : [sqsForwardingDestination({ name: LEGACY_DESTINATION, queueUrl: legacyQueueUrl, sqs: clients.sqs })]),
      ...(celery === undefined || celeryQueueUrl === undefined || celeryQueueUrl === ''
        ? []
        : [
            celeryDestination({
              name: CELERY_DESTINATION,
              queueUrl: celeryQueueUrl,
              sqs: clients.sqs,
              tasks: celery,
              ...(fromEnv.queueName === undefined ? {} : { holdQueue: fromEnv.queueName }),
            }),
          ]),
    ],
    ...(celery === undefined ? {} : { celery: { tasks: celery } }),
    ...fromEnv,
  });
}
