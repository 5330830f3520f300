import { exampleTasks } from '../lambdas/tasks';
import type { TaskClient } from '../lib/sdk/task-client';
import type { RunningLocalPlatform } from './local-platform';
import { createPlatformTaskClient } from './platform-client';

/**
 * The demo's task client: {@link createPlatformTaskClient} with the example task declarations, so payloads are
 * validated before anything is sent.
 *
 * @example
 * const client = createDemoClient(platform);
 */
export function createDemoClient(platform: RunningLocalPlatform): TaskClient<typeof exampleTasks> {
  return createPlatformTaskClient(platform, exampleTasks);
}
