// envelope.ts imports this module too; ENVELOPE_VERSION is read only when an input is built, after both loaded.
import { ENVELOPE_VERSION } from './envelope';
import { BosunError } from './errors';

/**
 * What EventBridge Scheduler puts in place of these keywords in a schedule's target input when it fires. Bosun's
 * schedules use each one as a whole JSON string value (see {@link ScheduleFiring}).
 */
export const SchedulerContext = {
  /** The time the firing was scheduled for, ISO-8601 UTC without fraction: `2026-11-29T03:00:00Z`. */
  SCHEDULED_TIME: '<aws.scheduler.scheduled-time>',
  /** A unique id of the firing (a retry of the same firing keeps it). */
  EXECUTION_ID: '<aws.scheduler.execution-id>',
} as const;

/**
 * The message attributes EventBridge Scheduler sets on a firing it dead-letters (its target input is the body): why
 * the delivery failed, which firing, schedule and target, and how many retries it made. The local scheduler sets
 * them the same way, and `bosun dlq peek schedules` reads them.
 */
export const SchedulerDeadLetterAttribute = {
  /** The error of the last delivery attempt, for example `AWS.SimpleQueueService.NonExistentQueue`. */
  ERROR_CODE: 'ERROR_CODE',
  /** Its message. */
  ERROR_MESSAGE: 'ERROR_MESSAGE',
  /** The firing's execution id (`<aws.scheduler.execution-id>`). */
  EXECUTION_ID: 'EXECUTION_ID',
  /** ARN of the schedule, `arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>`. */
  SCHEDULE_ARN: 'SCHEDULE_ARN',
  /** Retries made before giving up (a number). */
  RETRY_ATTEMPTS: 'RETRY_ATTEMPTS',
  /** ARN of the target the firing could not reach (the task queue). */
  TARGET_ARN: 'TARGET_ARN',
} as const;

/**
 * The name the CLI addresses the schedules' DLQ by (`bosun dlq peek schedules`); no queue may take it, since its DLQ
 * would be named like the schedules' DLQ (`bosun-<stage>-schedules-dlq`).
 */
export const SCHEDULES_DLQ_NAME = 'schedules';

/**
 * Physical name of a stage's DLQ of undeliverable schedule firings: `bosun-<stage>-schedules-dlq`.
 *
 * @example
 * schedulesDeadLetterQueueName('dev') // 'bosun-dev-schedules-dlq'
 */
export function schedulesDeadLetterQueueName(stage: string): string {
  return `bosun-${stage}-${SCHEDULES_DLQ_NAME}-dlq`;
}

/** Name of a periodic task (its schedule): lowercase letters, digits and dashes, starting with a letter. */
export const PERIODIC_TASK_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Largest target input EventBridge Scheduler accepts, in characters; a periodic task's envelope (with its inline
 * payload) must fit.
 */
export const SCHEDULE_INPUT_MAX_CHARS = 8192;

/** Prefix of the names of one-time schedules that carry far-ETA tasks: `eta.<taskId>`. */
export const ETA_SCHEDULE_NAME_PREFIX = 'eta.';

/**
 * The firing of a schedule that produced a task, carried by the envelope of every periodic task. The task id is
 * derived from it ({@link periodicTaskId}), so a duplicate firing of the same scheduled time is the same task and runs
 * once, whatever instance of the scheduler sent it.
 */
export interface ScheduleFiring {
  /** Name of the periodic task (its schedule). */
  readonly schedule: string;
  /** The time the firing was scheduled for, ISO-8601 UTC. */
  readonly scheduledTime: string;
}

/**
 * Schedule group of a stage's periodic tasks, created by the stack: `bosun-<stage>-periodic`.
 *
 * @example
 * periodicScheduleGroupName('dev') // 'bosun-dev-periodic'
 */
export function periodicScheduleGroupName(stage: string): string {
  return `bosun-${stage}-periodic`;
}

/**
 * Schedule group of a stage's far-ETA tasks (one-time schedules the SDK creates): `bosun-<stage>-eta`. A group apart
 * from the periodic tasks' so that a producer's grant reaches no periodic schedule.
 *
 * @example
 * etaScheduleGroupName('dev') // 'bosun-dev-eta'
 */
export function etaScheduleGroupName(stage: string): string {
  return `bosun-${stage}-eta`;
}

/**
 * Name of the one-time schedule that delivers the far-ETA task `taskId` (at most 64 characters, as Scheduler allows).
 *
 * @example
 * etaScheduleName('01JQ3V5J4Z8M6W4X2Q7T9B1C0D') // 'eta.01JQ3V5J4Z8M6W4X2Q7T9B1C0D'
 */
export function etaScheduleName(taskId: string): string {
  return `${ETA_SCHEDULE_NAME_PREFIX}${taskId}`.slice(0, 64);
}

/**
 * The id of the task a periodic task's firing publishes: `<name>@<scheduled time>`. Every task id is an opaque
 * non-empty string to the runtime, the table and the CLI; this one is readable and sorts by firing time per schedule.
 *
 * @example
 * periodicTaskId('nightly-report', '2026-11-29T03:00:00Z') // 'nightly-report@2026-11-29T03:00:00Z'
 */
