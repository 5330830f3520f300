import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ResourceInUseException,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliClients } from '../../cli/clients';
import { drainQueues, renderDrain } from '../../cli/drain';
import { pauseQueues } from '../../cli/mappings';
import { platformFromOutputs } from '../../cli/platform';
import { AWS_STACK_OUTPUTS } from '../support/fixtures';

const sqs = new SQSClient({ region: 'eu-west-1' });
const lambda = new LambdaClient({ region: 'eu-west-1' });
const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const sqsMock = mockClient(sqs);
const lambdaMock = mockClient(lambda);
const ddbMock = mockClient(dynamodb);
const platform = platformFromOutputs(AWS_STACK_OUTPUTS, { target: 'aws', region: 'eu-west-1', source: 'stack Bosun-dev' });
const clients = { sqs, lambda, dynamodb, destroy: () => undefined } as unknown as CliClients;
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:111111111111:function:Bosun-dev-DefaultConsumer';

/**
 * A stand-in for one mapping as Lambda runs it: an update starts the change, and the mapping passes through
 * `Disabling`/`Enabling` for `transitionReads` reads before it gets there.
 */
function simulateMapping(options: { transitionReads: number; busyUpdates?: number; stuck?: boolean; initial?: string }): {
  state: () => string;
} {
  let state = options.initial ?? 'Enabled';
  let target = state;
  let reads = 0;
  let busy = options.busyUpdates ?? 0;
  const describe = (): object => ({ UUID: 'esm-1', FunctionArn: FUNCTION_ARN, State: state });
  lambdaMock.on(ListEventSourceMappingsCommand).callsFake((input: { EventSourceArn?: string }) => ({
    EventSourceMappings: input.EventSourceArn?.endsWith(':bosun-dev-default') ? [describe()] : [],
  }));
  lambdaMock.on(UpdateEventSourceMappingCommand).callsFake((input: { Enabled?: boolean }) => {
    if (busy > 0) {
      busy -= 1;
      throw new ResourceInUseException({ message: 'The resource is being updated', $metadata: {} });
    }
    target = input.Enabled === false ? 'Disabled' : 'Enabled';
    if (state !== target) state = target === 'Disabled' ? 'Disabling' : 'Enabling';
    reads = 0;
    return describe();
  });
  lambdaMock.on(GetEventSourceMappingCommand).callsFake(() => {
    reads += 1;
    if (!options.stuck && reads >= options.transitionReads) state = target;
    return describe();
  });
  return { state: () => state };
}

let clock = 0;
const timing = {
  now: () => clock,
  sleep: async (ms: number) => {
    clock += ms;
  },
};

beforeEach(() => {
  clock = Date.parse('2026-11-29T10:00:00.000Z');
  sqsMock.reset();
  lambdaMock.reset();
  ddbMock.reset();
  sqsMock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({
    Attributes: { QueueArn: `arn:aws:sqs:eu-west-1:111111111111:${input.QueueUrl.split('/').pop()}` },
  }));
  ddbMock.on(QueryCommand).resolves({ Items: [] });
});

describe('bosun pause and resume against AWS', () => {
  it('waits while the mapping is Disabling and returns once it reports Disabled; resume waits for Enabled', async () => {
    const mapping = simulateMapping({ transitionReads: 3 });

    const paused = await pauseQueues(platform, clients, ['default'], false, 60_000, timing);
    expect(paused).toEqual([{ queue: 'default', uuid: 'esm-1', functionArn: FUNCTION_ARN, state: 'Disabled' }]);
    expect(mapping.state()).toBe('Disabled');

    const resumed = await pauseQueues(platform, clients, ['default'], true, 60_000, timing);
    expect(resumed.map((entry) => entry.state)).toEqual(['Enabled']);
  });

  it('tries the update again while the mapping is busy with another change (ResourceInUseException)', async () => {
    const mapping = simulateMapping({ transitionReads: 1, busyUpdates: 2 });

    await pauseQueues(platform, clients, ['default'], false, 60_000, timing);

    expect(mapping.state()).toBe('Disabled');
  });

  it('gives up naming the mapping and its state when it does not get there in time', async () => {
    simulateMapping({ transitionReads: 1, stuck: true });

    await expect(pauseQueues(platform, clients, ['default'], false, 5_000, timing)).rejects.toThrow(
      'event source mappings did not report Disabled within 5 s: esm-1 (queue default) is Disabling',
    );
  });

  it('refuses a queue that no mapping reads', async () => {
    simulateMapping({ transitionReads: 1 });

    await expect(pauseQueues(platform, clients, ['bulk'], false, 5_000, timing)).rejects.toThrow(
      'queue "bulk" has no event source mapping (arn:aws:sqs:eu-west-1:111111111111:bosun-dev-bulk): no consumer reads it, nothing to pause',
    );
  });
});

