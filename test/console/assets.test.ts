import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONSOLE_ASSETS_MANIFEST, loadConsoleAssets, writeConsoleAssets } from '../../console/web/assets';

describe('loadConsoleAssets', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-console-assets-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bundles the app from its sources when no prebuilt bundle exists: a page that loads one script and one stylesheet', async () => {
    const assets = await loadConsoleAssets({ prebuiltDir: dir });

    expect([...assets.keys()].sort()).toEqual(['/', '/app.css', '/app.js', '/favicon.svg']);
    const page = assets.get('/')!;
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect(page.body.toString('utf8')).toContain('<script type="module" src="/app.js"></script>');
    expect(page.body.toString('utf8')).toContain('<link rel="stylesheet" href="/app.css">');
    expect(page.body.toString('utf8')).not.toMatch(/<script>|<style>|style="/);
    expect(assets.get('/app.js')!.contentType).toBe('text/javascript; charset=utf-8');
    expect(assets.get('/app.js')!.body.toString('utf8')).toContain('/api/overview');
    expect(assets.get('/app.css')!.contentType).toBe('text/css; charset=utf-8');
    expect(assets.get('/favicon.svg')!.contentType).toBe('image/svg+xml');
  });

  it('serves a prebuilt bundle as it was written, without bundling again', async () => {
    await writeConsoleAssets(dir);
    fs.writeFileSync(path.join(dir, 'app.js'), 'console.log("prebuilt");\n');

    const assets = await loadConsoleAssets({ prebuiltDir: dir });

    expect(fs.existsSync(path.join(dir, CONSOLE_ASSETS_MANIFEST))).toBe(true);
    expect(assets.get('/app.js')).toEqual({ contentType: 'text/javascript; charset=utf-8', body: Buffer.from('console.log("prebuilt");\n') });
    expect(assets.get('/')!.body).toEqual(fs.readFileSync(path.join(dir, 'index.html')));
  });
});
