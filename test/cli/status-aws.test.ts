import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliClients } from '../../cli/clients';
import { platformFromOutputs } from '../../cli/platform';
import { AWS_STACK_OUTPUTS } from '../support/fixtures';
import { OLDEST_MESSAGE_LOOKBACK_MINUTES, collectStatus, renderStatus } from '../../cli/status';

const OUTPUTS = AWS_STACK_OUTPUTS;

const sqs = new SQSClient({ region: 'eu-west-1' });
const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const cloudwatch = new CloudWatchClient({ region: 'eu-west-1' });
const sqsMock = mockClient(sqs);
const ddbMock = mockClient(dynamodb);
const cloudwatchMock = mockClient(cloudwatch);
const lambda = new LambdaClient({ region: 'eu-west-1' });
const lambdaMock = mockClient(lambda);

function clients(withCloudWatch: boolean, withLambda = false): CliClients {
  return {
    sqs,
    dynamodb,
    ...(withCloudWatch ? { cloudwatch } : {}),
    ...(withLambda ? { lambda } : {}),
    destroy: () => undefined,
  } as unknown as CliClients;
}

beforeEach(() => {
  sqsMock.reset();
  ddbMock.reset();
  cloudwatchMock.reset();
  lambdaMock.reset();
  sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '7' } });
  ddbMock.on(ScanCommand).resolves({ Items: [] });
});

describe('bosun status against AWS', () => {
  it('reads every queue’s age of the oldest message from CloudWatch in one GetMetricData call', async () => {
    const now = Date.parse('2026-11-21T12:00:00.000Z');
    cloudwatchMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q0', Values: [754, 700], Timestamps: [] },
        { Id: 'q1', Values: [], Timestamps: [] },
      ],
    });
    const platform = platformFromOutputs(OUTPUTS, { target: 'aws', region: 'eu-west-1', source: 'stack Bosun-dev' });

    const report = await collectStatus(platform, clients(true), { now: () => now });

    expect(report.queues.map((q) => [q.name, q.visible, q.oldestMessageAgeSeconds])).toEqual([
      ['default', 7, 754],
      ['bulk', 7, undefined],
    ]);
    const calls = cloudwatchMock.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.StartTime).toEqual(new Date(now - OLDEST_MESSAGE_LOOKBACK_MINUTES * 60_000));
    expect(input?.MetricDataQueries?.map((q) => q.MetricStat?.Metric?.Dimensions)).toEqual([
      [{ Name: 'QueueName', Value: 'bosun-dev-default' }],
      [{ Name: 'QueueName', Value: 'bosun-dev-bulk' }],
    ]);
    expect(input?.MetricDataQueries?.[0]?.MetricStat).toMatchObject({
      Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage' },
      Stat: 'Maximum',
    });
    expect(renderStatus(report)).toContain('oldest message (SQS)');
  });

  it('does not ask CloudWatch for the local platform, which has none', async () => {
    const platform = platformFromOutputs(OUTPUTS, { target: 'local', region: 'us-east-1', source: 'platform.json' });

    const report = await collectStatus(platform, clients(false));

    expect(report.queues.every((q) => q.oldestMessageAgeSeconds === undefined)).toBe(true);
    expect(cloudwatchMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(renderStatus(report)).not.toContain('oldest message (SQS)');
  });

  describe("each queue's consumption", () => {
    const platform = () => platformFromOutputs(OUTPUTS, { target: 'aws', region: 'eu-west-1', source: 'stack Bosun-dev' });
    const arn = (name: string) => `arn:aws:sqs:eu-west-1:123456789012:bosun-dev-${name}`;
    beforeEach(() => {
      sqsMock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({
        Attributes: { ApproximateNumberOfMessages: '0', QueueArn: arn(input.QueueUrl.split('/').pop()!.replace(/^bosun-dev-/, '')) },
      }));
    });

    it.each([
      [['Enabled'], 'enabled'],
      [['Disabled'], 'paused'],
      [['Disabling'], 'disabling'],
      [['Enabled', 'Disabled'], 'enabled, disabled'],
      [[], 'no consumer'],
    ])('reads mappings %j as %s', async (states, consumption) => {
      lambdaMock.on(ListEventSourceMappingsCommand).callsFake((input: { EventSourceArn: string }) => ({
        EventSourceMappings: input.EventSourceArn === arn('default') ? states.map((State, i) => ({ UUID: `m-${i}`, State })) : [{ UUID: 'bulk', State: 'Enabled' }],
      }));

      const report = await collectStatus(platform(), clients(false, true), { scanTasks: false });

      expect(report.queues.map((q) => [q.name, q.consumption])).toEqual([
        ['default', consumption],
        ['bulk', 'enabled'],
      ]);
      expect(renderStatus(report)).toMatch(new RegExp(`default .*│ ${consumption} +│`));
    });

    it('follows the pages of ListEventSourceMappings', async () => {
      lambdaMock
        .on(ListEventSourceMappingsCommand)
        .resolvesOnce({ EventSourceMappings: [{ UUID: 'a', State: 'Disabled' }], NextMarker: 'next' })
        .resolves({ EventSourceMappings: [{ UUID: 'b', State: 'Enabled' }] });

      const report = await collectStatus(platform(), clients(false, true), { scanTasks: false });

      expect(report.queues[0]).toMatchObject({ consumption: 'disabled, enabled', mappings: [{ uuid: 'a', state: 'Disabled' }, { uuid: 'b', state: 'Enabled' }] });
    });

    it('says unknown, naming the error, when Lambda refuses, and still reports the rest', async () => {
      lambdaMock.on(ListEventSourceMappingsCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));

      const report = await collectStatus(platform(), clients(false, true), { scanTasks: false });

      expect(report.queues.map((q) => [q.name, q.visible, q.consumption])).toEqual([
        ['default', 0, 'unknown (AccessDeniedException)'],
        ['bulk', 0, 'unknown (AccessDeniedException)'],
      ]);
    });
  });
});
