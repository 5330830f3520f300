import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { TaskEnvelope } from '../../lib/contract';
import { sqsForwardingDestination } from '../../lib/aws/destinations';
import { AwsCallFailedError } from '../../lib/sdk/errors';

const sqs = new SQSClient({ region: 'us-east-1' });
const mock = mockClient(sqs);
const queueUrl = 'https://sqs.ca-central-1.amazonaws.com/123456789012/legacy-inbox';

function envelope(extra: Partial<TaskEnvelope> = {}): TaskEnvelope {
  return {
    v: 1,
    id: '01JQ3V5J4Z8M6W4X2Q7T9B1C0D',
    task: 'audit.consume-event',
    payload: { event: 1 },
    attempts: 2,
    route: { destination: 'legacy', ruleId: 'back-to-huey' },
    publishedAt: '2026-01-31T12:00:00.000Z',
    ...extra,
  };
}

describe('sqsForwardingDestination', () => {
  afterEach(() => mock.reset());

  it('sends the task as plain JSON with the payload inline, delayed until its ETA', async () => {
    mock.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const legacy = sqsForwardingDestination({ name: 'legacy', queueUrl, sqs });
    const eta = new Date(Date.now() + 60_000).toISOString();
    await legacy.deliver({
      envelope: envelope({ eta, context: { region: 'ca-central-1' } }),
      payload: { event: 1, big: 'resolved from its claim check' },
      decision: { destination: 'legacy', ruleId: 'back-to-huey', paused: false, killed: false, reason: 'rule "back-to-huey" matched' },
    });
    const input = mock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.QueueUrl).toBe(queueUrl);
    expect(JSON.parse(input?.MessageBody as string)).toEqual({
      task: 'audit.consume-event',
      id: '01JQ3V5J4Z8M6W4X2Q7T9B1C0D',
      payload: { event: 1, big: 'resolved from its claim check' },
      eta,
      publishedAt: '2026-01-31T12:00:00.000Z',
      ruleId: 'back-to-huey',
      context: { region: 'ca-central-1' },
    });
    expect(input?.DelaySeconds).toBeGreaterThanOrEqual(59);
    expect(input?.DelaySeconds).toBeLessThanOrEqual(60);
  });

  it('throws an AwsCallFailedError naming the destination when SQS refuses', async () => {
    mock.on(SendMessageCommand).rejects(Object.assign(new Error('queue does not exist'), { name: 'QueueDoesNotExist' }));
    const legacy = sqsForwardingDestination({ name: 'legacy', queueUrl, sqs });
    const error = await legacy
      .deliver({
        envelope: envelope(),
        payload: {},
        decision: { destination: 'legacy', ruleId: null, paused: false, killed: false, reason: '' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallFailedError);
    expect((error as Error).message).toBe(
      'SQS SendMessage to custom destination "legacy" for task 01JQ3V5J4Z8M6W4X2Q7T9B1C0D failed: QueueDoesNotExist: queue does not exist',
    );
  });
});
