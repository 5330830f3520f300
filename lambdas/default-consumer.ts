import { consumerFromEnv } from './consumer-wiring';
import { exampleTasks } from './tasks';

/** Consumer of the `default` queue: runs every example task. Configured entirely from env vars. */
export const handler = consumerFromEnv(exampleTasks);
