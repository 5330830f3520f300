import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';

/** Where a CLI invocation writes. The real process in `main.ts`; a buffer in tests. */
export interface CliIo {
  /** Writes to standard output (results). */
  write(text: string): void;
  /** Writes to standard error (diagnostics, errors). */
  error(text: string): void;
  /** Stream for progress bars: set only when standard error is a terminal. @default - no progress bars */
  readonly progressStream?: NodeJS.WritableStream;
}

/**
 * The process's own standard streams; progress bars only when standard error is a TTY.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), processIo());
 */
export function processIo(): CliIo {
  return {
    write: (text) => process.stdout.write(text),
    error: (text) => process.stderr.write(text),
    ...(process.stderr.isTTY ? { progressStream: process.stderr } : {}),
  };
}

/** A table cell value; `undefined` and `null` print as `-`. */
export type Cell = string | number | boolean | null | undefined;

function cellText(value: Cell): string {
  return value === undefined || value === null ? '-' : String(value);
}

/**
 * Renders rows as a plain (uncoloured) table for people.
 *
 * @example
 * io.write(renderTable(['queue', 'visible'], [['default', 3]]));
 */
export function renderTable(head: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const table = new Table({ head: [...head], style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(cellText));
  return `${table.toString()}\n`;
}

/**
 * Renders label/value pairs as a two-column table.
 *
 * @example
 * io.write(renderFields([['status', 'succeeded'], ['attempts', 1]]));
 */
export function renderFields(fields: readonly (readonly [string, Cell])[]): string {
  const table = new Table({ style: { head: [], border: [] } });
  for (const [label, value] of fields) table.push({ [label]: cellText(value) });
  return `${table.toString()}\n`;
}

/** JSON for scripts: one document, two-space indented, newline-terminated. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * A duration for people, at most two units: `42s`, `3m 5s`, `2h 10m`, `4d 3h`; `n/a` when unknown.
 *
 * @example
 * formatDuration(185_000) // '3m 5s'
 */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'n/a';
  const clamped = Math.max(0, Math.floor(ms));
  if (clamped < MINUTE_MS) return `${Math.floor(clamped / SECOND_MS)}s`;
  const units: [number, string][] = [
    [DAY_MS, 'd'],
    [HOUR_MS, 'h'],
    [MINUTE_MS, 'm'],
    [SECOND_MS, 's'],
  ];
  const firstIndex = units.findIndex(([size]) => clamped >= size);
  const [firstSize, firstLabel] = units[firstIndex]!;
  const [secondSize, secondLabel] = units[firstIndex + 1]!;
  const first = Math.floor(clamped / firstSize);
  const second = Math.floor((clamped % firstSize) / secondSize);
  return second === 0 ? `${first}${firstLabel}` : `${first}${firstLabel} ${second}${secondLabel}`;
}

/** A progress display; a no-op unless the CLI writes to a terminal and not `--json`. */
export interface Progress {
  increment(by?: number): void;
  /** Raises the total when more work turns up than first counted. */
  setTotal(total: number): void;
  stop(): void;
}

/**
 * Starts a progress bar on the terminal, or a silent stand-in for scripts and `--json`.
 *
 * @example
 * const progress = startProgress(io, json, 'redrive', total);
 */
export function startProgress(io: CliIo, json: boolean, label: string, total: number): Progress {
  if (json || io.progressStream === undefined) {
    return { increment: () => undefined, setTotal: () => undefined, stop: () => undefined };
  }
  const bar = new SingleBar({
    stream: io.progressStream,
    format: `${label} [{bar}] {value}/{total} | {eta_formatted} left`,
    hideCursor: true,
    clearOnComplete: false,
  });
  bar.start(Math.max(total, 1), 0);
  let current = total;
  return {
    increment: (by = 1) => bar.increment(by),
    setTotal: (next) => {
      if (next > current) {
        current = next;
        bar.setTotal(next);
      }
    },
    stop: () => bar.stop(),
  };
}
