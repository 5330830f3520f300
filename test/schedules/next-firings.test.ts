import { nextFirings } from '../../lib/schedules/next-firings';

const iso = (dates: readonly Date[]): string[] => dates.map((date) => date.toISOString());
const after = new Date('2026-11-29T00:00:00Z'); // a Sunday

describe('nextFirings', () => {
  it('counts AWS day-of-week 1-7 as SUN-SAT (Unix cron counts 0-6)', () => {
    // 2 = Monday in AWS cron; in Unix cron it would be Tuesday.
    expect(iso(nextFirings('cron(0 9 ? * 2 *)', { after, count: 2 }))).toEqual([
      '2026-11-30T09:00:00.000Z',
      '2026-12-07T09:00:00.000Z',
    ]);
    expect(iso(nextFirings('cron(0 9 ? * MON-FRI *)', { after, count: 2 }))).toEqual([
      '2026-11-30T09:00:00.000Z',
      '2026-12-01T09:00:00.000Z',
    ]);
  });

  it('keeps wall-clock time in the schedule time zone across a DST change', () => {
    expect(iso(nextFirings('cron(0 9 ? * 2 *)', { timeZone: 'America/New_York', after: new Date('2026-10-26T00:00:00Z'), count: 2 }))).toEqual([
      '2026-10-26T13:00:00.000Z',
      '2026-11-02T14:00:00.000Z',
    ]);
  });

  it('honours the year field, L, W and #', () => {
    expect(iso(nextFirings('cron(15 10 L * ? 2027)', { after, count: 2 }))).toEqual([
      '2027-01-31T10:15:00.000Z',
      '2027-02-28T10:15:00.000Z',
    ]);
    // The nearest weekday to Saturday 2027-05-15 is Friday the 14th.
    expect(iso(nextFirings('cron(0 12 15W 5 ? 2027)', { after, count: 1 }))).toEqual(['2027-05-14T12:00:00.000Z']);
    // 6L = the last Friday; 2#1 = the first Monday.
    expect(iso(nextFirings('cron(0 10 ? * 6L *)', { after, count: 1 }))).toEqual(['2026-12-25T10:00:00.000Z']);
    expect(iso(nextFirings('cron(0 10 ? * 2#1 *)', { after, count: 1 }))).toEqual(['2026-12-07T10:00:00.000Z']);
    expect(iso(nextFirings('cron(0/20 8 * * ? *)', { after, count: 3 }))).toEqual([
      '2026-11-29T08:00:00.000Z',
      '2026-11-29T08:20:00.000Z',
      '2026-11-29T08:40:00.000Z',
    ]);
  });

  it('fires a rate one interval after it starts counting, then every interval', () => {
    expect(iso(nextFirings('rate(5 minutes)', { after, count: 2 }))).toEqual(['2026-11-29T00:05:00.000Z', '2026-11-29T00:10:00.000Z']);
    const startDate = new Date('2026-11-28T23:58:00Z');
    expect(iso(nextFirings('rate(5 minutes)', { after, startDate, count: 1 }))).toEqual(['2026-11-29T00:03:00.000Z']);
  });

  it('fires at() once, at its local time in its time zone, and never after it passed', () => {
    expect(iso(nextFirings('at(2026-12-01T10:00:00)', { timeZone: 'Europe/Berlin', after, count: 3 }))).toEqual([
      '2026-12-01T09:00:00.000Z',
    ]);
    expect(nextFirings('at(2026-11-28T10:00:00)', { after })).toEqual([]);
  });

  it('fires nothing at or after the end date', () => {
    expect(nextFirings('rate(1 day)', { after, endDate: new Date('2026-11-30T00:00:00Z'), count: 3 })).toHaveLength(0);
  });
});
