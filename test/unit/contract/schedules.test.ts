import { ScheduleExpressionInvalidError, parseEnvelope, parseScheduleExpression } from '../../../lib/contract';
import { anEnvelope } from '../../support/fixtures';

function rejection(expression: string): string {
  try {
    parseScheduleExpression(expression);
  } catch (error) {
    if (error instanceof ScheduleExpressionInvalidError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('parseScheduleExpression', () => {
  it.each([
    'cron(0 3 * * ? *)',
    'cron(0/15 9-17 ? * MON-FRI *)',
    'cron(15 10 L * ? 2027)',
    'cron(0 12 15W * ? *)',
    'cron(0 10 ? * 6L *)',
    'cron(0 10 ? * 2#1 *)',
    'cron(0 0 1 JAN,JUL ? 2026-2030)',
    'rate(1 minute)',
    'rate(15 minutes)',
    'rate(2 days)',
    'at(2026-12-01T09:30:00)',
  ])('accepts %s, as EventBridge Scheduler does', (expression) => {
    expect(rejection(expression)).toBe('accepted');
  });

  it('rejects a five-field Unix cron and shows the six AWS fields', () => {
    expect(rejection('cron(0 3 * * *)')).toBe(
      'a cron expression has six fields: minutes hours day-of-month month day-of-week year, for example cron(0 3 * * ? *); this one has 5 (given "cron(0 3 * * *)")',
    );
  });

  it('rejects a cron with both day fields set, or both ?', () => {
    expect(rejection('cron(0 3 * * * *)')).toMatch(/needs \? in exactly one of day-of-month and day-of-week/);
    expect(rejection('cron(0 3 ? * ? *)')).toMatch(/needs \? in exactly one of day-of-month and day-of-week/);
  });

  it('rejects Unix weekday 0 (AWS counts 1-7 = SUN-SAT) and out-of-range values, naming the field and the range', () => {
    expect(rejection('cron(0 3 ? * 0 *)')).toBe('cron day-of-week field: "0" must use values 1-7 or SUN-SAT (given "cron(0 3 ? * 0 *)")');
    expect(rejection('cron(60 3 * * ? *)')).toBe('cron minutes field: "60" must use values 0-59 (given "cron(60 3 * * ? *)")');
    expect(rejection('cron(0 3 * * ? 1969)')).toMatch(/cron year field: "1969" must use values 1970-2199/);
  });

  it('rejects wildcards in fields that do not take them', () => {
    expect(rejection('cron(? 3 * * ? *)')).toMatch(/\? is allowed only in day-of-month and day-of-week, not in minutes/);
    expect(rejection('cron(0 3 ? * 2#6 *)')).toMatch(/must be a weekday, #, and an occurrence 1-5/);
    expect(rejection('cron(0 3 32W * ? *)')).toMatch(/must be a day 1-31 followed by W/);
  });

  it('rejects rates with a wrong unit or number', () => {
    expect(rejection('rate(0 minutes)')).toMatch(/rate\(<positive integer> <minute\(s\)\|hour\(s\)\|day\(s\)>\)/);
    expect(rejection('rate(5 seconds)')).toMatch(/rate\(<positive integer>/);
    expect(rejection('rate(1 minutes)')).toMatch(/a rate of 1 takes a singular unit/);
    expect(rejection('rate(2 hour)')).toMatch(/a rate of 1 takes a singular unit/);
  });

  it('rejects an at() that is not a real local time, and other kinds', () => {
    expect(rejection('at(2026-02-30T10:00:00)')).toMatch(/at\(yyyy-mm-ddThh:mm:ss\)/);
    expect(rejection('at(2026-12-01T10:00:00Z)')).toMatch(/at\(yyyy-mm-ddThh:mm:ss\)/);
    expect(rejection('every 5 minutes')).toMatch(/is cron\(\.\.\.\), rate\(\.\.\.\) or at\(\.\.\.\)/);
  });

  it('reads a rate in seconds', () => {
    expect(parseScheduleExpression('rate(2 hours)')).toEqual({ kind: 'rate', value: 2, unit: 'hours', seconds: 7200 });
  });
});

describe('parseEnvelope of a schedule firing', () => {
  const firingBody = (scheduledTime: string): string => {
    const { id: _id, ...rest } = anEnvelope({ publishedAt: scheduledTime });
    return JSON.stringify({ ...rest, firing: { schedule: 'nightly-report', scheduledTime } });
  };

  it('derives the task id from the schedule and the scheduled time, so a duplicate firing is the same task', () => {
    const first = parseEnvelope(firingBody('2026-11-29T03:00:00Z'));
    const duplicate = parseEnvelope(firingBody('2026-11-29T03:00:00Z'));
    const next = parseEnvelope(firingBody('2026-11-30T03:00:00Z'));
    expect(first.id).toBe('nightly-report@2026-11-29T03:00:00Z');
    expect(duplicate.id).toBe(first.id);
    expect(next.id).toBe('nightly-report@2026-11-30T03:00:00Z');
    expect(parseEnvelope(JSON.stringify(first))).toEqual(first);
  });

  it('rejects a firing whose scheduled time was not substituted', () => {
    expect(() => parseEnvelope(firingBody('<aws.scheduler.scheduled-time>'))).toThrow(
      /envelope field "scheduledTime" must be an ISO-8601 UTC timestamp/,
    );
  });
});