describe('bosun drain against AWS', () => {
  const running = (interruptible: boolean, startedAt: string): Record<string, unknown> => ({
    taskId: interruptible ? '01NAP' : '01LONG',
    taskName: interruptible ? 'demo.nap' : 'report.render',
    queue: 'default',
    attempts: 1,
    startedAt,
    leaseUntilMs: clock + 600_000,
    interruptible,
  });

  it('times out while a task that is not interruptible runs, lists it, and resumes consumption', async () => {
    const mapping = simulateMapping({ transitionReads: 2 });
    const started = new Date(clock - 125_000).toISOString();
    ddbMock.on(QueryCommand, { IndexName: 'running-by-queue', ExpressionAttributeValues: { ':v0': 'default#3' } as never }).resolves({
      Items: [running(false, started), running(true, started)],
    });

    const result = await drainQueues(platform, clients, { queues: ['default'], timeoutMs: 60_000, intervalMs: 10_000, ...timing });

    expect(result).toMatchObject({ outcome: 'timed-out', resumed: true, queues: ['default'] });
    expect(result.blocking.map((task) => task.taskId)).toEqual(['01LONG']);
    expect(result.interruptible.map((task) => task.taskId)).toEqual(['01NAP']);
    expect(mapping.state()).toBe('Enabled');
    // Started 125 s before the drain, which waited out its 60 s and then 2 s for the mapping to report Enabled.
    expect(renderDrain(result, clock)).toMatch(/ABORT THE DEPLOY[\s\S]*report\.render\s*│\s*01LONG\s*│\s*default\s*│\s*3m 7s/);
  });

  it('leaves a queue that was paused before the drain paused when it times out', async () => {
    const mapping = simulateMapping({ transitionReads: 1, initial: 'Disabled' });
    ddbMock.on(QueryCommand).resolves({ Items: [running(false, new Date(clock).toISOString())] });

    const result = await drainQueues(platform, clients, { queues: ['default'], timeoutMs: 30_000, intervalMs: 10_000, ...timing });

    expect(result).toMatchObject({ outcome: 'timed-out', resumed: true });
    expect(result.mappings.map((entry) => entry.state)).toEqual(['Disabled']);
    expect(mapping.state()).toBe('Disabled');
  });

  it('resumes consumption and names the missing index when the table was deployed before the running index', async () => {
    const mapping = simulateMapping({ transitionReads: 1 });
    ddbMock.on(QueryCommand).rejects(Object.assign(new Error('The table does not have the specified index: running-by-queue'), { name: 'ValidationException' }));

    await expect(drainQueues(platform, clients, { queues: ['default'], timeoutMs: 60_000, ...timing })).rejects.toThrow(
      'the task-state table bosun-dev-tasks has no index running-by-queue (deployed before Bosun had it): deploy this version first, then drain; consumption was resumed',
    );
    expect(mapping.state()).toBe('Enabled');
  });

  it('confirms a look that found nothing blocking at the deadline with one more look, instead of timing out', async () => {
    simulateMapping({ transitionReads: 1 });
    let looks = 0;
    ddbMock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => {
      if (input.ExpressionAttributeValues[':v0'] === 'default#0') looks += 1;
      // Busy until the look at the deadline (the fourth: pausing took 1 s, then looks at 1, 11, 21 and 30 s).
      return { Items: looks < 4 ? [running(false, new Date(clock).toISOString())] : [] };
    });

    const result = await drainQueues(platform, clients, { queues: ['default'], timeoutMs: 30_000, intervalMs: 10_000, ...timing });

    expect(result).toMatchObject({ outcome: 'drained', blocking: [] });
    expect(looks).toBe(5);
  });

  it('drains when only interruptible tasks run, and leaves the queue paused', async () => {
    const mapping = simulateMapping({ transitionReads: 2 });
    ddbMock.on(QueryCommand).resolves({ Items: [running(true, new Date(clock).toISOString())] });

    const result = await drainQueues(platform, clients, { queues: ['default'], timeoutMs: 60_000, intervalMs: 10_000, ...timing });

    expect(result).toMatchObject({ outcome: 'drained', resumed: false, blocking: [] });
    expect(mapping.state()).toBe('Disabled');
    expect(renderDrain(result, clock)).toContain('proceed with the deploy, then: bosun resume default');
  });
});
