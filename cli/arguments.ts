import { InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import { CliUsageError } from './errors';

/**
 * Commander collector of a repeatable `--context key=value` option into an object. Later pairs override earlier ones.
 *
 * @example
 * command.option('--context <key=value>', 'routing context attribute (repeatable)', collectContext, {});
 */
export function collectContext(pair: string, previous: Record<string, string> = {}): Record<string, string> {
  const separator = pair.indexOf('=');
  if (separator <= 0) {
    throw new InvalidArgumentError(`expected key=value with a non-empty key (given "${pair}")`);
  }
  return { ...previous, [pair.slice(0, separator)]: pair.slice(separator + 1) };
}

/**
 * Commander parser of a number that must be greater than zero (rates).
 *
 * @example
 * command.option('--rate <n>', 'messages per second', parsePositiveNumber, 100);
 */
export function parsePositiveNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError(`expected a number greater than 0 (given "${value}")`);
  }
  return parsed;
}

/**
 * Commander parser of a whole number ≥ 0 (counts, seconds).
 *
 * @example
 * command.option('--max <n>', 'most messages', parseNonNegativeInteger);
 */
export function parseNonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) {
    throw new InvalidArgumentError(`expected a whole number of 0 or more (given "${value}")`);
  }
  return parsed;
}

/**
 * Commander parser of an instant: any ISO-8601 date-time with a zone, normalised to UTC (`...Z`).
 *
 * @example
 * command.option('--eta <iso>', 'earliest run time', parseInstant);
 */
export function parseInstant(value: string): string {
  const parsed = Date.parse(value);
  if (!/T.*(Z|[+-]\d{2}:?\d{2})$/.test(value) || Number.isNaN(parsed)) {
    throw new InvalidArgumentError(
      `expected an ISO-8601 date-time with a zone, for example 2026-01-31T12:00:00Z (given "${value}")`,
    );
  }
  return new Date(parsed).toISOString();
}

/**
 * Reads a `--payload` argument: inline JSON, or `@path` to read JSON from a file. Errors name the problem and the
 * file, never the payload text.
 *
 * @throws CliUsageError when the text is not JSON or the file cannot be read.
 * @example
 * const payload = await readPayloadArgument('@payload.json');
 */
export async function readPayloadArgument(argument: string): Promise<unknown> {
  let text = argument;
  let origin = 'inline JSON';
  if (argument.startsWith('@')) {
    const file = argument.slice(1);
    origin = `file ${file}`;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new CliUsageError('--payload', `cannot read ${origin} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, {
        cause,
      });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new CliUsageError(
      '--payload',
      `must be JSON or @file holding JSON (${origin} of ${Buffer.byteLength(text, 'utf8')} bytes is not valid JSON)`,
      { cause },
    );
  }
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Commander parser of a duration: one or more `<number><unit>` parts with units `ms`, `s`, `m`, `h` (`30s`, `10m`,
 * `1h30m`), in milliseconds. Must be greater than zero.
 *
 * @example
 * command.option('--timeout <duration>', 'give up after', parseDurationMs, 600_000);
 */
export function parseDurationMs(value: string): number {
  const text = value.trim();
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  const total = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * (DURATION_UNITS_MS[unit as string] ?? 0), 0);
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text || !(total > 0)) {
    throw new InvalidArgumentError(`expected a duration such as 30s, 10m or 1h30m (units ms, s, m, h; given "${value}")`);
  }
  return Math.round(total);
}
