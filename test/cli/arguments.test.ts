import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { collectContext, parseDurationMs, parseInstant, parseNonNegativeInteger, readPayloadArgument } from '../../cli/arguments';
import { CliUsageError } from '../../cli/errors';
import { formatDuration, renderTable } from '../../cli/output';

describe('collectContext', () => {
  it('collects repeated key=value pairs, keeping "=" inside values', () => {
    const first = collectContext('tenant=acme');

    expect(collectContext('filter=a=b', first)).toEqual({ tenant: 'acme', filter: 'a=b' });
  });

  it('rejects a pair without a key', () => {
    expect(() => collectContext('=acme')).toThrow('expected key=value with a non-empty key (given "=acme")');
  });
});

describe('parseInstant', () => {
  it('normalises an offset date-time to UTC', () => {
    expect(parseInstant('2026-01-31T13:00:00+01:00')).toBe('2026-01-31T12:00:00.000Z');
  });

  it('rejects a date-time without a zone', () => {
    expect(() => parseInstant('2026-01-31T12:00:00')).toThrow(
      'expected an ISO-8601 date-time with a zone, for example 2026-01-31T12:00:00Z (given "2026-01-31T12:00:00")',
    );
  });
});

describe('parseNonNegativeInteger', () => {
  it('rejects fractions', () => {
    expect(() => parseNonNegativeInteger('1.5')).toThrow('expected a whole number of 0 or more (given "1.5")');
  });
});

describe('readPayloadArgument', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bosun-payload-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses inline JSON', async () => {
    await expect(readPayloadArgument('{"to":"a@example.com"}')).resolves.toEqual({ to: 'a@example.com' });
  });

  it('reads @file', async () => {
    const file = path.join(dir, 'payload.json');
    await writeFile(file, '[1,2,3]');

    await expect(readPayloadArgument(`@${file}`)).resolves.toEqual([1, 2, 3]);
  });

  it('says the text is not JSON without echoing it', async () => {
    const reading = readPayloadArgument('{password: 123}');

    await expect(reading).rejects.toThrow(CliUsageError);
    await expect(readPayloadArgument('{password: 123}')).rejects.toThrow(
      '--payload must be JSON or @file holding JSON (inline JSON of 15 bytes is not valid JSON)',
    );
  });

  it('names a file that cannot be read', async () => {
    const file = path.join(dir, 'missing.json');

    await expect(readPayloadArgument(`@${file}`)).rejects.toThrow(`--payload cannot read file ${file} (ENOENT)`);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['10m', 600_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1_500],
  ])('reads %p as %p ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['10', 'ten minutes', '0s', '10m junk', ''])('refuses %p, saying what a duration looks like', (text) => {
    expect(() => parseDurationMs(text)).toThrow(`expected a duration such as 30s, 10m or 1h30m (units ms, s, m, h; given "${text}")`);
  });
});

describe('formatDuration', () => {
  it.each([
    [undefined, 'n/a'],
    [0, '0s'],
    [59_999, '59s'],
    [185_000, '3m 5s'],
    [7_200_000, '2h'],
    [(4 * 24 + 3) * 3_600_000 + 1000, '4d 3h'],
  ])('formats %p ms as %p', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('renderTable', () => {
  it('prints missing cells as "-" without colour codes', () => {
    const table = renderTable(['queue', 'depth'], [['default', undefined]]);

    expect(table).toContain('│ default │ -     │');
    // eslint-disable-next-line no-control-regex
    expect(table).not.toMatch(/\u001b\[/);
  });
});
