import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

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

function run(command: string, args: readonly string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

// Packs this repository as `npm publish` would, installs the tarball into a fresh service project the way a team's
// service would (no CDK: the peers are optional), and uses the SDK from CommonJS and from an ES module. It packs the
// `dist/` that `npm ci` built (prepare): `npm pack` is run without scripts so it does not rebuild `dist/` under the
// other test files that run the compiled CLI.
describe('bosun installed into a service', () => {
  const root = process.cwd();
  let work: string;
  let service: string;
  let packedFiles: string[];

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'dist/lib/sdk/index.js'))) throw new Error('dist/ is missing: run `npm ci` or `npm run build` first');
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
  }, 180_000);

  afterAll(async () => {
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
      ]),
    );
    expect(packedFiles.filter((file) => /^(test|bench|scratch)\/|\.map$|(?<!\.d)\.ts$/.test(file))).toEqual([]);
  });

  it('installs without the CDK', () => {
    expect(existsSync(path.join(service, 'node_modules/aws-cdk-lib'))).toBe(false);
    expect(existsSync(path.join(service, 'node_modules/constructs'))).toBe(false);
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
});
