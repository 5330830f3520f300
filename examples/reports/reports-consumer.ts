import { consumerFromEnv } from '../../lambdas/consumer-wiring';
import { reportTasks } from './report-tasks';

/** Consumer of the `reports` queue of docs/platform.md's example definition. Configured entirely from env vars. */
export const handler = consumerFromEnv(reportTasks);
