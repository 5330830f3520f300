import { consumerFromEnv } from './consumer-wiring';
import { bulkTasks } from './tasks';

/** Consumer of the `bulk` queue: runs `report.render` and `email.send`. Configured entirely from env vars. */
export const handler = consumerFromEnv(bulkTasks);
