import { Cron } from 'croner';
import { type ScheduleExpression, parseScheduleExpression } from '../contract';

/** Options of {@link nextFirings}. */
export interface NextFiringsOptions {
  /** IANA time zone the expression's wall-clock times are in. @default 'UTC' */
  readonly timeZone?: string;
  /** Firings strictly after this instant are returned. */
  readonly after: Date;
  /** How many firings, at most. @default 1 */
  readonly count?: number;
  /**
   * When a rate schedule started counting (Scheduler fires a rate at its start date, then every interval). Cron and
   * `at` schedules ignore it except that no firing comes before it. @default - `after` (a rate's first firing is then
   * one interval later)
   */
  readonly startDate?: Date;
  /** No firing at or after this instant. @default - none */
  readonly endDate?: Date;
}

/** A time zone name `Intl` knows (the IANA names Scheduler takes), or `false`. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * AWS cron fields as croner reads them: croner's seven-field form (seconds first, year last) with Quartz weekday
 * numbers (1 = SUN, as AWS), `?` kept; AWS's `<day>L` (the last such weekday) is croner's `<day>#L`, a bare `L` in
 * day-of-week is Saturday, and `a/b` steps are allowed from a number (croner's "sloppy ranges").
 */
function cronerPattern(fields: readonly string[]): string {
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  const weekday = dayOfWeek!
    .split(',')
    .map((part) => (part === 'L' ? '7' : /^.+L$/.test(part) ? `${part.slice(0, -1)}#L` : part))
    .join(',');
  return ['0', minutes, hours, dayOfMonth, month, weekday, year].join(' ');
}

function cronFirings(expression: ScheduleExpression & { kind: 'cron' }, timeZone: string, after: Date, count: number): Date[] {
  const cron = new Cron(cronerPattern(expression.fields), {
    timezone: timeZone,
    mode: '7-part',
    alternativeWeekdays: true,
    sloppyRanges: true,
    paused: true,
  });
  return cron.nextRuns(count, after);
}

/**
 * The next firing times of an EventBridge Scheduler expression (`cron(...)`, `rate(...)`, `at(...)`) in a time zone,
 * after an instant: what Scheduler would fire, to the second, before its flexible window and its up-to-a-minute jitter.
 * Used by the local platform to fire schedules and by `bosun schedules` to show them.
 *
 * @throws ScheduleExpressionInvalidError for an expression Scheduler would reject.
 * @example
 * nextFirings('cron(0 9 ? * MON-FRI *)', { timeZone: 'Europe/Paris', after: new Date(), count: 3 });
 */
export function nextFirings(expression: string, options: NextFiringsOptions): Date[] {
  const parsed = parseScheduleExpression(expression);
  const timeZone = options.timeZone ?? 'UTC';
  const count = options.count ?? 1;
  const start = options.startDate;
  // Nothing fires before the start date: look from just before it when it is later than `after`.
  const from = start !== undefined && start.getTime() > options.after.getTime() ? new Date(start.getTime() - 1) : options.after;
  let firings: Date[];
  if (parsed.kind === 'cron') {
    firings = cronFirings(parsed, timeZone, from, count);
  } else if (parsed.kind === 'at') {
    const once = new Cron(parsed.localTime, { timezone: timeZone, paused: true }).nextRun(from);
    firings = once === null ? [] : [once];
  } else {
    const intervalMs = parsed.seconds * 1000;
    const anchor = (start ?? options.after).getTime();
    const elapsed = from.getTime() - anchor;
    let next = anchor + (elapsed < 0 ? 0 : (Math.floor(elapsed / intervalMs) + 1) * intervalMs);
    if (start === undefined && next <= from.getTime()) next += intervalMs;
    firings = Array.from({ length: count }, (_, index) => new Date(next + index * intervalMs));
  }
  const end = options.endDate?.getTime() ?? Number.POSITIVE_INFINITY;
  return firings.filter((firing) => firing.getTime() > options.after.getTime() && firing.getTime() < end).slice(0, count);
}
