import { consoleAssets } from '../cli/console';
import { createCliClients } from '../cli/clients';
import { loadLocalPlatform } from '../cli/platform';
import { startConsoleServer } from '../console/server/console-server';

/** The console `npm start` serves beside the local platform. */
export interface LocalConsole {
  /** The URL to open, with its token. */
  readonly url: string;
  /** Stops the console (after its running jobs end) and closes its clients. */
  close(): Promise<void>;
}

/**
 * Starts the Bosun console on the running local platform, reading it the way `bosun console` does (its
 * `platform.json`, the CLI's clients), with actions allowed, on 127.0.0.1.
 *
 * @example
 * const console = await startLocalConsole('.bosun/local', 0, print);
 * print(`Bosun console: ${console.url}`);
 */
export async function startLocalConsole(dataDir: string, port: number, log: (line: string) => void): Promise<LocalConsole> {
  const platform = await loadLocalPlatform(dataDir);
  const clients = createCliClients(platform);
  try {
    const server = await startConsoleServer({ platform, clients, actionsAllowed: true, port, assets: consoleAssets, log });
    return {
      url: server.url,
      async close() {
        try {
          await server.close();
        } finally {
          clients.destroy();
        }
      },
    };
  } catch (error) {
    clients.destroy();
    throw error;
  }
}
