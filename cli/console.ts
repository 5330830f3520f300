import { type Command, InvalidArgumentError, Option } from 'commander';
import { type ConsoleAssetMap, type RunningConsoleServer, startConsoleServer } from '../console/server/console-server';
import { loadConsoleAssets } from '../console/web/assets';
import { renderJson } from './output';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';

/** Largest TCP port. */
const MAX_PORT = 65_535;

interface ConsoleOptions extends TargetOptions {
  readonly port: number;
  readonly allowActions: boolean;
}

function port(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed > MAX_PORT) {
    throw new InvalidArgumentError(`--port must be a whole number from 0 to ${MAX_PORT}, 0 for a free one (given ${value})`);
  }
  return parsed;
}

/** Resolves at the first SIGINT or SIGTERM (Ctrl-C). */
export function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * The console's web app files: the prebuilt bundle of an installed Bosun, or a fresh esbuild bundle of `console/web`
 * in the repository.
 *
 * @example
 * const assets = await consoleAssets();
 */
export function consoleAssets(): Promise<ConsoleAssetMap> {
  return loadConsoleAssets();
}

/**
 * Prints what a started console serves and how to open it.
 *
 * @example
 * io.write(renderConsoleStarted(server, platform, true));
 */
export function renderConsoleStarted(server: RunningConsoleServer, target: { readonly target: string; readonly stage: string; readonly region: string }, actionsAllowed: boolean): string {
  const actions = actionsAllowed ? 'redrive and delete allowed' : 'read-only (start with --allow-actions to redrive and delete)';
  return (
    `Bosun console: ${server.url}\n` +
    `serving the ${target.target} platform (stage ${target.stage}, ${target.region}) on 127.0.0.1 only; ${actions}. Ctrl-C stops it.\n`
  );
}

/**
 * Registers `bosun console`: serves the Bosun console (queues and DLQs, dead tasks, redrive, task lookup, routing
 * flags) on 127.0.0.1 with a random token in its URL, for the local platform or, with `--aws`, a deployed stack
 * (read-only unless `--allow-actions`). Runs until Ctrl-C.
 *
 * @example
 * registerConsoleCommand(program, session);
 */
export function registerConsoleCommand(program: Command, session: CliSession): void {
  addTargetOptions(
    program
      .command('console')
      .description(
        'Serve the Bosun console in a browser on 127.0.0.1: queues and DLQs, dead tasks and their payloads, redrive and delete, task lookup, routing flags. Ctrl-C stops it.',
      )
      .addOption(new Option('--port <port>', 'port on 127.0.0.1; 0 picks a free one').argParser(port).default(0))
      .option('--allow-actions', 'with --aws: allow redrive and delete (the console only reads a deployed stack without it)', false),
  ).action(async (options: ConsoleOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const actionsAllowed = platform.target === 'local' || options.allowActions;
      const server = await startConsoleServer({
        platform,
        clients,
        actionsAllowed,
        port: options.port,
        assets: session.deps.consoleAssets ?? consoleAssets,
        log: (line) => io.error(`${line}\n`),
      });
      try {
        io.write(json ? renderJson({ url: server.url, port: server.port, actionsAllowed }) : renderConsoleStarted(server, platform, actionsAllowed));
        await (session.deps.untilStopped ?? waitForStopSignal)();
        if (!json) io.write('stopping the console…\n');
      } finally {
        await server.close();
      }
    });
  });
}
