import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalSynthError } from './errors';
import type { CfnTemplate } from './intrinsics';

/** Options of {@link synthesizeApp}. */
export interface SynthesizeOptions {
  /** Folder holding `cdk.json` (whose `app` command is run) and the sources. */
  readonly projectRoot: string;
  /** Cloud assembly output folder. */
  readonly outDir: string;
  /** Stage passed as CDK context `stage`; the stack is `Bosun-<stage>`. */
  readonly stage: string;
  /** Region passed as CDK context `region`. */
  readonly region: string;
  /** Synthesize even if the sources did not change since the cached assembly. @default false */
  readonly force?: boolean;
  /** Receives the app's output lines. @default - discarded */
  readonly log?: (line: string) => void;
}

/** A synthesized stack. */
export interface SynthesizedStack {
  readonly stackName: string;
  /** The cloud assembly folder (asset paths in the template metadata are relative to it). */
  readonly assemblyDir: string;
  readonly template: CfnTemplate;
  /** Whether the assembly came from the cache (the sources had not changed). */
  readonly cached: boolean;
}

/** Folders and files whose content decides the synthesized template. */
const SOURCE_ENTRIES = ['bin', 'lib', 'lambdas', 'cdk.json', 'package-lock.json', 'tsconfig.json'];
const HASH_FILE = '.bosun-source-hash';

function hashSources(projectRoot: string, salt: string): string {
  const hash = createHash('sha256').update(salt);
  const visit = (absolute: string): void => {
    const stat = fs.statSync(absolute, { throwIfNoEntry: false });
    if (stat === undefined) return;
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(absolute).sort()) visit(path.join(absolute, entry));
      return;
    }
    hash.update(path.relative(projectRoot, absolute)).update('\0').update(fs.readFileSync(absolute)).update('\0');
  };
  for (const entry of SOURCE_ENTRIES) visit(path.join(projectRoot, entry));
  return hash.digest('hex');
}

interface CdkJson {
  readonly app?: string;
  readonly context?: Record<string, unknown>;
}

function readCdkJson(projectRoot: string): CdkJson {
  const file = path.join(projectRoot, 'cdk.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CdkJson;
  } catch (cause) {
    throw new LocalSynthError(`cannot read ${file}: the local platform runs the CDK app that cdk.json names`, { cause });
  }
}

function readStack(outDir: string, stackName: string): CfnTemplate {
  const manifestFile = path.join(outDir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const stack = stacks.find(([name]) => name === stackName);
  if (stack === undefined) {
    throw new LocalSynthError(
      `the cloud assembly has no stack ${stackName} (stacks: ${stacks.map(([name]) => name).join(', ') || 'none'})`,
    );
  }
  const templateFile = stack[1].properties?.templateFile ?? `${stackName}.template.json`;
  return JSON.parse(fs.readFileSync(path.join(outDir, templateFile), 'utf8')) as CfnTemplate;
}

/**
 * Synthesizes the CDK app offline by running the `app` command of `cdk.json` with the cloud assembly directed to
 * `outDir` (`CDK_OUTDIR`) and the context of `cdk.json` plus `stage`, `region` and asset metadata (which the local
 * platform needs to find each function's bundle). The result is cached by a hash of the sources: an unchanged project
 * starts without re-synthesizing.
 *
 * @example
 * const { template, assemblyDir } = await synthesizeApp({ projectRoot, outDir: '.bosun/local/cdk.out', stage: 'local', region: 'us-east-1' });
 */
export async function synthesizeApp(options: SynthesizeOptions): Promise<SynthesizedStack> {
  const stackName = `Bosun-${options.stage}`;
  const cdkJson = readCdkJson(options.projectRoot);
  if (cdkJson.app === undefined) throw new LocalSynthError('cdk.json has no "app" command to synthesize');
  const context = {
    ...cdkJson.context,
    stage: options.stage,
    region: options.region,
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:enable-path-metadata': true,
  };
  const sourceHash = hashSources(options.projectRoot, JSON.stringify(context));
  const hashFile = path.join(options.outDir, HASH_FILE);
  if (options.force !== true && fs.existsSync(hashFile) && fs.readFileSync(hashFile, 'utf8') === sourceHash) {
    try {
      return { stackName, assemblyDir: options.outDir, template: readStack(options.outDir, stackName), cached: true };
    } catch {
      // A damaged cache is simply rebuilt.
    }
  }
  fs.rmSync(options.outDir, { recursive: true, force: true });
  fs.mkdirSync(options.outDir, { recursive: true });
  const tail: string[] = [];
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(cdkJson.app!, {
      shell: true,
      cwd: options.projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CDK_OUTDIR: options.outDir,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_DEFAULT_REGION: options.region,
        CDK_DISABLE_VERSION_CHECK: '1',
      },
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) {
          if (line.trim() === '') continue;
          options.log?.(line);
          tail.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
          if (tail.length > 15) tail.shift();
        }
      });
    }
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (exitCode !== 0) {
    throw new LocalSynthError(
      `synthesizing the CDK app (\`${cdkJson.app}\`) failed with exit code ${exitCode}; its last output:\n${tail.join('\n')}`,
    );
  }
  const template = readStack(options.outDir, stackName);
  fs.writeFileSync(hashFile, sourceHash);
  return { stackName, assemblyDir: options.outDir, template, cached: false };
}
