import { GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { Platform } from '../../cli/platform';
import { periodicScheduleGroupName } from '../../lib/contract';
import { LocalScheduler, type LocalSchedule } from '../../local/local-scheduler';
import { bosun } from './support';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:bosun-local-default';

function platformOf(target: 'local' | 'aws', scheduler?: string): Platform {
  return {
    target,
    stage: target === 'local' ? 'local' : 'dev',
    region: 'us-east-1',
    ...(scheduler === undefined ? {} : { endpoints: { sqs: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:1', scheduler } }),
    queues: [],
    tableName: 'bosun-tasks',
    outputs: {},
  };
}

function schedule(name: string, expression: string, extra: Partial<LocalSchedule> = {}): LocalSchedule {
  return {
    name,
    groupName: periodicScheduleGroupName('local'),
    expression,
    timeZone: 'UTC',
    enabled: true,
    target: { arn: QUEUE_ARN, url: 'http://127.0.0.1:1/000000000000/bosun-local-default' },
    input: '{}',
    actionAfterCompletion: 'NONE',
    startDateMs: Date.now(),
    creationDateMs: Date.now(),
    ...extra,
  };
}

describe('bosun schedules (local)', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const scheduler = new LocalScheduler({ sqs, region: 'us-east-1', accountId: '000000000000', queueUrls: new Map() });
  let endpoint: string;

  beforeAll(async () => {
    scheduler.add(schedule('new-year', 'cron(0 9 1 1 ? 2031-2032)', { timeZone: 'Europe/Paris' }));
    scheduler.add(schedule('paused', 'rate(5 minutes)', { enabled: false }));
    scheduler.add({ ...schedule('eta.01JD7X3Q4J8ZP7N3R5W6Y9K4A1', 'at(2031-06-01T10:00:00)'), groupName: 'bosun-local-eta', actionAfterCompletion: 'DELETE' });
    endpoint = await scheduler.listen();
  });

  afterAll(async () => {
    await scheduler.stop();
    sqs.destroy();
  });

  it('lists the periodic tasks with their next firing times in their time zones, through the Scheduler API', async () => {
    const result = await bosun(['schedules', '--json', '--count', '3'], { loadPlatform: async () => platformOf('local', endpoint) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      schedules: [
        {
          group: 'bosun-local-periodic',
          name: 'new-year',
          kind: 'periodic',
          expression: 'cron(0 9 1 1 ? 2031-2032)',
          timeZone: 'Europe/Paris',
          state: 'ENABLED',
          queue: 'bosun-local-default',
          nextFirings: ['2031-01-01T08:00:00.000Z', '2032-01-01T08:00:00.000Z'],
        },
        {
          group: 'bosun-local-periodic',
          name: 'paused',
          kind: 'periodic',
          expression: 'rate(5 minutes)',
          timeZone: 'UTC',
          state: 'DISABLED',
          queue: 'bosun-local-default',
          nextFirings: [],
        },
      ],
    });
  });

  it('adds the far-ETA schedules with --eta, and prints a table', async () => {
    const result = await bosun(['schedules', '--eta'], { loadPlatform: async () => platformOf('local', endpoint) });
    expect(result.code).toBe(0);
    const rows = result.stdout.split('\n').map((line) => line.split('│').map((cell) => cell.trim()).filter((cell) => cell !== ''));
    expect(rows).toContainEqual(['schedule', 'kind', 'expression', 'time zone', 'state', 'queue', 'next firings (UTC)']);
    expect(rows).toContainEqual(['eta.01JD7X3Q4J8ZP7N3R5W6Y9K4A1', 'eta', 'at(2031-06-01T10:00:00)', 'UTC', 'ENABLED', 'bosun-local-default', '2031-06-01T10:00:00.000Z']);
    expect(rows).toContainEqual(['paused', 'periodic', 'rate(5 minutes)', 'UTC', 'DISABLED', 'bosun-local-default', '-']);
  });

  it('rejects a bad --count as a usage error', async () => {
    const result = await bosun(['schedules', '--count', 'many'], { loadPlatform: async () => platformOf('local', endpoint) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/expected a whole number of 0 or more \(given "many"\)/);
  });

  it('says to restart a local platform that serves no scheduler', async () => {
    const result = await bosun(['schedules'], { loadPlatform: async () => ({ ...platformOf('local', endpoint), endpoints: { sqs: 'x', s3: 'x', dynamodb: 'x' } }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/names no scheduler endpoint; restart it with `npm start`/);
  });
});

describe('bosun schedules --aws', () => {
  // Mocks every SchedulerClient while it lives: only in this block.
  let mock: ReturnType<typeof mockClient>;
  beforeEach(() => {
    mock = mockClient(SchedulerClient);
  });
  afterEach(() => mock.restore());

  it('reads every page of the stage group and each schedule, and computes a rate from its start date', async () => {
    mock
      .on(ListSchedulesCommand, { GroupName: 'bosun-dev-periodic', NextToken: undefined })
      .resolves({ Schedules: [{ Name: 'heartbeat' }], NextToken: 'page-2' })
      .on(ListSchedulesCommand, { GroupName: 'bosun-dev-periodic', NextToken: 'page-2' })
      .resolves({ Schedules: [{ Name: 'nightly' }] });
    const start = new Date(Date.now() - 60_000 * 7); // seven minutes ago: the next 5-minute firing is in 3 minutes
    mock.on(GetScheduleCommand, { Name: 'heartbeat' }).resolves({
      Name: 'heartbeat', GroupName: 'bosun-dev-periodic', ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED', StartDate: start,
      Target: { Arn: 'arn:aws:sqs:eu-west-1:111111111111:bosun-dev-default', RoleArn: 'r' },
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 },
    });
    mock.on(GetScheduleCommand, { Name: 'nightly' }).resolves({
      Name: 'nightly', GroupName: 'bosun-dev-periodic', ScheduleExpression: 'cron(0 3 * * ? 2040)', ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'ENABLED', Target: { Arn: 'arn:aws:sqs:eu-west-1:111111111111:bosun-dev-bulk', RoleArn: 'r' },
    });

    const result = await bosun(['schedules', '--aws', '--json', '--count', '1'], { loadPlatform: async () => platformOf('aws') });

    expect(result.code).toBe(0);
    const { schedules } = JSON.parse(result.stdout) as { schedules: Array<{ name: string; queue: string; nextFirings: string[]; flexibleWindowMinutes?: number }> };
    expect(schedules.map((s) => [s.name, s.queue, s.flexibleWindowMinutes])).toEqual([
      ['heartbeat', 'bosun-dev-default', 10],
      ['nightly', 'bosun-dev-bulk', undefined],
    ]);
    expect(schedules[0]!.nextFirings).toEqual([new Date(start.getTime() + 10 * 60_000).toISOString()]);
    expect(schedules[1]!.nextFirings).toEqual(['2040-01-01T02:00:00.000Z']);
  });
});
