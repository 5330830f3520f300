import { exampleTasks } from '../lambdas/tasks';
import { createAwsClients } from '../lib/sdk/clients';
import { createTaskClient, type TaskClient, taskClientOptionsFromOutputs } from '../lib/sdk/task-client';
import { LOCAL_CREDENTIALS } from './emulators';
import type { RunningLocalPlatform } from './local-platform';

/**
 * A producer-SDK task client for the running local platform: options from its resolved stack outputs, AWS clients
 * pointed at the emulators, the routing file the consumers read, and the example task declarations (so payloads are
 * validated before anything is sent).
 *
 * @example
 * const client = createDemoClient(platform);
 * const { taskId } = await client.publish('email.send', { to: 'ada@example.com', subject: 'Hi' });
 */
export function createDemoClient(platform: RunningLocalPlatform): TaskClient<typeof exampleTasks> {
  return createTaskClient(
    taskClientOptionsFromOutputs(platform.description.outputs, {
      tasks: exampleTasks,
      clients: createAwsClients({ env: platform.clientEnvironment, credentials: LOCAL_CREDENTIALS }),
      routingFile: platform.routingFile,
      region: platform.description.region,
    }),
  );
}
