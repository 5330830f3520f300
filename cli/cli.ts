import { registerConsoleCommand } from './console';
import { registerDevCommand } from './dev';
import { registerDlqCommands } from './dlq';
import { registerDrainCommands } from './drain';
import { registerFlagsCommands } from './flags';
import { registerMoveCommand } from './move';
import { registerPublishCommand } from './publish';
import { registerSchedulesCommand } from './schedules';
import { type CliDependencies, CliSession, type CommandRegistrar, runProgram } from './program';
import { registerStatusCommand } from './status';
import { registerTaskCommand } from './task';

/** Every command group of the `bosun` CLI, in help order. */
export const COMMANDS: readonly CommandRegistrar[] = [
  registerPublishCommand,
  registerStatusCommand,
  registerTaskCommand,
  registerSchedulesCommand,
  registerDlqCommands,
  registerDrainCommands,
  registerMoveCommand,
  registerFlagsCommands,
  registerConsoleCommand,
  registerDevCommand,
];

/**
 * Runs one `bosun` invocation and returns its exit status: 0 ok, 1 failure or not found, 2 usage error.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { io: processIo() });
 */
export async function runCli(argv: readonly string[], deps: CliDependencies): Promise<number> {
  return runProgram(argv, new CliSession(deps), COMMANDS);
}
