import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CliDevUnavailableError, assertDevPrerequisites } from '../../cli/dev-prerequisites';
import { bosun } from './support';

describe('bosun dev prerequisites', () => {
  it('are all there in a checkout of the platform repository after npm ci', () => {
    expect(() => assertDevPrerequisites(process.cwd())).not.toThrow();
  });

  it('exits 1 outside a checkout, saying where the local platform runs and how a service reaches it', async () => {
    const elsewhere = await mkdtemp(path.join(tmpdir(), 'bosun-dev-'));
    const cwd = process.cwd();
    try {
      process.chdir(elsewhere);
      const result = await bosun(['dev', '--once']);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `error: bosun dev cannot run here: ${elsewhere} has no cdk.json (bosun dev runs the Bosun platform's CDK app that ` +
          'cdk.json names). It runs the local platform from a checkout of the Bosun platform repository (git clone it, then ' +
          '`npm ci` and `npx bosun dev` or `npm start` there), which has them as devDependencies; an installed bosun ' +
          'brings only the SDK, the runtime and the CLI. Your service then publishes to that platform with ' +
          'taskClientOptionsFromPlatform() and BOSUN_PLATFORM=<checkout>/.bosun/local/platform.json, and the CLI targets ' +
          'it with --data-dir <checkout>/.bosun/local\n',
      );
    } finally {
      process.chdir(cwd);
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('names each missing package with what it is for', () => {
    const error = new CliDevUnavailableError('/srv/service', true, ['fauxqs', 'esbuild']);

    expect(error.message).toMatch(
      /^bosun dev cannot run here: these packages are not installed: fauxqs \(the SQS and S3 emulator\), esbuild \(bundling the consumers\)\. /,
    );
    expect(error.exitCode).toBe(1);
  });
});
