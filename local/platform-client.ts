import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { TaskDeclaration } from '../lib/contract';
import { createAwsClients } from '../lib/aws/clients';
import { createTaskClient, type TaskClient, taskClientOptionsFromOutputs } from '../lib/sdk/task-client';
import { LOCAL_CREDENTIALS } from './emulators';
import type { RunningLocalPlatform } from './local-platform';

/**
 * A producer-SDK task client for the running local platform: options from its resolved stack outputs, AWS clients
 * pointed at the emulators, the routing file the consumers read, the platform's ETA hop cap, and its local scheduler for far ETAs. Pass task declarations to have payloads
 * validated before anything is sent.
 *
 * @example
 * const client = createPlatformTaskClient(platform);
 * const { taskId } = await client.publish('email.send', { to: 'ada@example.com', subject: 'Hi' });
 */
export function createPlatformTaskClient<const TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]>(
  platform: RunningLocalPlatform,
  tasks?: TTasks,
): TaskClient<TTasks> {
  const options = taskClientOptionsFromOutputs<TTasks>(platform.description.outputs, {
    ...(tasks === undefined ? {} : { tasks }),
    clients: createAwsClients({ env: platform.clientEnvironment, credentials: LOCAL_CREDENTIALS }),
    routingFile: platform.inForceRoutingFile,
    region: platform.description.region,
    ...(platform.maxDelaySeconds === undefined ? {} : { maxDelaySeconds: platform.maxDelaySeconds }),
  });
  const scheduler = platform.description.endpoints.scheduler;
  // Far ETAs go to the local scheduler: never let a default client reach for EventBridge Scheduler in AWS.
  const etaSchedules =
    options.etaSchedules === undefined || scheduler === undefined
      ? undefined
      : {
          ...options.etaSchedules,
          client: new SchedulerClient({ region: platform.description.region, endpoint: scheduler, credentials: LOCAL_CREDENTIALS }),
        };
  const { etaSchedules: _fromOutputs, ...rest } = options;
  return createTaskClient({ ...rest, ...(etaSchedules === undefined ? {} : { etaSchedules }) });
}
