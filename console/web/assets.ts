import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type * as Esbuild from 'esbuild';

/** One file of the console web app, ready to serve. */
export interface ConsoleAsset {
  /** `Content-Type` header value, with the charset for text. */
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * The console web app's files by URL path: `/` (the page), `/app.js`, `/app.css`, `/favicon.svg` — what the console
 * server's `assets` option takes.
 */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

/** File that lists a prebuilt bundle's files, written next to them by {@link writeConsoleAssets}. */
export const CONSOLE_ASSETS_MANIFEST = 'console-assets.json';

/** Browsers the bundle is built for: the last two years of evergreen browsers (native `<dialog>`, ES2020). */
export const CONSOLE_BROWSER_TARGETS = ['chrome111', 'firefox113', 'safari16.4', 'edge111'];

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function contentTypeOf(file: string): string {
  const extension = file.slice(file.lastIndexOf('.'));
  const type = CONTENT_TYPES[extension];
  if (type === undefined) throw new Error(`console asset ${file} has an extension the console does not serve (${extension}); allowed: ${Object.keys(CONTENT_TYPES).join(', ')}`);
  return type;
}

/**
 * Folder of the web app's sources (`index.html`, `favicon.svg`, `app/main.tsx`): beside this module when it runs from
 * the repository, or `console/web` of the repository when it runs compiled from `dist/console/web`.
 */
function sourceDir(): string {
  const beside = __dirname;
  if (existsSync(join(beside, 'app', 'main.tsx'))) return beside;
  return resolve(__dirname, '..', '..', '..', 'console', 'web');
}

/**
 * The esbuild options of the console bundle for an entry point: one minified ES module for the browser with Preact's
 * JSX, its CSS beside it. Exported so the bundle-size benchmark builds exactly what the console serves.
 */
export function consoleBuildOptions(entryPoint: string): Esbuild.BuildOptions & { write: false } {
  return {
    entryPoints: { app: entryPoint },
    bundle: true,
    write: false,
    outdir: '/',
    format: 'esm',
    platform: 'browser',
    target: CONSOLE_BROWSER_TARGETS,
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
}

/** The web app's entry point (`app/main.tsx`) in the source folder. */
export function consoleEntryPoint(): string {
  return join(sourceDir(), 'app', 'main.tsx');
}

/**
 * Bundles the web app with esbuild, in memory: one minified ES module (`/app.js`, Preact included) and its stylesheet
 * (`/app.css`), with the static page and icon. Needs esbuild (a development dependency), so an installed package uses
 * the prebuilt bundle instead.
 *
 * @example
 * const assets = await bundleConsoleAssets();
 * assets.get('/app.js')?.body.length; // bytes of the minified bundle
 */
export async function bundleConsoleAssets(): Promise<ConsoleAssets> {
  const source = sourceDir();
  // Loaded only here: esbuild is a development dependency, absent from an installed package that serves its prebuilt
  // bundle. A require, not import(), so the module also loads under jest's CommonJS runtime.
  const esbuild = createRequire(__filename)('esbuild') as typeof Esbuild;
  const result = await esbuild.build(consoleBuildOptions(join(source, 'app', 'main.tsx')));
  const assets = new Map<string, ConsoleAsset>();
  for (const output of result.outputFiles) {
    const path = `/${output.path.split(/[\\/]/).pop() ?? ''}`;
    assets.set(path, { contentType: contentTypeOf(path), body: Buffer.from(output.contents) });
  }
  assets.set('/', { contentType: contentTypeOf('index.html'), body: await readFile(join(source, 'index.html')) });
  assets.set('/favicon.svg', { contentType: contentTypeOf('favicon.svg'), body: await readFile(join(source, 'favicon.svg')) });
  for (const required of ['/app.js', '/app.css']) {
    if (!assets.has(required)) throw new Error(`bundling the console web app produced no ${required} (got ${[...assets.keys()].join(', ')})`);
  }
  return assets;
}

/** The manifest of a prebuilt bundle: URL path → file name and content type. */
type Manifest = Record<string, { readonly file: string; readonly contentType: string }>;

/**
 * Writes the bundle into `dir` with its manifest, so {@link loadConsoleAssets} serves it without esbuild. Run by
 * `npm run build` into `dist/console/web`.
 *
 * @example
 * await writeConsoleAssets('dist/console/web');
 */
export async function writeConsoleAssets(dir: string, assets?: ConsoleAssets): Promise<ConsoleAssets> {
  const bundle = assets ?? (await bundleConsoleAssets());
  await mkdir(dir, { recursive: true });
  const manifest: Manifest = {};
  for (const [path, asset] of bundle) {
    const file = path === '/' ? 'index.html' : path.slice(1);
    await writeFile(join(dir, file), asset.body);
    manifest[path] = { file, contentType: asset.contentType };
  }
  await writeFile(join(dir, CONSOLE_ASSETS_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return bundle;
}

async function readPrebuilt(dir: string): Promise<ConsoleAssets> {
  const manifest = JSON.parse(await readFile(join(dir, CONSOLE_ASSETS_MANIFEST), 'utf8')) as Manifest;
  const assets = new Map<string, ConsoleAsset>();
  for (const [path, entry] of Object.entries(manifest)) {
    assets.set(path, { contentType: entry.contentType, body: await readFile(join(dir, entry.file)) });
  }
  return assets;
}

/**
 * The console web app's files for the console server: the prebuilt bundle when this module runs from
 * `dist/console/web` (where `npm run build` writes it beside the compiled module), else a fresh esbuild bundle of the
 * sources — so running from the repository always serves the code as it is, never a stale build.
 *
 * @example
 * const assets = await loadConsoleAssets();
 * const page = assets.get('/'); // { contentType: 'text/html; charset=utf-8', body }
 */
export async function loadConsoleAssets(options: { readonly prebuiltDir?: string } = {}): Promise<ConsoleAssets> {
  const prebuiltDir = options.prebuiltDir ?? __dirname;
  if (existsSync(join(prebuiltDir, CONSOLE_ASSETS_MANIFEST))) return readPrebuilt(prebuiltDir);
  return bundleConsoleAssets();
}
