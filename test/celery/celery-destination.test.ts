import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { celeryDestination } from '../../lib/aws/destinations';
import { CeleryMappingError, decodeCeleryMessage } from '../../lib/celery';
import type { CustomDelivery, TaskEnvelope } from '../../lib/contract';
import { AwsCallFailedError } from '../../lib/sdk/errors';

const sqs = new SQSClient({ region: 'us-east-1' });
const mock = mockClient(sqs);
const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/celery-default';
const NOW = Date.parse('2026-06-01T00:00:00Z');

function delivery(task: string, payload: unknown, extra: Partial<TaskEnvelope> = {}): CustomDelivery {
  return {
    envelope: { v: 1, id: '01JQ3V5J4Z8M6W4X2Q7T9B1C0D', task, payload, attempts: 1, route: { destination: 'celery', ruleId: 'r' }, publishedAt: '2026-06-01T00:00:00.000Z', ...extra },
    payload,
    decision: { destination: 'celery', ruleId: 'r', paused: false, killed: false, reason: '' },
  };
}

describe('celeryDestination', () => {
  const celery = celeryDestination({ name: 'celery', queueUrl, sqs, now: () => NOW, tasks: [{ task: 'math.add', celeryTask: 'app.add', args: ['x', 'y'] }] });

  afterEach(() => mock.reset());

  it('sends the mapped Celery call under the Bosun id, the attempts so far as retries and the queue name from the URL', async () => {
    mock.on(SendMessageCommand).resolves({ MessageId: 'm' });
    await celery.deliver(delivery('math.add', { x: 1, y: 2 }, { eta: '2026-06-01T00:10:00.000Z' }));
    const input = mock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.DelaySeconds).toBe(600);
    expect(decodeCeleryMessage(input?.MessageBody as string)).toEqual({
      protocol: 2,
      task: 'app.add',
      id: '01JQ3V5J4Z8M6W4X2Q7T9B1C0D',
      args: [1, 2],
      kwargs: {},
      retries: 1,
      routingKey: 'celery-default',
    });
  });

  it('declares the 900 s it may be handed, so farther ETAs wait in Bosun', () => {
    expect(celery.farEta).toEqual({ maxDelaySeconds: 900 });
  });

  it('refuses a task due beyond 900 s rather than leave an ETA to a worker, sending nothing', async () => {
    const error = await celery.deliver(delivery('math.add', { x: 1, y: 2 }, { eta: '2026-06-01T01:00:00.000Z' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallFailedError);
    expect((error as Error).message).toMatch(/the task is due in 3600 s, beyond SQS's 900 s delay; it must wait on a Bosun queue \(holdQueue\) until due/);
    expect(mock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('says, without sending, which tasks it could never take', () => {
    expect(celery.check?.('math.add', { x: 1, y: 2 })).toBeUndefined();
    expect(celery.check?.('math.sub', { x: 1 })).toBe('Bosun task "math.sub" has no Celery mapping (mapped: math.add)');
    expect(celery.check?.('math.add', 'not an object')).toMatch(/^payload of Bosun task "math.add" must be a JSON object .* \(given string\)/);
    expect(mock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('refuses a task without a Celery mapping, sending nothing', async () => {
    await expect(celery.deliver(delivery('math.sub', { x: 1 }))).rejects.toThrow(CeleryMappingError);
    await expect(celery.deliver(delivery('math.sub', { x: 1 }))).rejects.toThrow('Bosun task "math.sub" has no Celery mapping (mapped: math.add)');
    expect(mock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});