export function periodicTaskId(schedule: string, scheduledTime: string): string {
  return `${schedule}@${scheduledTime}`;
}

/** The kinds of schedule expression EventBridge Scheduler takes. */
export type ScheduleExpression =
  | {
      readonly kind: 'cron';
      /** The six fields: minutes, hours, day of month, month, day of week, year. */
      readonly fields: readonly [string, string, string, string, string, string];
    }
  | { readonly kind: 'rate'; readonly value: number; readonly unit: 'minutes' | 'hours' | 'days'; readonly seconds: number }
  | { readonly kind: 'at'; readonly localTime: string };

/** A schedule expression EventBridge Scheduler would reject; the message says what was given and what is allowed. */
export class ScheduleExpressionInvalidError extends BosunError {
  public override readonly name = 'ScheduleExpressionInvalidError';

  public constructor(
    /** The expression as given. */
    public readonly expression: string,
    message: string,
  ) {
    super(message);
  }
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** One cron field's rules, after AWS's "Cron expressions reference" of EventBridge Scheduler. */
interface CronFieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Wildcards beyond `, - * /`. */
  readonly extra: string;
}

const CRON_FIELDS: readonly CronFieldRule[] = [
  { name: 'minutes', min: 0, max: 59, extra: '' },
  { name: 'hours', min: 0, max: 23, extra: '' },
  { name: 'day-of-month', min: 1, max: 31, extra: '?LW' },
  { name: 'month', min: 1, max: 12, names: MONTHS, extra: '' },
  { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS, extra: '?L#' },
  { name: 'year', min: 1970, max: 2199, extra: '' },
];

function valueOf(token: string, rule: CronFieldRule): number | undefined {
  const named = rule.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(token)) return undefined;
  return Number(token);
}

/** Why one element of a cron field (a part between commas) is not valid, or `undefined` when it is. */
function cronPartProblem(part: string, rule: CronFieldRule): string | undefined {
  const range = `${rule.min}-${rule.max}${rule.names === undefined ? '' : ` or ${rule.names[0]}-${rule.names.at(-1)}`}`;
  const inRange = (token: string): boolean => {
    const value = valueOf(token, rule);
    return value !== undefined && value >= rule.min && value <= rule.max;
  };
  if (part === '*') return undefined;
  if (rule.extra.includes('L')) {
    if (part === 'L' || (rule.name === 'day-of-month' && part === 'LW')) return undefined;
    if (rule.name === 'day-of-week' && /^.+L$/.test(part)) {
      return inRange(part.slice(0, -1)) ? undefined : `"${part}" must be a weekday followed by L (the last one of the month)`;
    }
  }
  if (rule.extra.includes('W') && /^\d+W$/.test(part)) {
    return inRange(part.slice(0, -1)) ? undefined : `"${part}" must be a day 1-31 followed by W (the nearest weekday)`;
  }
  if (rule.extra.includes('#') && part.includes('#')) {
    const [day, nth] = part.split('#');
    return day !== undefined && inRange(day) && /^[1-5]$/.test(nth ?? '')
      ? undefined
      : `"${part}" must be a weekday, #, and an occurrence 1-5 (for example 2#1, the first Monday)`;
  }
  const [base, step, ...more] = part.split('/');
  if (more.length > 0 || base === undefined) return `"${part}" has more than one /`;
  if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0)) return `"${part}" must step by a positive integer`;
  if (base === '*') return undefined;
  const bounds = base.split('-');
  if (bounds.length > 2 || !bounds.every(inRange)) return `"${part}" must use values ${range}`;
  return undefined;
}

function parseCron(expression: string, body: string): ScheduleExpression {
  const fields = body.trim().split(/\s+/);
  const fail = (message: string): never => {
    throw new ScheduleExpressionInvalidError(expression, `${message} (given "${expression}")`);
  };
  if (fields.length !== 6) {
    fail(`a cron expression has six fields: minutes hours day-of-month month day-of-week year, for example cron(0 3 * * ? *); this one has ${fields.length}`);
  }
  fields.forEach((field, index) => {
    const rule = CRON_FIELDS[index]!;
    if (field === '?') {
      if (!rule.extra.includes('?')) fail(`? is allowed only in day-of-month and day-of-week, not in ${rule.name}`);
      return;
    }
    for (const part of field.split(',')) {
      const problem = cronPartProblem(part, rule);
      if (problem !== undefined) fail(`cron ${rule.name} field: ${problem}`);
    }
  });
  if ((fields[2] === '?') === (fields[4] === '?')) {
    fail('a cron expression needs ? in exactly one of day-of-month and day-of-week (the other one chooses the days)');
  }
  return { kind: 'cron', fields: fields as unknown as readonly [string, string, string, string, string, string] };
}

const RATE_UNITS = { minute: 60, hour: 3600, day: 86_400 } as const;

