import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { consoleBuildOptions, consoleEntryPoint } from '../console/web/assets';

// Bundle size of the console web app (npm run bench:console-bundle): the minified and gzipped bytes of what the
// console serves, against a baseline built in the same run with the same options — a page that only renders one
// Preact component with a hook — so the figure splits into the framework's share and the app's own.

/** Bytes of one bundle, minified and gzipped. */
interface Sizes {
  readonly js: number;
  readonly jsGzip: number;
  readonly css: number;
  readonly cssGzip: number;
}

async function measure(entryPoint: string): Promise<Sizes> {
  const result = await build({ ...consoleBuildOptions(entryPoint), metafile: false });
  const sizes = { js: 0, jsGzip: 0, css: 0, cssGzip: 0 };
  for (const file of result.outputFiles) {
    const gzip = gzipSync(file.contents, { level: 9 }).length;
    if (file.path.endsWith('.js')) Object.assign(sizes, { js: file.contents.length, jsGzip: gzip });
    if (file.path.endsWith('.css')) Object.assign(sizes, { css: file.contents.length, cssGzip: gzip });
  }
  return sizes;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-console-bench-'));
  const baselineEntry = path.join(dir, 'baseline.tsx');
  fs.writeFileSync(
    baselineEntry,
    [
      "import { render } from 'preact';",
      "import { useState } from 'preact/hooks';",
      'function Counter() { const [n, setN] = useState(0); return <button onClick={() => setN(n + 1)}>{n}</button>; }',
      "render(<Counter />, document.body);",
    ].join('\n'),
  );
  try {
    // esbuild resolves 'preact' from the entry's folder: link the project's node_modules beside the baseline.
    fs.symlinkSync(path.resolve(__dirname, '..', 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const baseline = await measure(baselineEntry);
    const app = await measure(consoleEntryPoint());
    const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
    console.log('console web bundle (minified / gzip -9)');
    console.log(`  baseline (Preact + hooks, one component): js ${kib(baseline.js)} / ${kib(baseline.jsGzip)}`);
    console.log(`  console app:                              js ${kib(app.js)} / ${kib(app.jsGzip)}, css ${kib(app.css)} / ${kib(app.cssGzip)}`);
    console.log(`  the app's own code over the baseline:     js ${kib(app.js - baseline.js)} / ${kib(app.jsGzip - baseline.jsGzip)}`);
    console.log(`  total transferred (gzip, js + css):       ${kib(app.jsGzip + app.cssGzip)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
