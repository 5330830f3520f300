import { PassThrough } from 'node:stream';
import { renderFields, renderTable, startProgress } from '../../cli/output';

const longDetail = 'handler threw TypeError: Cannot read properties of undefined (reading "recipient") at sendEmail (/var/task/index.js:1:20419)';
const rows = [
  ['email.send', '01JD7X3Q4J8ZP7N3R5W6Y9K2E1', 'attempts-exhausted', 3, '2h 10m', longDetail],
  ['report.render', '01JD7X3Q4J8ZP7N3R5W6Y9K2E2', 'invalid-payload', 1, '5m', 'title: Required'],
] as const;
const head = ['task', 'task id', 'reason', 'attempts', 'age', 'detail'];

/** The table's cells, each the text of its wrapped lines joined without spaces (wrapping may split a word). */
function cells(table: string): string[][] {
  const rowsOut: string[][] = [];
  let current: string[] | undefined;
  for (const line of table.trimEnd().split('\n')) {
    if (!line.startsWith('│')) {
      current = undefined;
      continue;
    }
    const parts = line.split('│').slice(1, -1).map((part) => part.replace(/\s/g, ''));
    if (current === undefined) {
      current = parts;
      rowsOut.push(current);
    } else {
      parts.forEach((part, index) => (current![index] = `${current![index] ?? ''}${part}`));
    }
  }
  return rowsOut;
}

function widest(text: string): number {
  return Math.max(...text.trimEnd().split('\n').map((line) => line.length));
}

describe('tables for people', () => {
  it('keep every value on one line when no terminal width is known (piped output, tests)', () => {
    const table = renderTable(head, rows);

    expect(table).toContain(longDetail);
    expect(widest(table)).toBeGreaterThan(160);
  });

  it.each([80, 100, 120])('fit a %i-column terminal by wrapping the widest columns, cutting nothing', (columns) => {
    const table = renderTable(head, rows, columns);

    expect(widest(table)).toBeLessThanOrEqual(columns);
    expect(cells(table)).toEqual([head, ...rows].map((row) => row.map((cell) => String(cell).replace(/\s/g, ''))));
  });

  it('leave a table that fits as it is', () => {
    expect(renderTable(['status', 'tasks'], [['queued', 1]], 80)).toBe(renderTable(['status', 'tasks'], [['queued', 1]]));
  });

  it('wrap a long field value to the terminal width', () => {
    const fields = [['task id', '01JD7X3Q4J8ZP7N3R5W6Y9K2E1'], ['last error', longDetail]] as const;

    const table = renderFields(fields, 60);

    expect(widest(table)).toBeLessThanOrEqual(60);
    expect(cells(table)).toEqual(fields.map((row) => row.map((cell) => cell.replace(/\s/g, ''))));
  });
});

describe('progress bars', () => {
  it('show the count, the rate and the time left on a terminal, and nothing for --json', () => {
    // cli-progress draws only on a TTY.
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    const written: string[] = [];
    terminal.on('data', (chunk: Buffer) => written.push(chunk.toString('utf8')));
    const io = { write: () => undefined, error: () => undefined, progressStream: terminal };

    const progress = startProgress(io, false, 'move', 40, { rate: true });
    progress.increment(10);
    progress.stop();
    const drawn = written.join('');
    const silent = startProgress(io, true, 'move', 40, { rate: true });
    silent.increment(10);
    silent.stop();

    expect(drawn).toMatch(/move \[.*\] 10\/40 \| \d+\/s \| .* left/);
    expect(written.join('')).toBe(drawn);
  });
});
