import type { Command } from 'commander';
import * as path from 'node:path';
import { addLocalPlatformOptions, localPlatformOptionsOf } from '../local/local-platform-command';
import { assertDevPrerequisites } from './dev-prerequisites';
import type { CliSession } from './program';

/**
 * Registers `bosun dev`: runs the local platform in the foreground, exactly as `npm start` does (the local platform's
 * own `runLocalPlatform`, loaded only when this command runs so the other commands start fast), with the flags of
 * `npm start`, defined once in `addLocalPlatformOptions`.
 *
 * @example
 * registerDevCommand(program, session);
 */
export function registerDevCommand(program: Command, session: CliSession): void {
  const dev = program
    .command('dev')
    .description(
      'Run the whole platform locally (emulators, consumers, a demo workload), like `npm start`; Ctrl-C drains and stops it.',
    );
  addLocalPlatformOptions(dev).action(async () => {
    assertDevPrerequisites(process.cwd());
    const runLocalPlatform = session.deps.runLocalPlatform ?? (await import('../local/run-local-platform.js')).runLocalPlatform;
    const options = localPlatformOptionsOf(dev);
    session.exitCode = await runLocalPlatform({
      ...options,
      dataDir: path.resolve(options.dataDir ?? '.'),
      print: (text: string) => session.io.write(`${text}\n`),
    });
  });
}
