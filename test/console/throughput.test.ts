import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { cloudWatchThroughput } from '../../console/server/throughput';

describe('cloudWatchThroughput', () => {
  const cloudwatch = new CloudWatchClient({ region: 'eu-west-1' });
  const mocked = mockClient(cloudwatch);
  const now = Date.parse('2026-11-29T12:30:40Z');

  afterAll(() => cloudwatch.destroy());

  it("puts each outcome's per-minute sums into the hour's minute buckets, oldest first, zeros where CloudWatch has no point", async () => {
    mocked.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'succeeded', Timestamps: [new Date('2026-11-29T12:30:00Z'), new Date('2026-11-29T12:29:00Z')], Values: [12, 7] },
        { Id: 'dead', Timestamps: [new Date('2026-11-29T11:31:00Z')], Values: [2] },
        { Id: 'retried', Timestamps: [new Date('2026-11-29T11:30:00Z')], Values: [5] },
        { Id: 'rerouted', Timestamps: [], Values: [] },
      ],
    });

    const throughput = await cloudWatchThroughput(cloudwatch, now);

    expect(throughput.bucketSeconds).toBe(60);
    expect(throughput.source).toMatch(/^CloudWatch metrics of the consumers/);
    expect(throughput.buckets).toHaveLength(60);
    expect(throughput.buckets[0]).toEqual({ start: '2026-11-29T11:31:00.000Z', succeeded: 0, retried: 0, dead: 2, rerouted: 0 });
    expect(throughput.buckets[58]).toEqual({ start: '2026-11-29T12:29:00.000Z', succeeded: 7, retried: 0, dead: 0, rerouted: 0 });
    expect(throughput.buckets[59]).toEqual({ start: '2026-11-29T12:30:00.000Z', succeeded: 12, retried: 0, dead: 0, rerouted: 0 });
    expect(throughput.buckets.reduce((sum, bucket) => sum + bucket.retried + bucket.rerouted, 0)).toBe(0);
  });
});
