import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_LOCAL_DATA_DIR, Limits } from '../lib/contract';
import type { RunLocalPlatformOptions } from './run-local-platform';

/** Largest TCP port. */
const MAX_PORT = 65_535;

function integer(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${flag} must be an integer between ${min} and ${max} (given ${value})`);
    }
    return parsed;
  };
}

/** Fastest schedule clock `--schedule-speed` accepts: a day of schedule time per second. */
const MAX_SCHEDULE_SPEED = 86_400;

function scheduleSpeed(value: string): number {
  const parsed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(parsed > 0) || parsed > MAX_SCHEDULE_SPEED) {
    throw new InvalidArgumentError(
      `--schedule-speed must be a number greater than 0 and at most ${MAX_SCHEDULE_SPEED}, such as 60 for a minute of schedule time per second (given ${value})`,
    );
  }
  return parsed;
}

/** What commander parses from the flags {@link addLocalPlatformOptions} adds. */
interface ParsedLocalPlatformFlags {
  readonly dataDir: string;
  readonly sqsPort: number;
  readonly dynamodbPort: number;
  readonly region: string;
  readonly once: boolean;
  readonly demo: boolean;
  readonly maxDelaySeconds?: number;
  readonly visibilityTimeoutSeconds?: number;
  readonly functionTimeoutSeconds?: number;
  readonly maxConcurrency?: number;
  readonly scheduleSpeed?: number;
  readonly forceSynth: boolean;
  readonly iam: boolean;
  readonly console: boolean;
  readonly consolePort: number;
  // The names `bosun dev` used before the two commands shared one definition, kept as hidden aliases.
  readonly visibilityTimeout?: number;
  readonly functionTimeout?: number;
  readonly resynth?: boolean;
}

/**
 * Adds the flags of the local platform to a command: the one definition `npm start` (`local/main.ts`) and
 * `bosun dev` (`cli/dev.ts`) both use, so their names, defaults and ranges cannot drift apart. Read the parsed
 * values back with {@link localPlatformOptionsOf}.
 *
 * @example
 * const command = addLocalPlatformOptions(new Command('npm start'));
 * command.parse(['--once', '--sqs-port', '4566'], { from: 'user' });
 * const options = localPlatformOptionsOf(command);
 */
export function addLocalPlatformOptions(command: Command): Command {
  return command
    .addOption(new Option('--data-dir <dir>', 'where platform.json, routing.json, the cloud assembly and logs go').default(DEFAULT_LOCAL_DATA_DIR))
    .addOption(new Option('--sqs-port <port>', 'port of fauxqs (SQS + S3); 0 picks a free one').argParser(integer('--sqs-port', 0, MAX_PORT)).default(0))
    .addOption(new Option('--dynamodb-port <port>', 'port of DynamoDB Local; 0 picks a free one').argParser(integer('--dynamodb-port', 0, MAX_PORT)).default(0))
    .addOption(new Option('--region <region>', 'region the emulators pretend to be in').default('us-east-1'))
    .addOption(new Option('--once', 'run the demo and exit: status 0 only if every task ended where it should').default(false))
    .addOption(new Option('--no-demo', 'do not run the demo workload'))
    .addOption(
      new Option('--max-delay-seconds <s>', `longest single SQS delay of an ETA chain (AWS: ${Limits.SQS_MAX_DELAY_SECONDS})`).argParser(
        integer('--max-delay-seconds', 1, Limits.SQS_MAX_DELAY_SECONDS),
      ),
    )
    .addOption(
      new Option('--visibility-timeout-seconds <s>', "replace every polled queue's visibility timeout").argParser(
        integer('--visibility-timeout-seconds', 0, Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS),
      ),
    )
    .addOption(
      new Option('--function-timeout-seconds <s>', "replace every consumer's function timeout").argParser(
        integer('--function-timeout-seconds', 1, Limits.LAMBDA_MAX_TIMEOUT_SECONDS),
      ),
    )
    .addOption(
      new Option('--max-concurrency <n>', "cap every event source's max concurrency").argParser(
        integer('--max-concurrency', 1, Limits.ESM_MAX_MAX_CONCURRENCY),
      ),
    )
    .addOption(
      new Option('--schedule-speed <factor>', 'run the local scheduler this many times faster than real time (60: a minute per second)').argParser(
        scheduleSpeed,
      ),
    )
    .addOption(new Option('--force-synth', 'synthesize even if the sources did not change').default(false))
    .addOption(new Option('--no-iam', "do not enforce the template's IAM on the consumers' calls (enforced by default)"))
    .addOption(new Option('--no-console', 'do not serve the Bosun console (served on 127.0.0.1 by default, its URL printed)'))
    .addOption(
      new Option('--console-port <port>', 'port of the Bosun console on 127.0.0.1; 0 picks a free one').argParser(integer('--console-port', 0, MAX_PORT)).default(0),
    )
    .addOption(
      new Option('--visibility-timeout <s>')
        .hideHelp()
        .argParser(integer('--visibility-timeout', 0, Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS))
        .conflicts('visibilityTimeoutSeconds'),
    )
    .addOption(
      new Option('--function-timeout <s>')
        .hideHelp()
        .argParser(integer('--function-timeout', 1, Limits.LAMBDA_MAX_TIMEOUT_SECONDS))
        .conflicts('functionTimeoutSeconds'),
    )
    .addOption(new Option('--resynth').hideHelp());
}

/**
 * The {@link RunLocalPlatformOptions} a command built with {@link addLocalPlatformOptions} parsed (the hidden old
 * `bosun dev` names `--visibility-timeout`, `--function-timeout` and `--resynth` map to the same options).
 *
 * @example
 * process.exitCode = await runLocalPlatform(localPlatformOptionsOf(command));
 */
export function localPlatformOptionsOf(command: Command): RunLocalPlatformOptions {
  const o = command.opts<ParsedLocalPlatformFlags>();
  const visibilityTimeoutSeconds = o.visibilityTimeoutSeconds ?? o.visibilityTimeout;
  const functionTimeoutSeconds = o.functionTimeoutSeconds ?? o.functionTimeout;
  return {
    dataDir: o.dataDir,
    sqsPort: o.sqsPort,
    dynamoDbPort: o.dynamodbPort,
    region: o.region,
    once: o.once,
    demo: o.demo,
    forceSynth: o.forceSynth || o.resynth === true,
    iam: o.iam,
    console: o.console,
    consolePort: o.consolePort,
    ...(o.maxDelaySeconds === undefined ? {} : { maxDelaySeconds: o.maxDelaySeconds }),
    ...(visibilityTimeoutSeconds === undefined ? {} : { visibilityTimeoutSeconds }),
    ...(functionTimeoutSeconds === undefined ? {} : { functionTimeoutSeconds }),
    ...(o.maxConcurrency === undefined ? {} : { maxConcurrency: o.maxConcurrency }),
    ...(o.scheduleSpeed === undefined ? {} : { scheduleSpeed: o.scheduleSpeed }),
  };
}
