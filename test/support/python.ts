import { spawn, spawnSync } from 'node:child_process';

/**
 * Debian's Python, which has the real Celery 5.2, kombu 5.2, botocore 1.29 and pycurl (`apt-get install
 * python3-celery python3-pycurl python3-boto3`; `.ci/run` installs them). Not the `python3` on the PATH, which may be
 * another interpreter without them.
 */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** The Debian packages that provide the modules the Python-driven tests import. */
const PACKAGE_OF_MODULE: Readonly<Record<string, string>> = { celery: 'python3-celery', pycurl: 'python3-pycurl', boto3: 'python3-boto3' };

/**
 * Fails with what to install when Debian's Python lacks a module the tests need. Never a skip: a machine without them
 * cannot prove what these tests prove.
 *
 * @example
 * requirePythonModules(['boto3']);
 */
export function requirePythonModules(modules: readonly string[]): void {
  const missing = modules.filter((module) => {
    const result = spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
    return result.error !== undefined || result.status !== 0;
  });
  if (missing.length === 0) return;
  const packages = missing.map((module) => PACKAGE_OF_MODULE[module] ?? `python3-${module}`);
  throw new Error(
    `${DEBIAN_PYTHON} cannot import ${missing.join(', ')} (needed: ${modules.join(', ')}); install them with ` +
      `\`apt-get install -y --no-install-recommends ${packages.join(' ')}\` (as .ci/run does)`,
  );
}

/**
 * Runs a Python script with Debian's Python, writes `input` as JSON to its stdin and parses its stdout as JSON.
 *
 * @example
 * const outcomes = await runPythonJson<Outcome[]>('test/support/python/botocore_calls.py', [], request);
 */
export function runPythonJson<T>(
  script: string,
  args: readonly string[],
  input: unknown,
  timeoutMs = 60_000,
  env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(DEBIAN_PYTHON, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`${script} printed no JSON: ${stdout.slice(0, 200)}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** One botocore call's outcome, as `botocore_calls.py` prints it. */
export type BotocoreOutcome =
  | { readonly ok: true; readonly result: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly type: string; readonly message: string; readonly status: number };

/** One SQS call for botocore: a boto3 client method and its params (`"$N.path"` takes a value from call N's result). */
export interface BotocoreCall {
  readonly operation: string;
  readonly params?: Record<string, unknown>;
}

/**
 * Makes SQS calls, in order, with the real botocore 1.29 (query protocol) against an endpoint, signed with the given
 * access key id, and returns each call's outcome.
 *
 * @example
 * const [sent] = await botocoreSqsCalls({ endpoint, region, accessKeyId: 'test' }, [{ operation: 'send_message', params: { QueueUrl, MessageBody: 'hi' } }]);
 */
export function botocoreSqsCalls(
  target: { readonly endpoint: string; readonly region: string; readonly accessKeyId: string },
  calls: readonly BotocoreCall[],
): Promise<BotocoreOutcome[]> {
  requirePythonModules(['boto3']);
  return runPythonJson<BotocoreOutcome[]>(`${__dirname}/python/botocore_calls.py`, [], { ...target, calls });
}
