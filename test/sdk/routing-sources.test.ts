import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RoutingDocument } from '../../lib/contract';
import { RoutingDocumentInvalidError } from '../../lib/sdk/errors';
import type { SdkLogger } from '../../lib/aws/logger';
import {
  fileRoutingSource,
  routingSourceFromEnv,
  staticRoutingSource,
  validateRoutingDocument,
} from '../../lib/aws/routing-sources';

function recordingLogger(): SdkLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (message) => lines.push(`WARN ${message}`), info: (message) => lines.push(`INFO ${message}`) };
}

const good: RoutingDocument = {
  version: 1,
  defaultDestination: 'default',
  rules: [{ id: 'audit-to-legacy', tasks: ['audit.*'], regions: ['ca-central-1'], destination: 'legacy', percentage: 12.07 }],
  paused: ['reports.*'],
};

describe('validateRoutingDocument', () => {
  it('accepts a valid document, including a two-decimal percentage', () => {
    expect(validateRoutingDocument(good)).toEqual(good);
  });

  it('lists every schema problem with its JSON pointer', () => {
    const error = (() => {
      try {
        validateRoutingDocument({ version: 2, rules: [{ id: 'a', destination: 'x', percentage: 101, colour: 'red' }] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RoutingDocumentInvalidError);
    expect((error as RoutingDocumentInvalidError).problems).toEqual([
      { path: '/', message: 'must have property "defaultDestination"' },
      { path: '/version', message: 'must be one of [1] (given 2)' },
      { path: '/rules/0', message: 'has unknown property "colour"' },
      { path: '/rules/0/percentage', message: 'must be <= 100 (given 101)' },
    ]);
    expect((error as Error).message).toBe(
      'routing document is invalid: 4 problems: / must have property "defaultDestination"; /version must be one of [1] (given 2); /rules/0 has unknown property "colour"; /rules/0/percentage must be <= 100 (given 101)',
    );
  });

  it('rejects duplicate rule ids and rules hidden behind a catch-all', () => {
    expect(() =>
      validateRoutingDocument({
        version: 1,
        defaultDestination: 'default',
        rules: [
          { id: 'all', destination: 'bulk' },
          { id: 'all', tasks: ['x'], destination: 'default' },
        ],
      }),
    ).toThrow(
      'routing document is invalid: 2 problems: /rules/1/id duplicates the id "all" of /rules/0; /rules/1 can never match: rule /rules/0 before it matches every task at 100 %',
    );
  });

  it('rejects unknown destinations when the known ones are given', () => {
    expect(() => validateRoutingDocument(good, { destinations: ['default', 'bulk'], source: 'flags.json' })).toThrow(
      'routing document is invalid (flags.json): 1 problem: /rules/0/destination names unknown destination "legacy" (known destinations: default, bulk)',
    );
  });
});

describe('staticRoutingSource', () => {
  it('returns the document it was given', async () => {
    await expect(staticRoutingSource(good).current()).resolves.toEqual(good);
  });
});

describe('fileRoutingSource', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bosun-routing-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reloads the file when it changes, keeps the last good document on a broken edit, and logs once', async () => {
    const file = path.join(dir, 'routing.json');
    writeFileSync(file, JSON.stringify(good));
    const logger = recordingLogger();
    const source = fileRoutingSource(file, { checkIntervalMs: 0, logger });
    await expect(source.current()).resolves.toEqual(good);

    const moved = { ...good, defaultDestination: 'bulk' };
    writeFileSync(file, JSON.stringify(moved) + ' ');
    await expect(source.current()).resolves.toEqual(moved);

    writeFileSync(file, '{ "version": 1, ');
    await expect(source.current()).resolves.toEqual(moved);
    await expect(source.current()).resolves.toEqual(moved);
    expect(source.describe().origin).toBe('last-known-good');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(
      new RegExp(`^WARN routing document from ${file.replace(/[.]/g, '\\.')} is unusable \\(not valid JSON: .*\\); publishing continues with the last known good document$`),
    );

    writeFileSync(file, JSON.stringify(good, null, 2));
    await expect(source.current()).resolves.toEqual(good);
    expect(source.describe()).toEqual({ origin: 'source', source: file });
    expect(logger.lines[1]).toBe(`INFO routing document from ${file} is valid again; using it`);
  });

  it('uses the embedded default while the file is missing', async () => {
    const logger = recordingLogger();
    const source = fileRoutingSource(path.join(dir, 'absent.json'), { checkIntervalMs: 0, logger, defaultQueue: 'bulk' });
    await expect(source.current()).resolves.toEqual({ version: 1, defaultDestination: 'bulk', rules: [] });
    await source.current();
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain('publishing continues with the embedded default document (every task to "bulk")');
  });
});

describe('routingSourceFromEnv', () => {
  it('uses the embedded default for the served queue when nothing is configured', async () => {
    const source = routingSourceFromEnv({ BOSUN_QUEUE_NAME: 'bulk' });
    await expect(source.current()).resolves.toEqual({ version: 1, defaultDestination: 'bulk', rules: [] });
  });

  it('prefers the routing file and returns the same source for the same environment', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bosun-routing-'));
    const file = path.join(dir, 'routing.json');
    writeFileSync(file, JSON.stringify(good));
    const env = { BOSUN_ROUTING_FILE: file, BOSUN_APPCONFIG_APPLICATION_ID: 'a', BOSUN_APPCONFIG_ENVIRONMENT_ID: 'b', BOSUN_APPCONFIG_PROFILE_ID: 'c' };
    const source = routingSourceFromEnv(env);
    expect(routingSourceFromEnv({ ...env })).toBe(source);
    await expect(source.current()).resolves.toEqual(good);
    rmSync(dir, { recursive: true, force: true });
  });
});
