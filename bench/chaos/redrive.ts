import { createCliClients } from '../../cli/clients';
import { redriveDeadLetters } from '../../cli/dlq';
import { loadLocalPlatform } from '../../cli/platform';

/** What one redrive of the chaos run did, per queue. */
export interface ChaosRedrive {
  readonly queue: string;
  readonly redriven: number;
  readonly failures: number;
  readonly stateReset: number;
  /** The redrive threw (the queue's DLQ is then left as it was). */
  readonly error?: string;
}

/**
 * Redrives the dead `taskName` tasks of each queue's DLQ the way an operator would, through the CLI's
 * `redriveDeadLetters` against the running local platform (its `platform.json` in `dataDir`), straight to the
 * emulators. The one place the chaos run imports the CLI, which is being refactored: only this file follows it.
 *
 * @example
 * const results = await redriveTask('.bosun/chaos', ['default', 'bulk'], 'chaos.fixable');
 */
export async function redriveTask(dataDir: string, queues: readonly string[], taskName: string): Promise<ChaosRedrive[]> {
  const platform = await loadLocalPlatform(dataDir);
  const clients = createCliClients(platform);
  try {
    const results: ChaosRedrive[] = [];
    for (const queue of queues) {
      try {
        const result = await redriveDeadLetters(platform, clients, queue, { taskName, ratePerSecond: 500 });
        results.push({ queue, redriven: result.redriven, failures: result.failures.length, stateReset: result.stateReset });
      } catch (error) {
        results.push({ queue, redriven: 0, failures: 0, stateReset: 0, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
    }
    return results;
  } finally {
    clients.destroy();
  }
}
