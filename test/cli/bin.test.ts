import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

// `npm ci` runs `prepare` (the build), so these hold on a fresh clone without any other step.
describe('the bosun bin after npm ci', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
    version: string;
    bin: Record<string, string>;
    scripts: Record<string, string>;
  };

  it('points at the compiled CLI, which the prepare script builds', () => {
    expect(manifest.bin).toEqual({ bosun: './dist/cli/main.js' });
    expect(manifest.scripts['prepare']).toBe('npm run build');
    expect(existsSync(manifest.bin['bosun']!)).toBe(true);
  });

  it('has next to the compiled local platform every non-TypeScript file it loads from its own folder', () => {
    const loaded = readdirSync('local')
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => [...readFileSync(path.join('local', file), 'utf8').matchAll(/path\.join\(__dirname, '([^']+\.(?:mjs|cjs|js))'\)/g)])
      .map((match) => match[1]!);

    expect(loaded.sort()).toEqual(['fauxqs-server.mjs', 'function-worker.js', 'orphan-guard.mjs']);
    for (const file of loaded) expect(existsSync(path.join('dist/local', file))).toBe(true);
  });

  it.each([
    [['--version'], (stdout: string) => expect(stdout).toBe(`${manifest.version}\n`)],
    [['--help'], (stdout: string) => expect(stdout).toContain('Usage: bosun [options] [command]')],
  ])('runs `npx bosun %s`', (argv, check) => {
    const child = spawnSync('npx', ['--no-install', 'bosun', ...argv], { encoding: 'utf8', timeout: 60_000 });

    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    check(child.stdout);
  });

  it('exits 2 for a usage error from the compiled CLI', () => {
    const child = spawnSync('npx', ['--no-install', 'bosun', 'task'], { encoding: 'utf8', timeout: 60_000 });

    expect(child.status).toBe(2);
    expect(child.stderr).toContain("error: missing required argument 'id'");
  });
});
