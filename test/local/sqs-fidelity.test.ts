import {
  CreateQueueCommand,
  DeleteQueueCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { Limits } from '../../lib/contract';
import { emulatorClients, uniqueName } from '../support/emulator-env';

// What the local platform's SQS (fauxqs behind local/fauxqs-server.mjs, with local/sqs-limits.mjs) refuses and does,
// checked against the limits SQS documents. Each test uses its own queue on the emulators the jest setup started.
const { sqs } = emulatorClients();
const created: string[] = [];

async function queue(label: string, attributes: Record<string, string> = {}): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(label), Attributes: attributes }));
  created.push(QueueUrl!);
  return QueueUrl!;
}

/** The error SQS answers with, as `<name>: <message>`, or `accepted`. */
async function outcome(send: () => Promise<unknown>): Promise<string> {
  try {
    await send();
    return 'accepted';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

function attributes(count: number): Record<string, MessageAttributeValue> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`attribute${i}`, { DataType: 'String', StringValue: 'v' }]));
}

afterAll(async () => {
  for (const url of created) await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  sqs.destroy();
});

describe('the local SQS', () => {
  it('refuses a per-message DelaySeconds above 900, as SQS does, and accepts 900', async () => {
    const url = await queue('delay');

    expect(await outcome(() => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: Limits.SQS_MAX_DELAY_SECONDS })))).toBe('accepted');
    expect(await outcome(() => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: 901 })))).toBe(
      'AWS.SimpleQueueService.InvalidParameterValue: Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.',
    );
  });

  it('reports a batch entry with DelaySeconds above 900 as failed and sends the others', async () => {
    const url = await queue('delay-batch');

    const response = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'now', MessageBody: 'now' },
          { Id: 'too-late', MessageBody: 'too late', DelaySeconds: 901 },
        ],
      }),
    );
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));

    expect(response.Successful?.map((entry) => entry.Id)).toEqual(['now']);
    expect(response.Failed).toEqual([
      {
        Id: 'too-late',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: 'Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.',
      },
    ]);
    expect(Messages?.map((message) => message.Body)).toEqual(['now']);
  });

  it('refuses an eleventh message attribute, as SQS does, and accepts ten', async () => {
    const url = await queue('attributes');

    expect(
      await outcome(() => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: attributes(Limits.SQS_MAX_MESSAGE_ATTRIBUTES) }))),
    ).toBe('accepted');
    expect(await outcome(() => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: attributes(11) })))).toBe(
      'AWS.SimpleQueueService.InvalidParameterValue: Number of message attributes [11] exceeds the allowed maximum [10].',
    );
  });

  it('accepts a 1 MiB message and refuses one byte more, counting the attributes, and a batch over 1 MiB in all', async () => {
    const url = await queue('size', { MaximumMessageSize: String(Limits.SQS_MAX_MESSAGE_BYTES) });
    const mib = Limits.SQS_MAX_MESSAGE_BYTES;

    expect(await outcome(() => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(mib) })))).toBe('accepted');
    expect(await outcome(() => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(mib + 1) })))).toBe(
      `AWS.SimpleQueueService.InvalidParameterValue: One or more parameters are invalid. Reason: Message must be shorter than ${mib} bytes.`,
    );
    // 'a' (name) + 'String' (type) + 'v' (value): 8 bytes of attributes push a body 4 bytes under the limit over it.
    expect(
      await outcome(() =>
        sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(mib - 4), MessageAttributes: { a: { DataType: 'String', StringValue: 'v' } } })),
      ),
    ).toContain('Message must be shorter than');
    expect(
      await outcome(() =>
        sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: [0, 1].map((i) => ({ Id: String(i), MessageBody: 'x'.repeat(600 * Limits.KIB) })),
          }),
        ),
      ),
    ).toBe(`BatchRequestTooLong: Batch requests cannot be longer than ${mib} bytes.`);
  });

  it('hides a received message for the visibility timeout, then delivers it again with its receive count', async () => {
    const url = await queue('visibility', { VisibilityTimeout: '2' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'once' }));
    const receive = async (): Promise<string[]> => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      );
      return (Messages ?? []).map((message) => `${message.Body} #${message.Attributes?.ApproximateReceiveCount}`);
    };

    const first = await receive();
    const received = Date.now();
    const meanwhile = await receive();
    let again: string[] = [];
    while (again.length === 0 && Date.now() - received < 6_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      again = await receive();
    }
    const hiddenMs = Date.now() - received;

    expect(first).toEqual(['once #1']);
    expect(meanwhile).toEqual([]);
    expect(again).toEqual(['once #2']);
    expect(hiddenMs).toBeGreaterThanOrEqual(1_900);
    expect(hiddenMs).toBeLessThan(3_500);
  });
});
