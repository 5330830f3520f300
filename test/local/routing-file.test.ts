import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { SdkLogger } from '../../lib/aws/logger';
import { fileRoutingSource } from '../../lib/aws/routing-sources';
import type { RoutingDocument } from '../../lib/contract';
import { ROUTING_REJECTED_FILE, type RoutingFileWatch, prepareRoutingFile, watchRoutingFile } from '../../local/routing-file';

const initial: RoutingDocument = { version: 1, defaultDestination: 'default', rules: [] };
const first: RoutingDocument = { version: 1, defaultDestination: 'default', rules: [{ id: 'to-bulk', tasks: ['email.*'], destination: 'bulk' }] };
const second: RoutingDocument = { version: 1, defaultDestination: 'default', rules: [{ id: 'to-legacy', tasks: ['email.*'], destination: 'legacy' }] };
const text = (document: RoutingDocument): string => `${JSON.stringify(document, null, 2)}\n`;
const quiet: SdkLogger = { info: () => undefined, warn: () => undefined };

async function waitFor(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('watchRoutingFile', () => {
  let dir: string;
  let routingFile: string;
  let watch: RoutingFileWatch | undefined;
  let lines: string[];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bosun-routing-watch-'));
    routingFile = path.join(dir, 'routing.json');
    writeFileSync(routingFile, text(initial));
    lines = [];
    // A long safety interval: these tests see the file-change events alone at work.
    watch = watchRoutingFile({ routingFile, log: (line) => lines.push(line), checkIntervalMs: 60_000 });
  });

  afterEach(() => {
    watch?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const inForce = (): string => readFileSync(watch!.inForceFile, 'utf8');

  it('keeps the last valid save in force after valid, valid, broken saves, even for a consumer that read none of them in between', async () => {
    // The consumer's own reader, as the runtime builds it from BOSUN_ROUTING_FILE; it reads only when asked (a task).
    const consumer = fileRoutingSource(watch!.inForceFile, { checkIntervalMs: 0, logger: quiet });
    await expect(consumer.current()).resolves.toEqual(initial);

    writeFileSync(routingFile, text(first));
    await waitFor('the first save in force', () => inForce() === text(first));
    writeFileSync(routingFile, text(second));
    await waitFor('the second save in force', () => inForce() === text(second));
    writeFileSync(routingFile, '{ "version": 1, "rules": [');
    await waitFor('the broken save reported', () => lines.some((line) => line.includes('invalid')));

    await expect(consumer.current()).resolves.toEqual(second);
    expect(inForce()).toBe(text(second));
    expect(lines).toEqual([
      `${routingFile} changed: the new version is in force (1 rule, default destination "default")`,
      `${routingFile} changed: the new version is in force (1 rule, default destination "default")`,
      expect.stringMatching(
        new RegExp(`^${routingFile.replace(/[.]/g, '\\.')} was saved with an invalid routing document \\(not valid JSON: .+\\); the last valid version stays in force$`),
      ),
    ]);
  });

  it('reports each invalid version once, naming the problem, and puts the next valid one in force', async () => {
    const unknownVersion = JSON.stringify({ ...second, version: 2 });
    writeFileSync(routingFile, unknownVersion);
    await waitFor('the invalid save reported', () => lines.length === 1);
    writeFileSync(routingFile, unknownVersion);
    watch!.check();
    writeFileSync(routingFile, text(second));
    await waitFor('the valid save in force', () => inForce() === text(second));

    expect(lines).toEqual([
      `${routingFile} was saved with an invalid routing document (routing document is invalid (${routingFile}): 1 problem: /version must be one of [1] (given 2)); the last valid version stays in force`,
      `${routingFile} changed: the new version is in force (1 rule, default destination "default")`,
    ]);
  });

  it('follows an editor that saves by renaming a new file over the old one', async () => {
    const saved = path.join(dir, '.routing.json.swp');
    writeFileSync(saved, text(first));
    renameSync(saved, routingFile);

    await waitFor('the renamed save in force', () => inForce() === text(first));
  });

  it('keeps the last valid version in force when the file is removed, and says so', async () => {
    rmSync(routingFile);
    await waitFor('the removal reported', () => lines.length === 1);

    expect(lines[0]).toBe(`${routingFile} was removed; the last valid routing document stays in force (${watch!.inForceFile})`);
    expect(inForce()).toBe(text(initial));
  });
});

describe('prepareRoutingFile', () => {
  let dir: string;
  let routingFile: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bosun-routing-prepare-'));
    routingFile = path.join(dir, 'routing.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the template's initial document, and replaces it on the next start while nobody edited it", () => {
    expect(prepareRoutingFile(routingFile, text(initial))).toEqual({ outcome: 'written' });
    expect(readFileSync(routingFile, 'utf8')).toBe(text(initial));

    // The template changed between two starts; the platform's own unedited text follows it.
    expect(prepareRoutingFile(routingFile, text(first))).toEqual({ outcome: 'written' });
    expect(readFileSync(routingFile, 'utf8')).toBe(text(first));
  });

  it('keeps a routing file the user edited on a restart, and says so', () => {
    prepareRoutingFile(routingFile, text(initial));
    writeFileSync(routingFile, text(second));

    const prepared = prepareRoutingFile(routingFile, text(initial));

    expect(prepared).toEqual({
      outcome: 'kept',
      note: `kept ${routingFile}, which was edited since the platform wrote it (it differs from the template's initial routing document; delete it to start from the template's)`,
    });
    expect(readFileSync(routingFile, 'utf8')).toBe(text(second));
  });

  it('resets an edited routing file that is not valid, keeps the edit aside, and says so plainly', () => {
    prepareRoutingFile(routingFile, text(initial));
    writeFileSync(routingFile, '{ "version": 1, ');

    const prepared = prepareRoutingFile(routingFile, text(initial));

    const rejected = path.join(dir, ROUTING_REJECTED_FILE);
    expect(prepared.outcome).toBe('reset');
    expect(prepared.note).toMatch(
      new RegExp(`^RESET ${routingFile.replace(/[.]/g, '\\.')} to the template's initial routing document: the edited file is not a valid routing document \\(not valid JSON: .+\\); it was moved to ${rejected.replace(/[.]/g, '\\.')}$`),
    );
    expect(readFileSync(routingFile, 'utf8')).toBe(text(initial));
    expect(readFileSync(rejected, 'utf8')).toBe('{ "version": 1, ');
  });

  it('keeps a valid routing file it has no record of writing (a data directory from before the record existed)', () => {
    writeFileSync(routingFile, text(second));

    expect(prepareRoutingFile(routingFile, text(initial)).outcome).toBe('kept');
    expect(existsSync(path.join(dir, ROUTING_REJECTED_FILE))).toBe(false);
  });
});
