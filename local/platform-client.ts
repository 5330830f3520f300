import type { TaskDeclaration } from '../lib/contract';
import { taskClientOptionsFromPlatform } from '../lib/sdk/platform-options';
import { createTaskClient, type TaskClient } from '../lib/sdk/task-client';
import type { RunningLocalPlatform } from './local-platform';

/**
 * A producer-SDK task client for the running local platform, connected exactly as a separate process connects
 * (`taskClientOptionsFromPlatform` on its `platform.json`): its resolved stack outputs, AWS clients pointed at the
 * emulators, the routing document in force, the platform's ETA hop cap, and its local scheduler for far ETAs. Pass
 * task declarations to have payloads validated before anything is sent.
 *
 * @example
 * const client = createPlatformTaskClient(platform);
 * const { taskId } = await client.publish('email.send', { to: 'ada@example.com', subject: 'Hi' });
 */
export function createPlatformTaskClient<const TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]>(
  platform: RunningLocalPlatform,
  tasks?: TTasks,
): TaskClient<TTasks> {
  return createTaskClient(
    taskClientOptionsFromPlatform<TTasks>({ platformFile: platform.platformFile, ...(tasks === undefined ? {} : { tasks }) }),
  );
}
