import { type Command, InvalidArgumentError } from 'commander';
import * as path from 'node:path';
import { parseNonNegativeInteger } from './arguments';
import { DEFAULT_DATA_DIR } from './platform';
import type { CliSession } from './program';

interface DevOptions {
  readonly once: boolean;
  readonly demo: boolean;
  readonly dataDir: string;
  readonly region?: string;
  readonly sqsPort?: number;
  readonly dynamodbPort?: number;
  readonly maxDelaySeconds?: number;
  readonly visibilityTimeout?: number;
  readonly functionTimeout?: number;
  readonly maxConcurrency?: number;
  readonly resynth: boolean;
  readonly iam: boolean;
}

function parsePort(value: string): number {
  const port = parseNonNegativeInteger(value);
  if (port > 65_535) throw new InvalidArgumentError(`expected a TCP port 0 – 65535, 0 for any free port (given "${value}")`);
  return port;
}

function parseSeconds(value: string): number {
  const seconds = parseNonNegativeInteger(value);
  if (seconds < 1 || seconds > 900) throw new InvalidArgumentError(`expected whole seconds 1 – 900 (given "${value}")`);
  return seconds;
}

function parseVisibility(value: string): number {
  const seconds = parseNonNegativeInteger(value);
  if (seconds > 43_200) throw new InvalidArgumentError(`expected whole seconds 0 – 43200 (given "${value}")`);
  return seconds;
}

/**
 * Registers `bosun dev`: runs the local platform in the foreground, exactly as `npm start` does (the local platform's
 * own `runLocalPlatform`, loaded only when this command runs so the other commands start fast), with the same flags.
 *
 * @example
 * registerDevCommand(program, session);
 */
export function registerDevCommand(program: Command, session: CliSession): void {
  program
    .command('dev')
    .description(
      'Run the whole platform locally (emulators, consumers, a demo workload), like `npm start`; Ctrl-C drains and stops it.',
    )
    .option('--once', 'exit after the demo workload: status 0 only if every demo task ended where it should', false)
    .option('--no-demo', 'do not run the demo workload')
    .option('--data-dir <dir>', 'where platform.json, routing.json and logs go', DEFAULT_DATA_DIR)
    .option('--region <region>', 'region the emulators pretend to be in', 'us-east-1')
    .option('--sqs-port <port>', 'port of the SQS/S3 emulator (0: any free port)', parsePort)
    .option('--dynamodb-port <port>', 'port of DynamoDB Local (0: any free port)', parsePort)
    .option('--max-delay-seconds <s>', 'longest single SQS delay when chaining ETAs (1 – 900)', parseSeconds)
    .option('--visibility-timeout <s>', "replace every polled queue's visibility timeout (faster local retries)", parseVisibility)
    .option('--function-timeout <s>', "replace every consumer's function timeout (1 – 900)", parseSeconds)
    .option('--max-concurrency <n>', "cap every event source's max concurrency", parseNonNegativeInteger)
    .option('--resynth', 'synthesize even if the sources did not change', false)
    .option('--no-iam', "do not enforce the template's IAM on the consumers' calls (enforced by default)")
    .action(async (options: DevOptions) => {
      const { runLocalPlatform } = await import('../local/run-local-platform.js');
      session.exitCode = await runLocalPlatform({
        once: options.once,
        demo: options.demo,
        dataDir: path.resolve(options.dataDir),
        forceSynth: options.resynth,
        iam: options.iam,
        print: (text: string) => session.io.write(`${text}\n`),
        ...(options.region === undefined ? {} : { region: options.region }),
        ...(options.sqsPort === undefined ? {} : { sqsPort: options.sqsPort }),
        ...(options.dynamodbPort === undefined ? {} : { dynamoDbPort: options.dynamodbPort }),
        ...(options.maxDelaySeconds === undefined ? {} : { maxDelaySeconds: options.maxDelaySeconds }),
        ...(options.visibilityTimeout === undefined ? {} : { visibilityTimeoutSeconds: options.visibilityTimeout }),
        ...(options.functionTimeout === undefined ? {} : { functionTimeoutSeconds: options.functionTimeout }),
        ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
      });
    });
}
