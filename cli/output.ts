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
  /**
   * Width of the terminal standard output goes to, in characters; tables wrap their widest columns to fit it.
   * @default - not a terminal: tables keep every value on one line (for `grep`; `--json` for scripts)
   */
  readonly columns?: number;
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
    ...(process.stdout.isTTY && process.stdout.columns > 0 ? { columns: process.stdout.columns } : {}),
  };
}

/** A table cell value; `undefined` and `null` print as `-`. */
export type Cell = string | number | boolean | null | undefined;

function cellText(value: Cell): string {
  return value === undefined || value === null ? '-' : String(value);
}

/** Narrowest a column is wrapped to, padding included, however little room the terminal has. */
const MIN_COLUMN_WIDTH = 12;
/** cli-table3's padding: one space each side of a cell. */
const CELL_PADDING = 2;

/** Columns this narrow (padding included) wrap only when wrapping the wider ones is not enough: a task id fits. */
const KEEP_COLUMN_WIDTH = 30;

/**
 * Column widths (padding included) that fit `rows` into `width` characters, borders included, `undefined` when the
 * table fits as it is (or no width is known). The wide columns (messages, details, URLs) wrap first, to a common cap;
 * only if that is not enough do the narrow ones (ids, names, counts) wrap too, never below {@link MIN_COLUMN_WIDTH}.
 */
function fittedColumnWidths(rows: readonly (readonly string[])[], width: number | undefined): number[] | undefined {
  if (width === undefined || rows.length === 0) return undefined;
  const columns = Math.max(...rows.map((row) => row.length));
  const longestLine = (text: string): number => Math.max(...text.split('\n').map((line) => line.length));
  const natural = Array.from(
    { length: columns },
    (_, index) => Math.max(...rows.map((row) => longestLine(row[index] ?? ''))) + CELL_PADDING,
  );
  const budget = width - (columns + 1);
  // Columns at most `keep` wide keep their width; the others wrap at `cap`.
  const capped = (cap: number, keep: number): number[] =>
    natural.map((columnWidth) => (columnWidth <= keep ? columnWidth : Math.min(columnWidth, cap)));
  const sum = (widths: readonly number[]): number => widths.reduce((total, columnWidth) => total + columnWidth, 0);
  if (sum(natural) <= budget) return undefined;
  for (const keep of [KEEP_COLUMN_WIDTH, MIN_COLUMN_WIDTH]) {
    for (let cap = Math.max(...natural); cap >= MIN_COLUMN_WIDTH; cap--) {
      const widths = capped(cap, keep);
      if (sum(widths) <= budget) return widths;
    }
  }
  return capped(MIN_COLUMN_WIDTH, MIN_COLUMN_WIDTH);
}

function tableOptions(rows: readonly (readonly string[])[], width: number | undefined): ConstructorParameters<typeof Table>[0] {
  const colWidths = fittedColumnWidths(rows, width);
  return {
    style: { head: [], border: [] },
    // Wrapping, not truncating: every value stays whole, over several lines.
    ...(colWidths === undefined ? {} : { colWidths, wordWrap: true, wrapOnWordBoundary: false }),
  };
}

/**
 * Renders rows as a plain (uncoloured) table for people. Given a `width` (the terminal's), the widest columns wrap so
 * the table fits it; values are never cut.
 *
 * @example
 * io.write(renderTable(['queue', 'visible'], [['default', 3]], io.columns));
 */
export function renderTable(head: readonly string[], rows: readonly (readonly Cell[])[], width?: number): string {
  const cells = rows.map((row) => row.map(cellText));
  const table = new Table({ head: [...head], ...tableOptions([[...head], ...cells], width) });
  for (const row of cells) table.push(row);
  return `${table.toString()}\n`;
}

/**
 * Renders label/value pairs as a two-column table; given a `width`, long values wrap to fit it.
 *
 * @example
 * io.write(renderFields([['status', 'succeeded'], ['attempts', 1]], io.columns));
 */
export function renderFields(fields: readonly (readonly [string, Cell])[], width?: number): string {
  const cells = fields.map(([label, value]) => [label, cellText(value)] as const);
  const table = new Table(tableOptions(cells, width));
  for (const [label, value] of cells) table.push({ [label]: value });
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

/** Options of {@link startProgress}. */
export interface ProgressOptions {
  /** Also show the rate, items per second since the start. @default false */
  readonly rate?: boolean;
}

/**
 * Starts a progress bar on the terminal (count, time left, and with `rate` the items per second), or a silent
 * stand-in for scripts and `--json`.
 *
 * @example
 * const progress = startProgress(io, json, 'redrive', total);
 */
export function startProgress(io: CliIo, json: boolean, label: string, total: number, options: ProgressOptions = {}): Progress {
  if (json || io.progressStream === undefined) {
    return { increment: () => undefined, setTotal: () => undefined, stop: () => undefined };
  }
  const bar = new SingleBar({
    stream: io.progressStream,
    format: `${label} [{bar}] {value}/{total}${options.rate === true ? ' | {rate}/s' : ''} | {eta_formatted} left`,
    hideCursor: true,
    clearOnComplete: false,
  });
  const startedAt = Date.now();
  let done = 0;
  const rate = (): { rate: string } => ({ rate: String(Math.round((done * SECOND_MS) / Math.max(1, Date.now() - startedAt))) });
  bar.start(Math.max(total, 1), 0, rate());
  let current = total;
  return {
    increment: (by = 1) => {
      done += by;
      bar.increment(by, rate());
    },
    setTotal: (next) => {
      if (next > current) {
        current = next;
        bar.setTotal(next);
      }
    },
    stop: () => bar.stop(),
  };
}
