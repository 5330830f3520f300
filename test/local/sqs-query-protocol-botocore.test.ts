import { DeleteQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { LOCAL_ACCOUNT_ID } from '../../local/intrinsics';
import { emulatorClients, emulatorEndpoints, uniqueName } from '../support/emulator-env';
import { type BotocoreCall, type BotocoreOutcome, botocoreSqsCalls } from '../support/python';

// The local SQS in SQS's query protocol, driven by the real botocore 1.29 (Debian's python3-boto3), the client kombu
// and Celery use: every answer is parsed by botocore's own XML parser and checked against its MD5s.
const endpoints = emulatorEndpoints();
const target = { endpoint: endpoints.sqsEndpoint, region: endpoints.region, accessKeyId: LOCAL_CREDENTIALS.accessKeyId };
const { sqs } = emulatorClients();
const created: string[] = [];

afterAll(async () => {
  for (const url of created) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
  sqs.destroy();
});

async function calls(...list: BotocoreCall[]): Promise<BotocoreOutcome[]> {
  return botocoreSqsCalls(target, list);
}

function result(outcome: BotocoreOutcome | undefined): Record<string, unknown> {
  if (outcome?.ok !== true) throw new Error(`the call failed: ${JSON.stringify(outcome)}`);
  return outcome.result;
}

async function queue(label: string, attributes: Record<string, string> = {}): Promise<string> {
  const [createdQueue] = await calls({ operation: 'create_queue', params: { QueueName: uniqueName(label), Attributes: attributes } });
  const url = result(createdQueue)['QueueUrl'] as string;
  created.push(url);
  return url;
}

/** The queue's URL under 127.0.0.1 (as a Celery broker is configured), not fauxqs' own host name. */
function loopbackUrl(queueUrl: string): string {
  return `${endpoints.sqsEndpoint}/${LOCAL_ACCOUNT_ID}/${queueUrl.split('/').pop()!}`;
}

describe('the local SQS in the query protocol (botocore 1.29)', () => {
  it('creates a queue with attributes and finds it by name, in the list and by its attributes', async () => {
    const name = uniqueName('query-create');
    const [createdQueue, url, listed, attributes] = await calls(
      { operation: 'create_queue', params: { QueueName: name, Attributes: { VisibilityTimeout: '45', DelaySeconds: '2' } } },
      { operation: 'get_queue_url', params: { QueueName: name } },
      { operation: 'list_queues', params: { QueueNamePrefix: name } },
      { operation: 'get_queue_attributes', params: { QueueUrl: '$0.QueueUrl', AttributeNames: ['VisibilityTimeout', 'DelaySeconds', 'QueueArn'] } },
    );
    created.push(result(createdQueue)['QueueUrl'] as string);

    expect(result(url)['QueueUrl']).toBe(result(createdQueue)['QueueUrl']);
    expect(result(listed)['QueueUrls']).toEqual([result(createdQueue)['QueueUrl']]);
    expect(result(attributes)['Attributes']).toEqual({
      VisibilityTimeout: '45',
      DelaySeconds: '2',
      QueueArn: `arn:aws:sqs:${endpoints.region}:${LOCAL_ACCOUNT_ID}:${name}`,
    });
  });

  it('sends a message with string and binary attributes that botocore receives intact, with the system attributes asked for', async () => {
    const url = await queue('query-attributes');
    const body = 'a body with <markup> & "quotes", a CR\r\nand unicode ✓';
    const [sent, received] = await calls(
      {
        operation: 'send_message',
        params: {
          QueueUrl: url,
          MessageBody: body,
          MessageAttributes: {
            task: { DataType: 'String', StringValue: 'tasks.add' },
            blob: { DataType: 'Binary', BinaryValue: { $bytes: Buffer.from([0, 1, 254]).toString('base64') } },
            count: { DataType: 'Number', StringValue: '3' },
          },
        },
      },
      {
        operation: 'receive_message',
        params: { QueueUrl: url, AttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'], MessageAttributeNames: ['All'], WaitTimeSeconds: 1 },
      },
    );
    const messages = result(received)['Messages'] as Array<Record<string, unknown>>;

    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      MessageId: result(sent)['MessageId'],
      Body: body,
      Attributes: { ApproximateReceiveCount: '1', SentTimestamp: expect.stringMatching(/^\d{13}$/) },
      MessageAttributes: {
        task: { DataType: 'String', StringValue: 'tasks.add' },
        blob: { DataType: 'Binary', BinaryValue: { $bytes: Buffer.from([0, 1, 254]).toString('base64') } },
        count: { DataType: 'Number', StringValue: '3' },
      },
    });
    expect(Object.keys(messages[0]!['Attributes'] as object).sort()).toEqual(['ApproximateReceiveCount', 'SentTimestamp']);
  });

  it("takes a message the AWS SDK v3 sent in the JSON protocol, and deletes it so that neither protocol receives it again", async () => {
    const url = await queue('query-json-mix');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'from the JSON protocol' }));
    const [received, deleted, again] = await calls(
      { operation: 'receive_message', params: { QueueUrl: url, WaitTimeSeconds: 1, VisibilityTimeout: 0 } },
      { operation: 'delete_message', params: { QueueUrl: url, ReceiptHandle: '$0.Messages.0.ReceiptHandle' } },
      { operation: 'receive_message', params: { QueueUrl: url, WaitTimeSeconds: 0 } },
    );
    const fromJson = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));

    expect((result(received)['Messages'] as Array<{ Body: string }>)[0]!.Body).toBe('from the JSON protocol');
    expect(deleted).toEqual({ ok: true, result: {} });
    expect(result(again)['Messages']).toBeUndefined();
    expect(fromJson.Messages ?? []).toHaveLength(0);
  });

  it('sends, changes the visibility of and deletes in batches, reporting a failed entry with its code', async () => {
    const url = await queue('query-batch');
    const [sent, received, hidden, changed, again, deleted, left] = await calls(
      {
        operation: 'send_message_batch',
        params: {
          QueueUrl: url,
          Entries: [
            { Id: 'one', MessageBody: 'first', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } },
            { Id: 'two', MessageBody: 'second' },
            { Id: 'late', MessageBody: 'too late', DelaySeconds: 901 },
          ],
        },
      },
      { operation: 'receive_message', params: { QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30 } },
      { operation: 'receive_message', params: { QueueUrl: url, WaitTimeSeconds: 0 } },
      {
        operation: 'change_message_visibility_batch',
        params: { QueueUrl: url, Entries: [{ Id: 'a', ReceiptHandle: '$1.Messages.0.ReceiptHandle', VisibilityTimeout: 0 }] },
      },
      { operation: 'receive_message', params: { QueueUrl: url, WaitTimeSeconds: 1 } },
      {
        operation: 'delete_message_batch',
        params: {
          QueueUrl: url,
          Entries: [
            { Id: 'a', ReceiptHandle: '$4.Messages.0.ReceiptHandle' },
            { Id: 'b', ReceiptHandle: '$1.Messages.1.ReceiptHandle' },
          ],
        },
      },
      { operation: 'get_queue_attributes', params: { QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] } },
    );
    const firstTwo = result(received)['Messages'] as Array<{ Body: string; MessageId: string }>;

    expect((result(sent)['Successful'] as Array<{ Id: string }>).map((entry) => entry.Id).sort()).toEqual(['one', 'two']);
    expect(result(sent)['Failed']).toEqual([
      {
        Id: 'late',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: 'Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.',
      },
    ]);
    expect(firstTwo.map((message) => message.Body).sort()).toEqual(['first', 'second']);
    expect(result(hidden)['Messages']).toBeUndefined();
    expect(result(changed)['Successful']).toEqual([{ Id: 'a' }]);
    expect((result(again)['Messages'] as Array<{ MessageId: string }>).map((message) => message.MessageId)).toEqual([firstTwo[0]!.MessageId]);
    expect((result(deleted)['Successful'] as Array<{ Id: string }>).map((entry) => entry.Id).sort()).toEqual(['a', 'b']);
    expect(result(left)['Attributes']).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('hides a received message for its visibility timeout and shows it again when the visibility is changed to 0', async () => {
    const url = await queue('query-visibility', { VisibilityTimeout: '60' });
    const [, first, hidden, changed, again] = await calls(
      { operation: 'send_message', params: { QueueUrl: url, MessageBody: 'once more' } },
      { operation: 'receive_message', params: { QueueUrl: url, WaitTimeSeconds: 1 } },
      { operation: 'receive_message', params: { QueueUrl: url, WaitTimeSeconds: 0 } },
      { operation: 'change_message_visibility', params: { QueueUrl: url, ReceiptHandle: '$1.Messages.0.ReceiptHandle', VisibilityTimeout: 0 } },
      { operation: 'receive_message', params: { QueueUrl: url, WaitTimeSeconds: 1, AttributeNames: ['ApproximateReceiveCount'] } },
    );

    expect((result(first)['Messages'] as unknown[]).length).toBe(1);
    expect(result(hidden)['Messages']).toBeUndefined();
    expect(changed).toEqual({ ok: true, result: {} });
    expect((result(again)['Messages'] as Array<{ Body: string; Attributes: unknown }>)[0]).toMatchObject({
      Body: 'once more',
      Attributes: { ApproximateReceiveCount: '2' },
    });
  });

  it('accepts the queue URL under 127.0.0.1, as a Celery broker names it, then purges, reconfigures and deletes the queue', async () => {
    const url = await queue('query-loopback');
    const loopback = loopbackUrl(url);
    const [sent, purged, reconfigured, attributes, deleted, gone] = await calls(
      { operation: 'send_message', params: { QueueUrl: loopback, MessageBody: 'to be purged' } },
      { operation: 'purge_queue', params: { QueueUrl: loopback } },
      { operation: 'set_queue_attributes', params: { QueueUrl: loopback, Attributes: { VisibilityTimeout: '7' } } },
      { operation: 'get_queue_attributes', params: { QueueUrl: url, AttributeNames: ['VisibilityTimeout', 'ApproximateNumberOfMessages'] } },
      { operation: 'delete_queue', params: { QueueUrl: loopback } },
      { operation: 'get_queue_url', params: { QueueName: url.split('/').pop() } },
    );

    expect(sent).toMatchObject({ ok: true });
    expect(purged).toEqual({ ok: true, result: {} });
    expect(reconfigured).toEqual({ ok: true, result: {} });
    expect(result(attributes)['Attributes']).toEqual({ VisibilityTimeout: '7', ApproximateNumberOfMessages: '0' });
    expect(deleted).toEqual({ ok: true, result: {} });
    expect(gone).toMatchObject({ ok: false, code: 'AWS.SimpleQueueService.NonExistentQueue', type: 'Sender', status: 400 });
  });

  it("answers errors in SQS's XML error format, which botocore reads into its code, type, message and status", async () => {
    const url = await queue('query-errors');
    const [missing, badWait, badHandle, tooMany] = await calls(
      { operation: 'send_message', params: { QueueUrl: `${endpoints.sqsEndpoint}/${LOCAL_ACCOUNT_ID}/${uniqueName('absent')}`, MessageBody: 'x' } },
      { operation: 'receive_message', params: { QueueUrl: url, WaitTimeSeconds: 21 } },
      { operation: 'change_message_visibility', params: { QueueUrl: url, ReceiptHandle: 'not-a-handle', VisibilityTimeout: 5 } },
      { operation: 'receive_message', params: { QueueUrl: url, MaxNumberOfMessages: 11 } },
    );

    expect(missing).toEqual({
      ok: false,
      code: 'AWS.SimpleQueueService.NonExistentQueue',
      type: 'Sender',
      message: 'The specified queue does not exist.',
      status: 400,
    });
    expect(badWait).toMatchObject({ ok: false, code: 'InvalidParameterValue', type: 'Sender', status: 400, message: expect.stringContaining('WaitTimeSeconds') });
    expect(badHandle).toMatchObject({ ok: false, type: 'Sender', status: 400 });
    expect(tooMany).toMatchObject({ ok: false, code: 'InvalidParameterValue', status: 400 });
  });
});
