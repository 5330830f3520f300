import { S3Client } from '@aws-sdk/client-s3';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCliClients } from '../../cli/clients';
import { loadLocalPlatform } from '../../cli/platform';
import { startConsoleServer } from '../../console/server/console-server';
import { loadConsoleAssets } from '../../console/web/assets';
import { StackOutput, type TaskStateItem } from '../../lib/contract';
import type { TaskClient } from '../../lib/sdk/task-client';
import { type DemoResult, runDemo } from '../../local/demo';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';
import { createPlatformTaskClient } from '../../local/platform-client';
import { launchChromium } from './browser';

// The console as a user meets it: the local platform (short timeouts, as the e2e suite runs it), `bosun console`
// started as a user starts it, and Debian's chromium opening the URL it printed. With BOSUN_CONSOLE_SCREENSHOTS set
// to a folder (npm run console:screenshots), each page is also saved there at 1280×800 for docs/console.md.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'console-browser');
const SCREENSHOTS = process.env.BOSUN_CONSOLE_SCREENSHOTS;
/** How long after its publish `demo.flaky` starts to succeed: after its three attempts have sent it to the DLQ. */
const FLAKY_FIXED_AFTER_MS = 20_000;

jest.setTimeout(180_000);

let platform: RunningLocalPlatform;
let client: TaskClient;
let consoleProcess: ChildProcess | undefined;
let consoleUrl: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let flaky: { taskId: string; fixedAt: number };
let demo: Promise<DemoResult[]>;

/** Starts `bosun console` on the test's platform and resolves with the URL it prints. */
async function startConsole(): Promise<string> {
  const child = spawn(
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(PROJECT_ROOT, 'cli', 'main.ts'), 'console', '--data-dir', DATA_DIR],
    { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  consoleProcess = child;
  let output = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bosun console printed no URL within 60 s; it printed:\n${output}`)), 60_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const url = /^Bosun console: (\S+)$/m.exec(output)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bosun console exited with ${code} before printing its URL; it printed:\n${output}`));
    });
  });
}

async function waitForStatus(taskId: string, statuses: readonly string[], timeoutMs = 60_000): Promise<TaskStateItem> {
  const deadline = Date.now() + timeoutMs;
  let item: TaskStateItem | undefined;
  while (Date.now() < deadline) {
    item = await client.getTask(taskId);
    if (item !== undefined && statuses.includes(item.status)) return item;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`task ${taskId} did not reach ${statuses.join('/')} (last status: ${item?.status ?? 'none'})`);
}

/**
 * Polls `read` from the test's side until `accept` takes its value. Playwright's waitForFunction evaluates its
 * predicate with eval in the page, which the console's Content-Security-Policy (rightly) refuses.
 */
