import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { TASK_NAME_PATTERN, type TaskDeclaration } from '../lib/contract';
import { CliUsageError } from './errors';

/** Extensions of JavaScript modules Node loads itself (ES modules through require(esm), Node ≥ 20.19). */
const JAVASCRIPT_EXTENSIONS = ['.js', '.cjs', '.mjs'];
/** Extensions of TypeScript modules, loaded through tsx when it is installed. */
const TYPESCRIPT_EXTENSIONS = ['.ts', '.cts', '.mts'];

/** Task declarations read from a module the user named (`bosun publish --tasks <module>`). */
export interface TaskModule {
  /** The module's absolute path. */
  readonly file: string;
  /** Every task declaration it exports, by itself or in an array, once per name. */
  readonly tasks: readonly TaskDeclaration<unknown>[];
}

function isDeclaration(value: unknown): value is TaskDeclaration<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const { name, schema } = value as { name?: unknown; schema?: { safeParse?: unknown } };
  return typeof name === 'string' && TASK_NAME_PATTERN.test(name) && typeof schema?.safeParse === 'function';
}

/** The declarations among a module's exports: each export that is one, and each element of an export that is an array. */
function declarationsOf(exports: Record<string, unknown>): TaskDeclaration<unknown>[] {
  const byName = new Map<string, TaskDeclaration<unknown>>();
  for (const value of Object.values(exports)) {
    for (const candidate of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (isDeclaration(candidate) && !byName.has(candidate.name)) byName.set(candidate.name, candidate);
    }
  }
  return [...byName.values()];
}

/** tsx's scoped `require`, from the module's own project first, then from Bosun's; `undefined` when neither has it. */
function tsxRequire(file: string): ((id: string, fromFile: string) => unknown) | undefined {
  for (const from of [file, __filename]) {
    try {
      const api = createRequire(from)('tsx/cjs/api') as { require: (id: string, fromFile: string) => unknown };
      return api.require;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/**
 * Loads the task declarations a module exports, for `bosun publish --tasks <module>`: a `.js`, `.cjs` or `.mjs` module
 * (CommonJS or ES module), or a `.ts`/`.cts`/`.mts` module when `tsx` is installed in its project (or Bosun's). A
 * declaration is what `defineTask` returns, or any `{ name, schema }` with a zod-like `safeParse`; arrays of them
 * (such as `exampleTasks`) count too.
 *
 * @throws CliUsageError (exit 2) when the module is missing, of another kind, fails to load, or declares no task.
 * @example
 * const { tasks } = loadTaskModule('./src/tasks.js');
 */
export function loadTaskModule(specifier: string, cwd: string = process.cwd()): TaskModule {
  const file = path.resolve(cwd, specifier);
  const extension = path.extname(file);
  if (!existsSync(file)) throw new CliUsageError('--tasks', `${specifier} does not exist (looked for ${file})`);
  let load: (id: string) => unknown;
  if (JAVASCRIPT_EXTENSIONS.includes(extension)) {
    load = createRequire(file);
  } else if (TYPESCRIPT_EXTENSIONS.includes(extension)) {
    const scoped = tsxRequire(file);
    if (scoped === undefined) {
      throw new CliUsageError(
        '--tasks',
        `${specifier} is TypeScript, which needs tsx to load: install it in your project (npm install --save-dev tsx), ` +
          'or pass the compiled .js module',
      );
    }
    load = (id) => scoped(id, file);
  } else {
    throw new CliUsageError(
      '--tasks',
      `must name a JavaScript (${JAVASCRIPT_EXTENSIONS.join(', ')}) or TypeScript (${TYPESCRIPT_EXTENSIONS.join(', ')}) module (given ${specifier})`,
    );
  }
  let exports: Record<string, unknown>;
  try {
    exports = load(file) as Record<string, unknown>;
  } catch (cause) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message.split('\n')[0]}` : String(cause);
    throw new CliUsageError('--tasks', `${specifier} could not be loaded (${reason})`, { cause });
  }
  const tasks = declarationsOf(exports);
  if (tasks.length === 0) {
    const names = Object.keys(exports).filter((name) => name !== '__esModule');
    throw new CliUsageError(
      '--tasks',
      `${specifier} exports no task declarations (defineTask results, or arrays of them); its exports: ${names.join(', ') || 'none'}`,
    );
  }
  return { file, tasks };
}