function parseRate(expression: string, body: string): ScheduleExpression {
  const match = /^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$/.exec(body);
  const value = match === null ? Number.NaN : Number(match[1]);
  if (match === null || !Number.isSafeInteger(value) || value < 1) {
    throw new ScheduleExpressionInvalidError(
      expression,
      `a rate expression is rate(<positive integer> <minute(s)|hour(s)|day(s)>), for example rate(5 minutes) (given "${expression}")`,
    );
  }
  const unit = match[2]!;
  const singular = unit.endsWith('s') ? unit.slice(0, -1) : unit;
  if ((value === 1) !== (unit === singular)) {
    throw new ScheduleExpressionInvalidError(
      expression,
      `a rate of 1 takes a singular unit and a larger rate a plural one, for example rate(1 hour) or rate(2 hours) (given "${expression}")`,
    );
  }
  const seconds = value * RATE_UNITS[singular as keyof typeof RATE_UNITS];
  return { kind: 'rate', value, unit: `${singular}s` as 'minutes' | 'hours' | 'days', seconds };
}

function parseAt(expression: string, body: string): ScheduleExpression {
  const localTime = body.trim();
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(localTime);
  const asUtc = match === null ? Number.NaN : Date.parse(`${localTime}Z`);
  if (match === null || Number.isNaN(asUtc) || new Date(asUtc).toISOString().slice(0, 19) !== localTime) {
    throw new ScheduleExpressionInvalidError(
      expression,
      `a one-time expression is at(yyyy-mm-ddThh:mm:ss), a local time in the schedule's time zone, for example at(2026-12-01T09:30:00) (given "${expression}")`,
    );
  }
  return { kind: 'at', localTime };
}

/**
 * Reads an EventBridge Scheduler expression — `cron(...)` with AWS's six fields (year last, `?` in one of
 * day-of-month and day-of-week, day-of-week 1-7 = SUN-SAT, `L`, `W`, `#`), `rate(<n> <unit>)` or
 * `at(yyyy-mm-ddThh:mm:ss)` — and rejects what Scheduler would reject, saying what was given and what is allowed.
 *
 * @throws ScheduleExpressionInvalidError
 * @example
 * parseScheduleExpression('cron(0 3 ? * MON-FRI *)'); // { kind: 'cron', fields: ['0', '3', '?', '*', 'MON-FRI', '*'] }
 */
export function parseScheduleExpression(expression: string): ScheduleExpression {
  const match = /^(cron|rate|at)\((.*)\)$/s.exec(expression.trim());
  if (match === null) {
    throw new ScheduleExpressionInvalidError(
      expression,
      `a schedule expression is cron(...), rate(...) or at(...), for example cron(0 3 * * ? *) or rate(15 minutes) (given "${expression}")`,
    );
  }
  const [, kind, body] = match as unknown as [string, 'cron' | 'rate' | 'at', string];
  if (kind === 'cron') return parseCron(expression, body);
  if (kind === 'rate') return parseRate(expression, body);
  return parseAt(expression, body);
}

/** What {@link periodicTaskInput} builds a periodic task's envelope from. */
export interface PeriodicTaskInputProps {
  /** Name of the periodic task (its schedule). */
  readonly schedule: string;
  /** Registered task name. */
  readonly task: string;
  /** Inline payload (any JSON value). */
  readonly payload: unknown;
  /** Bosun queue the firings go to (the route stamp). */
  readonly queue: string;
}

/**
 * The target input of a periodic task's schedule: a Bosun envelope (the current {@link ENVELOPE_VERSION})
 * without an id, whose `firing` and `publishedAt` hold Scheduler's scheduled-time keyword and whose `traceId` holds the
 * execution id, each as a whole JSON string value. The consumer derives the task id from the firing. One owner: the
 * constructs put it in the template, the local platform sends it with the keywords replaced.
 *
 * @example
 * periodicTaskInput({ schedule: 'nightly-report', task: 'report.render', payload: { title: 'nightly', rows: [] }, queue: 'bulk' });
 */
export function periodicTaskInput(props: PeriodicTaskInputProps): string {
  return JSON.stringify({
    v: ENVELOPE_VERSION,
    task: props.task,
    payload: props.payload,
    attempts: 0,
    route: { destination: props.queue, ruleId: null },
    publishedAt: SchedulerContext.SCHEDULED_TIME,
    traceId: SchedulerContext.EXECUTION_ID,
    firing: { schedule: props.schedule, scheduledTime: SchedulerContext.SCHEDULED_TIME },
  });
}

/**
 * Replaces Scheduler's context keywords in a target input as Scheduler does when it fires (the local platform's
 * stand-in for it).
 *
 * @example
 * substituteSchedulerContext(input, { scheduledTime: '2026-11-29T03:00:00Z', executionId: 'local-1' });
 */
export function substituteSchedulerContext(
  input: string,
  values: { readonly scheduledTime: string; readonly executionId: string; readonly scheduleArn?: string; readonly attemptNumber?: number },
): string {
  return input
    .split(SchedulerContext.SCHEDULED_TIME)
    .join(values.scheduledTime)
    .split(SchedulerContext.EXECUTION_ID)
    .join(values.executionId)
    .split('<aws.scheduler.schedule-arn>')
    .join(values.scheduleArn ?? '')
    .split('<aws.scheduler.attempt-number>')
    .join(String(values.attemptNumber ?? 0));
}