async function until<T>(what: string, read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

const hashOf = async (): Promise<string> => (await page.evaluate('window.location.hash')) as string;

async function screenshot(name: string): Promise<void> {
  if (SCREENSHOTS === undefined) return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

async function go(hash: string): Promise<void> {
  await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
}

beforeAll(async () => {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  fs.rmSync(path.join(DATA_DIR, 'routing.json'), { force: true });
  platform = await startLocalPlatform({
    projectRoot: PROJECT_ROOT,
    dataDir: DATA_DIR,
    log: () => undefined,
    visibilityTimeoutSeconds: 2,
    maxDelaySeconds: 2,
    maxConcurrency: 3,
    functionTimeoutSeconds: 20,
  });
  client = createPlatformTaskClient(platform);
  const fixedAt = Date.now() + FLAKY_FIXED_AFTER_MS;
  const published = await client.publish('demo.flaky', { succeedAfter: new Date(fixedAt).toISOString() });
  flaky = { taskId: published.taskId, fixedAt };
  const s3 = new S3Client({ region: platform.description.region, credentials: LOCAL_CREDENTIALS, endpoint: platform.description.endpoints.s3, forcePathStyle: true });
  const bucketName = platform.description.outputs[StackOutput.BUCKET_NAME] ?? '';
  demo = runDemo(client, { s3, bucketName }).finally(() => s3.destroy());
  demo.catch(() => undefined);
  [consoleUrl, browser] = await Promise.all([startConsole(), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (consoleProcess !== undefined && consoleProcess.exitCode === null) {
    const exited = new Promise((resolve) => consoleProcess?.once('exit', resolve));
    consoleProcess.kill('SIGTERM');
    await exited;
  }
  await platform?.stop();
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

describe('the console in a browser, on the local platform', () => {
  it('opens from the printed URL, takes the token out of the address bar and lists every queue of the platform', async () => {
    const queueNames = JSON.parse(platform.description.outputs[StackOutput.QUEUE_NAMES] ?? '[]') as string[];

    expect(consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    await page.goto(consoleUrl);
    await page.getByRole('table', { name: 'Queues and their dead-letter queues' }).waitFor();

    const rows = await page.locator('table.queues tbody th[scope=row]').allTextContents();
    expect(rows.sort()).toEqual([...queueNames].sort());
    expect(page.url()).not.toContain('token=');
    // A reload finds the page by its cookie and the token in the tab's sessionStorage.
    await page.reload();
    await page.getByRole('table', { name: 'Queues and their dead-letter queues' }).waitFor();
    await page.locator('.live.live').waitFor({ timeout: 15_000 });
    await demo;
    await until('succeeded tasks in the chart', () => page.locator('[data-outcome=succeeded]').textContent(), (count) => Number(count) > 0);
    await screenshot('overview');
  });

  it('shows a dead task in the DLQ browser with its reason, and its payload only when asked', async () => {
    const dead = await waitForStatus(flaky.taskId, ['dead']);
    expect(dead.deadReason).toBe('attempts-exhausted');
    const demoResults = await demo;
    const rejected = demoResults.find((result) => result.task === 'demo.reject');

    await go('#/dlq/default');
    const row = page.locator(`tr[data-task-id="${flaky.taskId}"]`);
    await row.waitFor();

    await expect(row.locator('.reason').textContent()).resolves.toBe('attempts-exhausted');
    await expect(row.locator('.task-name').textContent()).resolves.toBe('demo.flaky');
    expect(await page.locator(`tr[data-task-id="${rejected?.taskId ?? 'none'}"] .reason`).textContent()).toBe('non-retryable');
    expect(await page.content()).not.toContain('succeedAfter');
    await row.getByRole('button', { name: 'Show payload' }).click();
    await expect(page.getByLabel(`Payload of ${flaky.taskId}`).textContent()).resolves.toContain('"succeedAfter"');
    await screenshot('dlq');
  });

  it('redrives only the tasks the filter matches, shows the job to its end, and the task runs to success', async () => {
    const demoResults = await demo;
    const rejected = demoResults.find((result) => result.task === 'demo.reject');
    await go('#/dlq/default');
    await page.getByLabel('Task name').fill('demo.flaky');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    expect(await until('the hash', hashOf, (hash) => hash.includes('?'))).toBe('#/dlq/default?task=demo.flaky');
    await until('the listing', () => page.locator('.listing-status').textContent(), (text) => text?.startsWith('1 shown matching task demo.flaky') === true);
    await page.locator(`tr[data-task-id="${flaky.taskId}"]`).waitFor();
    expect(await page.locator(`tr[data-task-id="${rejected?.taskId ?? 'none'}"]`).count()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, flaky.fixedAt - Date.now() + 500)));

    await page.getByRole('button', { name: 'Redrive all matching' }).click();

    await page.locator('[data-job-state=succeeded]').waitFor({ timeout: 30_000 });
    expect(await page.locator('.job').textContent()).toMatch(/^Redrive of task demo\.flaky: succeeded — 1 redriven(, 1 left in the DLQ \(not matching\))?$/);
    await until('the listing', () => page.locator('.listing-status').textContent(), (text) => text?.startsWith('0 shown matching task demo.flaky') === true);
    await screenshot('dlq-redrive');
    const succeeded = await waitForStatus(flaky.taskId, ['succeeded']);
    expect(succeeded.status).toBe('succeeded');
    await go('#/dlq/default');
    await until('the listing', () => page.locator('.listing-status').textContent(), (text) => text?.includes('matching every message') === true && !text.startsWith('Refreshing'));
    await page.locator(`tr[data-task-id="${rejected?.taskId ?? 'none'}"]`).waitFor();
    expect(await page.locator(`tr[data-task-id="${flaky.taskId}"]`).count()).toBe(0);
  });

  it('looks a task up by id: its state, attempts, result and where its name routes now', async () => {
    await go('#/tasks');
    await page.getByLabel('Task id').fill(flaky.taskId);
    await page.getByRole('button', { name: 'Look up' }).click();

    await page.locator('[data-status]').waitFor();
    expect(await page.locator('[data-status]').textContent()).toBe('succeeded');
    expect(await page.locator('#task-heading').textContent()).toContain('demo.flaky');
    expect(await page.locator('.task pre').textContent()).toContain('succeededOnAttempt');
    expect(await page.locator('.explanation [data-field=destination]').textContent()).toBe('default');
    expect(await hashOf()).toBe(`#/tasks/${flaky.taskId}`);
    await screenshot('task');

    await page.getByLabel('Task id').fill('01JD7X3Q4J8ZP7N3R5W6Y9K2ZZ');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('01JD7X3Q4J8ZP7N3R5W6Y9K2ZZ');
  });

  it('deletes the selected dead letters only after a confirmation, and their tasks stay dead', async () => {
    const rejected = (await demo).find((result) => result.task === 'demo.reject');
    await go('#/dlq/default');
    await until('the listing', () => page.locator('.listing-status').textContent(), (text) => text?.startsWith('1 shown matching every message') === true);
    const row = page.locator(`tr[data-task-id="${rejected?.taskId ?? 'none'}"]`);
    await row.getByRole('checkbox').check();

    await page.getByRole('button', { name: 'Delete selected (1)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete 1 dead letter?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await row.count()).toBe(1);
    await page.getByRole('button', { name: 'Delete selected (1)' }).click();
    await dialog.getByRole('button', { name: 'Delete 1' }).click();

    await page.locator('[data-job-state=succeeded]').waitFor({ timeout: 30_000 });
    expect(await page.locator('.job').textContent()).toBe('Delete of 1 selected: succeeded — 1 deleted');
    await until('the listing', () => page.locator('.listing-status').textContent(), (text) => text?.startsWith('0 shown matching every message') === true);
    expect((await client.getTask(rejected?.taskId ?? 'none'))?.status).toBe('dead');
  });

  it('is read-only when actions are not allowed: the redrive and delete buttons are off and say why', async () => {
    const cliPlatform = await loadLocalPlatform(DATA_DIR);
    const clients = createCliClients(cliPlatform);
    const readOnly = await startConsoleServer({ platform: cliPlatform, clients, actionsAllowed: false, assets: loadConsoleAssets });
    const other = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await other.goto(`${readOnly.url}#/dlq/default`);
      await other.locator('.listing-status').waitFor();

      expect(await other.locator('.badge.read-only').textContent()).toBe('read-only');
      for (const name of [/^Redrive selected/, 'Redrive all matching', /^Delete selected/]) {
        expect(await other.getByRole('button', { name }).isDisabled()).toBe(true);
      }
      expect(await other.getByText('Read-only: start the console with --allow-actions to redrive or delete.').count()).toBe(1);
    } finally {
      await other.close();
      await readOnly.close();
      clients.destroy();
    }
  });

  it('rejects an invalid flags draft with every problem listed, and explains a route', async () => {
    await go('#/flags');
    const draft = page.getByLabel(/Edit a draft/);
    await until('the draft', () => draft.inputValue(), (text) => text.includes('defaultDestination'));

    await draft.fill(JSON.stringify({ version: 1, defaultDestination: 'default', rules: [{ id: 'too-much', tasks: ['email.send'], destination: 'default', percentage: 150 }], killSwitch: 'yes' }, null, 2));
    await page.getByRole('button', { name: 'Validate draft' }).click();

    await page.locator('[data-validation=invalid]').waitFor();
    const problems = await page.locator('[data-validation=invalid] li').allTextContents();
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(problems.some((problem) => problem.includes('percentage'))).toBe(true);
    expect(problems.some((problem) => problem.includes('killSwitch'))).toBe(true);
    await screenshot('flags');

    await draft.fill('{ "version": 1,');
    await page.getByRole('button', { name: 'Validate draft' }).click();
    await page.locator('[data-validation=invalid] li').first().waitFor();
    expect(await page.locator('[data-validation=invalid] li').count()).toBe(1);

    await page.getByLabel('Task name').fill('email.send');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.locator('.explain [data-field=destination]').waitFor();
    expect(await page.locator('.explain [data-field=destination]').textContent()).toBe('default');
  });

  it('works from the keyboard and at 420 px wide: no page scrolls sideways', async () => {
    await page.goto(`${consoleUrl}#/overview`);
    await page.locator('table.queues').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    let focused = '';
    for (let presses = 0; presses < 10 && focused !== 'Flags'; presses += 1) {
      await page.keyboard.press('Tab');
      focused = (await page.evaluate('document.activeElement?.textContent ?? ""')) as string;
    }
    expect(focused).toBe('Flags');
    await page.keyboard.press('Enter');
    expect(await until('the hash', hashOf, (hash) => hash === '#/flags')).toBe('#/flags');
    await page.locator('#draft').waitFor();
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');

    await page.setViewportSize({ width: 420, height: 800 });
    for (const [hash, ready] of [
      ['#/overview', 'table.queues'],
      ['#/dlq/default', 'table.dead-letters'],
      [`#/tasks/${flaky.taskId}`, '[data-status]'],
      ['#/flags', '#draft'],
    ] as const) {
      await go(hash);
      await page.locator(ready).waitFor();
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect({ hash, overflow }).toEqual({ hash, overflow: 0 });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
