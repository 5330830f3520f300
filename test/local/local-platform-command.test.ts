import * as path from 'node:path';
import { parseLocalPlatformArgs } from '../../local/main';
import type { RunLocalPlatformOptions } from '../../local/run-local-platform';
import { bosun } from '../cli/support';

const run = jest.fn(async (_options: RunLocalPlatformOptions) => 0);

/** The options `bosun dev <argv>` hands to runLocalPlatform, without the CLI's own printer. */
async function devOptions(argv: readonly string[]): Promise<RunLocalPlatformOptions> {
  run.mockClear();
  const result = await bosun(['dev', ...argv], { runLocalPlatform: run });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const { print, ...options } = run.mock.calls[0]![0]!;
  expect(typeof print).toBe('function');
  return options;
}

function stderrOf(parse: () => unknown): string {
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    parse();
    return '';
  } catch {
    return write.mock.calls.map((call) => String(call[0])).join('');
  } finally {
    write.mockRestore();
  }
}

describe('npm start and bosun dev', () => {
  const argv = [
    '--once',
    '--no-demo',
    '--data-dir', 'tmp/local',
    '--region', 'eu-west-1',
    '--sqs-port', '4566',
    '--dynamodb-port', '8000',
    '--max-delay-seconds', '2',
    '--visibility-timeout-seconds', '3',
    '--function-timeout-seconds', '4',
    '--max-concurrency', '7',
    '--schedule-speed', '60',
    '--force-synth',
    '--no-iam',
    '--no-console',
    '--console-port', '5000',
  ];

  it('accept the same flags and run the platform with the same options', async () => {
    const fromStart = parseLocalPlatformArgs(argv);

    expect(fromStart).toEqual({
      once: true,
      demo: false,
      dataDir: 'tmp/local',
      region: 'eu-west-1',
      sqsPort: 4566,
      dynamoDbPort: 8000,
      maxDelaySeconds: 2,
      visibilityTimeoutSeconds: 3,
      functionTimeoutSeconds: 4,
      maxConcurrency: 7,
      scheduleSpeed: 60,
      forceSynth: true,
      iam: false,
      console: false,
      consolePort: 5000,
    });
    expect(await devOptions(argv)).toEqual({ ...fromStart, dataDir: path.resolve('tmp/local') });
  });

  it('have the same defaults', async () => {
    expect(await devOptions([])).toEqual({ ...parseLocalPlatformArgs([]), dataDir: path.resolve('.bosun/local') });
  });

  it("still understand bosun dev's old flag names", async () => {
    expect(await devOptions(['--visibility-timeout', '3', '--function-timeout', '4', '--resynth'])).toMatchObject({
      visibilityTimeoutSeconds: 3,
      functionTimeoutSeconds: 4,
      forceSynth: true,
    });
  });

  it.each([
    ['--max-concurrency', '0', '--max-concurrency must be an integer between 1 and 1000 (given 0)'],
    ['--visibility-timeout-seconds', '43201', '--visibility-timeout-seconds must be an integer between 0 and 43200 (given 43201)'],
    ['--function-timeout-seconds', '901', '--function-timeout-seconds must be an integer between 1 and 900 (given 901)'],
    ['--max-delay-seconds', '0', '--max-delay-seconds must be an integer between 1 and 900 (given 0)'],
    ['--sqs-port', '65536', '--sqs-port must be an integer between 0 and 65535 (given 65536)'],
    ...['0', '-2', 'fast', '1e3', '86401'].map((value) => [
      '--schedule-speed',
      value,
      `--schedule-speed must be a number greater than 0 and at most 86400, such as 60 for a minute of schedule time per second (given ${value})`,
    ]),
    ['--console-port', 'http', '--console-port must be an integer between 0 and 65535 (given http)'],
  ])('refuse %s %s with the same message, and bosun dev exits 2', async (flag, value, message) => {
    expect(stderrOf(() => parseLocalPlatformArgs([flag, value]))).toContain(message);

    const result = await bosun(['dev', flag, value], { runLocalPlatform: run });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('--schedule-speed', () => {
  it('takes a whole or fractional factor, and runs at real time without it', () => {
    expect(parseLocalPlatformArgs(['--schedule-speed', '300']).scheduleSpeed).toBe(300);
    expect(parseLocalPlatformArgs(['--schedule-speed', '0.5']).scheduleSpeed).toBe(0.5);
    expect(parseLocalPlatformArgs([]).scheduleSpeed).toBeUndefined();
  });
});
