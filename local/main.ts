#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { LocalPlatformError } from './errors';
import { EmulatorStartError } from './emulators';
import { DEFAULT_DATA_DIR } from './local-platform';
import { type RunLocalPlatformOptions, runLocalPlatform } from './run-local-platform';

// The AWS SDK warns on every run under Node 20 that releases after January 2027 need Node 22; the README says which
// Node versions Bosun supports, so people running a command do not need that notice on each one.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be an integer between ${min} and ${max} (given ${value})`);
    }
    return parsed;
  };
}

/**
 * Builds the `npm start` command line: every flag maps to a {@link RunLocalPlatformOptions} field, so `bosun dev`
 * can offer the same flags.
 *
 * @example
 * const options = parseLocalPlatformArgs(['--once', '--sqs-port', '4566']);
 */
export function parseLocalPlatformArgs(argv: readonly string[]): RunLocalPlatformOptions {
  const program = new Command('npm start')
    .description('Run the synthesized Bosun stack on this machine: emulators, consumers, pollers and a demo workload.')
    .addOption(new Option('--data-dir <dir>', 'where platform.json, routing.json, the cloud assembly and logs go').default(DEFAULT_DATA_DIR))
    .addOption(new Option('--sqs-port <port>', 'port of fauxqs (SQS + S3); 0 picks a free one').argParser(integer('--sqs-port', 0, 65535)).default(0))
    .addOption(new Option('--dynamodb-port <port>', 'port of DynamoDB Local; 0 picks a free one').argParser(integer('--dynamodb-port', 0, 65535)).default(0))
    .addOption(new Option('--region <region>', 'region the emulators pretend to be in').default('us-east-1'))
    .option('--once', 'run the demo and exit: status 0 only if every task ended where it should', false)
    .option('--no-demo', 'do not run the demo workload')
    .addOption(new Option('--max-delay-seconds <s>', 'longest single SQS delay of an ETA chain (AWS: 900)').argParser(integer('--max-delay-seconds', 1, 900)))
    .addOption(new Option('--visibility-timeout-seconds <s>', "replace every polled queue's visibility timeout").argParser(integer('--visibility-timeout-seconds', 0, 43200)))
    .addOption(new Option('--function-timeout-seconds <s>', "replace every consumer's function timeout").argParser(integer('--function-timeout-seconds', 1, 900)))
    .addOption(new Option('--max-concurrency <n>', "cap every event source's max concurrency").argParser(integer('--max-concurrency', 1, 1000)))
    .option('--force-synth', 'synthesize even if the sources did not change', false)
    .option('--no-iam', "do not enforce the template's IAM on the consumers' calls (enforced by default)")
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    dataDir: string;
    sqsPort: number;
    dynamodbPort: number;
    region: string;
    once: boolean;
    demo: boolean;
    maxDelaySeconds?: number;
    visibilityTimeoutSeconds?: number;
    functionTimeoutSeconds?: number;
    maxConcurrency?: number;
    forceSynth: boolean;
    iam: boolean;
  }>();
  return {
    dataDir: o.dataDir,
    sqsPort: o.sqsPort,
    dynamoDbPort: o.dynamodbPort,
    region: o.region,
    once: o.once,
    demo: o.demo,
    forceSynth: o.forceSynth,
    iam: o.iam,
    ...(o.maxDelaySeconds === undefined ? {} : { maxDelaySeconds: o.maxDelaySeconds }),
    ...(o.visibilityTimeoutSeconds === undefined ? {} : { visibilityTimeoutSeconds: o.visibilityTimeoutSeconds }),
    ...(o.functionTimeoutSeconds === undefined ? {} : { functionTimeoutSeconds: o.functionTimeoutSeconds }),
    ...(o.maxConcurrency === undefined ? {} : { maxConcurrency: o.maxConcurrency }),
  };
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
