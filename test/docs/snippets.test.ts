import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

/** The documents whose TypeScript blocks must compile: the README and every page of docs/. */
async function documents(root: string): Promise<string[]> {
  const pages = (await readdir(path.join(root, 'docs'))).filter((file) => file.endsWith('.md')).map((file) => path.join('docs', file));
  return ['README.md', ...pages.sort()];
}

/** One fenced ```ts block: where it is, and its code. */
interface Snippet {
  readonly doc: string;
  readonly line: number;
  readonly code: string;
}

function extractSnippets(doc: string, text: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[index]!)) continue;
    const start = index + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    snippets.push({ doc, line: start + 1, code: lines.slice(start, end).join('\n') });
    index = end;
  }
  return snippets;
}

// Every ```ts block of the docs is compiled as a module of a CommonJS service that installed bosun: `bosun/<subpath>`
// maps to this repository's sources, with the repository's compiler options (`./x` imports name files of this
// repository, for example `./examples/mailer`). A block that names something undefined,
// calls an API that changed, or uses top-level await (which CommonJS cannot run) fails here, not in a reader's editor.
describe('TypeScript in README.md and docs/*.md', () => {
  const root = process.cwd();
  let work: string;
  let snippets: Snippet[];
  let files: Map<string, Snippet>;

  beforeAll(async () => {
    snippets = [];
    for (const doc of await documents(root)) snippets.push(...extractSnippets(doc, await readFile(path.join(root, doc), 'utf8')));
    work = await mkdtemp(path.join(tmpdir(), 'bosun-docs-'));
    files = new Map();
    for (const snippet of snippets) {
      const file = path.join(work, `${snippet.doc.replace(/[/.]/g, '_')}_${snippet.line}.ts`);
      // `export {}` makes each block its own module, so two blocks may declare the same names. A relative import is
      // relative to the repository root, where a reader of the platform repository runs it.
      const code = snippet.code.replace(/from '\.\/([^']+)'/g, (_match, target: string) => `from '${path.join(root, target)}'`);
      await writeFile(file, `${code}\nexport {};\n`);
      files.set(file, snippet);
    }
  });

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('finds the blocks', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(10);
    expect(snippets.map((snippet) => snippet.doc)).toContain('README.md');
  });

  it('compiles every block', () => {
    const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), (file) => ts.sys.readFile(file));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const program = ts.createProgram([...files.keys()], {
      ...options,
      noEmit: true,
      noUnusedLocals: false,
      noUnusedParameters: false,
      types: ['node'],
      typeRoots: [path.join(root, 'node_modules/@types')],
      paths: {
        'bosun/sdk': [path.join(root, 'lib/sdk/index.ts')],
        'bosun/runtime': [path.join(root, 'lib/runtime/index.ts')],
        'bosun/constructs': [path.join(root, 'lib/constructs/index.ts')],
        'bosun/contract': [path.join(root, 'lib/contract/index.ts')],
        'bosun/tasks': [path.join(root, 'lambdas/tasks.ts')],
        '*': [path.join(root, 'node_modules/*'), path.join(root, 'node_modules/@types/*')],
      },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file !== undefined && files.has(path.normalize(diagnostic.file.fileName)))
      .map((diagnostic) => {
        const snippet = files.get(path.normalize(diagnostic.file!.fileName))!;
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        return `${snippet.doc}:${snippet.line + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      });

    expect(problems).toEqual([]);
  });
});
