import { Command, CommanderError, Option } from 'commander';
import { type CliClients, createCliClients } from './clients';
import type { RunLocalPlatformOptions } from '../local/run-local-platform';
import type { ConsoleAssetMap } from '../console/server/console-server';
import { EXIT_USAGE, exitCodeOf } from './errors';
import { type CliIo, renderJson } from './output';
import { DEFAULT_DATA_DIR, type Platform, loadAwsPlatform, loadLocalPlatform } from './platform';
import { packageVersion } from './version';

/** The options every command that acts on a platform accepts. */
export interface TargetOptions {
  /** Print one JSON document for scripts instead of tables. */
  readonly json?: boolean;
  /** Data directory of the local platform. @default .bosun/local */
  readonly dataDir?: string;
  /** Target a deployed stack instead of the local platform. */
  readonly aws?: boolean;
  /** Stage of the deployed stack (`Bosun-<stage>`). @default dev */
  readonly stage?: string;
  /** AWS region. @default - the AWS SDK's default */
  readonly region?: string;
  /** AWS named profile. @default - the default credential chain */
  readonly profile?: string;
}

/** What a command body gets: the platform, clients pointed at it, and where to write. */
export interface CommandTarget {
  readonly platform: Platform;
  readonly clients: CliClients;
  readonly io: CliIo;
  readonly json: boolean;
}

/** What the CLI needs from the outside world; tests replace parts of it. */
export interface CliDependencies {
  readonly io: CliIo;
  /** Resolves the target platform. @default - `platform.json` in the data dir, or the stack outputs with `--aws` */
  readonly loadPlatform?: (options: TargetOptions) => Promise<Platform>;
  /** Creates SDK clients for a platform. @default createCliClients */
  readonly createClients?: (platform: Platform) => CliClients;
  /** Runs the local platform for `bosun dev`. @default - the local platform's `runLocalPlatform`, loaded when `dev` runs */
  readonly runLocalPlatform?: (options: RunLocalPlatformOptions) => Promise<number>;
  /** The web app `bosun console` serves. @default - the bundle of `console/web` (`loadConsoleAssets`) */
  readonly consoleAssets?: () => Promise<ConsoleAssetMap>;
  /** Resolves when `bosun console` should stop. @default - at the first SIGINT or SIGTERM (Ctrl-C) */
  readonly untilStopped?: () => Promise<unknown>;
}

/**
 * Resolves the platform a command acts on: the local platform's `platform.json` by default, the deployed stack
 * `Bosun-<stage>` with `--aws`.
 *
 * @example
 * const platform = await resolvePlatform({ aws: true, stage: 'prod', region: 'eu-west-1' });
 */
export async function resolvePlatform(options: TargetOptions): Promise<Platform> {
  if (options.aws === true) {
    return loadAwsPlatform({
      ...(options.stage === undefined ? {} : { stage: options.stage }),
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
    });
  }
  return loadLocalPlatform(options.dataDir ?? DEFAULT_DATA_DIR);
}

/** Adds `--json` to a command. */
export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print one JSON document for scripts instead of tables', false);
}

/**
 * Adds the target options (`--json`, `--data-dir`, `--aws`, `--stage`, `--region`, `--profile`) to a command.
 *
 * @example
 * addTargetOptions(program.command('status'));
 */
export function addTargetOptions(command: Command, regionHelp = 'AWS region of the stack (with --aws)'): Command {
  return addJsonOption(command)
    .option('--data-dir <dir>', 'data directory of the local platform', DEFAULT_DATA_DIR)
    .option('--aws', 'target the deployed stack Bosun-<stage> in AWS instead of the local platform', false)
    .addOption(new Option('--stage <stage>', 'stage of the deployed stack (with --aws)').default('dev'))
    .option('--region <region>', regionHelp)
    .option('--profile <profile>', 'AWS named profile for credentials (with --aws)');
}

/** State of one CLI invocation: its dependencies and the exit status the commands chose. */
export class CliSession {
  /** Exit status the command chose (0 unless it reported a failure). */
  public exitCode = 0;

  public constructor(public readonly deps: CliDependencies) {}

  /** The invocation's output. */
  public get io(): CliIo {
    return this.deps.io;
  }

  /**
   * Runs a command body against the resolved platform, closing the clients afterwards. A number the body returns
   * becomes the exit status.
   */
  public async withTarget(
    options: TargetOptions,
    body: (target: CommandTarget) => Promise<number | void>,
  ): Promise<void> {
    const platform = await (this.deps.loadPlatform ?? resolvePlatform)(options);
    const clients = (this.deps.createClients ?? createCliClients)(platform);
    try {
      const code = await body({ platform, clients, io: this.deps.io, json: options.json === true });
      if (typeof code === 'number') this.exitCode = code;
    } finally {
      clients.destroy();
    }
  }
}

/** A function that adds one command group to the program. */
export type CommandRegistrar = (program: Command, session: CliSession) => void;

/**
 * Builds the `bosun` program with the given command groups; output goes through the session's io, and commander is
 * told not to exit the process.
 *
 * @example
 * const program = createProgram(session, [registerStatusCommand]);
 */
export function createProgram(session: CliSession, registrars: readonly CommandRegistrar[]): Command {
  const program = new Command('bosun')
    .description('Operate a Bosun task platform: the local one (`npm start`) by default, a deployed stack with --aws.')
    .version(packageVersion(), '-V, --version', "print bosun's version")
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => session.io.write(text),
      writeErr: (text) => session.io.error(text),
    })
    .exitOverride();
  for (const register of registrars) register(program, session);
  const applyToAll = (command: Command): void => {
    command.exitOverride().configureOutput({
      writeOut: (text) => session.io.write(text),
      writeErr: (text) => session.io.error(text),
    });
    command.commands.forEach(applyToAll);
  };
  program.commands.forEach(applyToAll);
  return program;
}

/**
 * Parses and runs one invocation and returns its exit status: 0 ok, 1 failure or not found, 2 usage error (see
 * `exitCodeOf`).
 * Errors are printed to standard error, and with `--json` also as `{ "error": { name, message } }` on standard
 * output.
 *
 * @example
 * process.exitCode = await runProgram(['status', '--json'], session, registrars);
 */
export async function runProgram(
  argv: readonly string[],
  session: CliSession,
  registrars: readonly CommandRegistrar[],
): Promise<number> {
  const program = createProgram(session, registrars);
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return session.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help text).
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    const exitCode = exitCodeOf(error);
    session.io.error(`error: ${message}\n`);
    if (json) session.io.write(renderJson({ error: { name, message } }));
    return exitCode;
  }
}
