#!/usr/bin/env node
import { Command } from 'commander';
import { LocalPlatformError } from './errors';
import { EmulatorStartError } from './emulators';
import { addLocalPlatformOptions, localPlatformOptionsOf } from './local-platform-command';
import { type RunLocalPlatformOptions, runLocalPlatform } from './run-local-platform';

// The AWS SDK warns on every run under Node 20 that releases after January 2027 need Node 22; the README says which
// Node versions Bosun supports, so people running a command do not need that notice on each one.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/**
 * Builds the `npm start` command line: the local platform's flags, defined once in
 * {@link addLocalPlatformOptions} and shared with `bosun dev`.
 *
 * @example
 * const options = parseLocalPlatformArgs(['--once', '--sqs-port', '4566']);
 */
export function parseLocalPlatformArgs(argv: readonly string[]): RunLocalPlatformOptions {
  const program = addLocalPlatformOptions(
    new Command('npm start').description(
      'Run the synthesized Bosun stack on this machine: emulators, consumers, pollers and a demo workload.',
    ),
  )
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.parse(argv, { from: 'user' });
  return localPlatformOptionsOf(program);
}

async function main(): Promise<void> {
  let options: RunLocalPlatformOptions;
  try {
    options = parseLocalPlatformArgs(process.argv.slice(2));
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    process.exitCode = code === 0 ? 0 : 2;
    return;
  }
  try {
    process.exitCode = await runLocalPlatform(options);
  } catch (error) {
    if (error instanceof LocalPlatformError || error instanceof EmulatorStartError) {
      console.error(`error: ${error.message}`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
