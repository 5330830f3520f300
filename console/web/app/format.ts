/** `1234` → `1,234`. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** Seconds as `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** Bytes as `512 B`, `3.2 KiB`, `1.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** An ISO time as `2026-11-29 10:15:02` in UTC, the zone every Bosun time is stored in. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `HH:MM` of an ISO time, in UTC. */
export function formatClock(iso: string): string {
  return new Date(iso).toISOString().slice(11, 16);
}

/** Any JSON value as indented text; strings as they are. */
export function formatJson(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** A `datetime-local` input's value (read as UTC) to ISO, or `undefined` when empty or invalid. */
export function localInputToIso(value: string): string | undefined {
  if (value === '') return undefined;
  const date = new Date(`${value}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** ISO to a `datetime-local` input's value in UTC (`2026-11-29T10:15`). */
export function isoToLocalInput(iso: string | undefined): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 16);
}

/** Parses the explain form's context: `key=value` per line, so no JSON needs typing for two attributes. */
export function parseContext(text: string): { context: Record<string, string> } | { error: string } {
  const context: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const equals = line.indexOf('=');
    if (equals <= 0) return { error: `Context line ${index + 1} must be key=value (given "${line}").` };
    context[line.slice(0, equals).trim()] = line.slice(equals + 1).trim();
  }
  return { context };
}
