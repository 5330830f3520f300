import {
  answerSqsQuery,
  errorXml,
  escapeXml,
  isSqsQuery,
  jsonToXml,
  mayBeQueryRequest,
  queryErrorOf,
  queryParametersOf,
  queryToJson,
  type SqsHttpAnswer,
} from '../../local/sqs-query-protocol';

const form = (body: string): Map<string, string> => new Map(new URLSearchParams(body));

describe('queryToJson', () => {
  it('reads a ReceiveMessage as kombu sends it: flattened attribute names, integers, and the queue from the path', () => {
    const params = form('Action=ReceiveMessage&MaxNumberOfMessages=10&AttributeName.1=ApproximateReceiveCount&AttributeName.2=SentTimestamp&WaitTimeSeconds=1&VisibilityTimeout=30&MessageAttributeName.1=All');

    expect(queryToJson(params, '/000000000000/celery')).toEqual({
      action: 'ReceiveMessage',
      input: {
        QueueUrl: '/000000000000/celery',
        MaxNumberOfMessages: 10,
        AttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
        VisibilityTimeout: 30,
      },
    });
  });

  it('reads message attributes (string, number, binary) and keeps a QueueUrl parameter over the path', () => {
    const params = form(
      'Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Fh%2F000000000000%2Fq&MessageBody=x&DelaySeconds=5' +
        '&MessageAttribute.1.Name=task&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=tasks.add' +
        '&MessageAttribute.2.Name=blob&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AAH%2B',
    );

    expect(queryToJson(params, '/')).toEqual({
      action: 'SendMessage',
      input: {
        QueueUrl: 'http://h/000000000000/q',
        MessageBody: 'x',
        DelaySeconds: 5,
        MessageAttributes: {
          task: { DataType: 'String', StringValue: 'tasks.add' },
          blob: { DataType: 'Binary', BinaryValue: 'AAH+' },
        },
      },
    });
  });

  it('reads batch entries in the order of their index, each with its own fields and attributes', () => {
    const params = form(
      'Action=SendMessageBatch&QueueUrl=q' +
        '&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=second&SendMessageBatchRequestEntry.2.DelaySeconds=0' +
        '&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=first' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Number' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=1' +
        '&SendMessageBatchRequestEntry.10.Id=j&SendMessageBatchRequestEntry.10.MessageBody=tenth',
    );

    expect(queryToJson(params).input['Entries']).toEqual([
      { Id: 'a', MessageBody: 'first', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } },
      { Id: 'b', MessageBody: 'second', DelaySeconds: 0 },
      { Id: 'j', MessageBody: 'tenth' },
    ]);
  });

  it('reads queue attributes and tags as maps (CreateQueue tags as `tags`), and tag keys as a list', () => {
    const created = queryToJson(form('Action=CreateQueue&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=30&Tag.1.Key=team&Tag.1.Value=ops'), '/');
    const untagged = queryToJson(form('Action=UntagQueue&QueueUrl=q&TagKey.1=team&TagKey.2=cost'));
    const changed = queryToJson(
      form('Action=ChangeMessageVisibilityBatch&ChangeMessageVisibilityBatchRequestEntry.1.Id=a&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=r&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=0'),
      '/000000000000/q',
    );

    expect(created.input).toEqual({ QueueName: 'q', Attributes: { VisibilityTimeout: '30' }, tags: { team: 'ops' } });
    expect(untagged.input).toEqual({ QueueUrl: 'q', TagKeys: ['team', 'cost'] });
    expect(changed.input).toEqual({ QueueUrl: '/000000000000/q', Entries: [{ Id: 'a', ReceiptHandle: 'r', VisibilityTimeout: 0 }] });
  });

  it("reads kombu's unnumbered AttributeName=All as a list of one, and ignores signature parameters", () => {
    const params = form('Action=GetQueueAttributes&AttributeName=All&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc&Version=2012-11-05');

    expect(queryToJson(params, '/000000000000/q').input).toEqual({ QueueUrl: '/000000000000/q', AttributeNames: ['All'] });
  });

  it('does not take a queue from the path of an action that names none (CreateQueue, GetQueueUrl, ListQueues)', () => {
    expect(queryToJson(form('Action=GetQueueUrl&QueueName=q'), '/000000000000/other').input).toEqual({ QueueName: 'q' });
  });

  it('refuses an integer parameter that is not an integer, saying which and what was given', () => {
    expect(() => queryToJson(form('Action=ReceiveMessage&WaitTimeSeconds=soon'))).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValue', message: 'Value soon for parameter WaitTimeSeconds is invalid. Reason: must be an integer.' }),
    );
  });

  it('refuses an action SQS does not have, and a map entry without its key', () => {
    expect(() => queryToJson(form('Action=Publish&TopicArn=t'))).toThrow(
      expect.objectContaining({ code: 'InvalidAction', message: 'The action Publish is not valid for this endpoint.' }),
    );
    expect(() => queryToJson(form('Action=SetQueueAttributes&QueueUrl=q&Attribute.1.Value=30'))).toThrow(
      expect.objectContaining({ code: 'MissingParameter', message: 'Each Attribute.N needs its Attribute.N.Name; an entry without one was given.' }),
    );
  });
});

describe('isSqsQuery and the request forms', () => {
  it("tells SQS's query requests from SNS's, which share the form encoding and always send their own version", () => {
    expect(isSqsQuery(form('Action=ReceiveMessage'))).toBe(true);
    expect(isSqsQuery(form('Action=SendMessage&Version=2012-11-05'))).toBe(true);
    expect(isSqsQuery(form('Action=AddPermission&Version=2010-03-31'))).toBe(false);
    expect(isSqsQuery(form('Action=Publish&Version=2010-03-31'))).toBe(false);
    expect(isSqsQuery(form('Action=GetCallerIdentity&Version=2011-06-15'))).toBe(false);
  });

  it('finds the parameters in a form body or, for a presigned GET, in the URL', () => {
    const body = Buffer.from('Action=DeleteMessage&ReceiptHandle=r%2B1');

    expect(mayBeQueryRequest('POST', '/000000000000/q', 'application/x-www-form-urlencoded; charset=utf-8')).toBe(true);
    expect(mayBeQueryRequest('GET', '/000000000000/q?Action=DeleteMessage&ReceiptHandle=r', undefined)).toBe(true);
    expect(mayBeQueryRequest('POST', '/', 'application/x-amz-json-1.0')).toBe(false);
    expect(mayBeQueryRequest('GET', '/bucket/key?list-type=2', undefined)).toBe(false);
    expect(queryParametersOf('POST', '/', 'application/x-www-form-urlencoded', body)?.get('ReceiptHandle')).toBe('r+1');
    expect(queryParametersOf('GET', '/q?Action=PurgeQueue', undefined, undefined)?.get('Action')).toBe('PurgeQueue');
    expect(queryParametersOf('PUT', '/bucket/key', 'application/octet-stream', body)).toBeUndefined();
  });
});

describe('jsonToXml', () => {
  it('writes a ReceiveMessage answer with flattened messages, attribute maps and message attribute values', () => {
    const xml = jsonToXml(
      'ReceiveMessage',
      {
        Messages: [
          {
            MessageId: 'm1',
            ReceiptHandle: 'r1',
            MD5OfBody: 'md5',
            Body: 'a <b> & "c"\r\n',
            Attributes: { ApproximateReceiveCount: '1' },
            MD5OfMessageAttributes: 'md5a',
            MessageAttributes: { task: { StringValue: 'tasks.add', DataType: 'String' } },
          },
        ],
      },
      'req-1',
    );

    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ReceiveMessageResult>' +
        '<Message><MessageId>m1</MessageId><ReceiptHandle>r1</ReceiptHandle><MD5OfBody>md5</MD5OfBody>' +
        '<Body>a &lt;b&gt; &amp; &quot;c&quot;&#xD;\n</Body><Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>' +
        '<MD5OfMessageAttributes>md5a</MD5OfMessageAttributes><MessageAttribute><Name>task</Name><Value><StringValue>tasks.add</StringValue>' +
        '<DataType>String</DataType></Value></MessageAttribute></Message></ReceiveMessageResult>' +
        '<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ReceiveMessageResponse>',
    );
  });

  it('names batch result entries after the action and writes failures as BatchResultErrorEntry', () => {
    const xml = jsonToXml(
      'DeleteMessageBatch',
      { Successful: [{ Id: 'a' }], Failed: [{ Id: 'b', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'bad' }] },
      'r',
    );

    expect(xml).toContain(
      '<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>' +
        '<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code><Message>bad</Message></BatchResultErrorEntry>' +
        '</DeleteMessageBatchResult>',
    );
  });

  it('writes ListQueues as flattened QueueUrl elements, and an action without output with its metadata only', () => {
    expect(jsonToXml('ListQueues', { QueueUrls: ['u1', 'u2'] }, 'r')).toContain('<ListQueuesResult><QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl></ListQueuesResult>');
    expect(jsonToXml('DeleteMessage', {}, 'r')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' +
        '<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteMessageResponse>',
    );
  });
});

describe('errors', () => {
  it('uses the query code where the protocols name an error differently, and the header code for AccessDenied', () => {
    expect(queryErrorOf(400, 'AWS.SimpleQueueService.NonExistentQueue;Sender', '{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}')).toEqual({
      code: 'AWS.SimpleQueueService.NonExistentQueue',
      type: 'Sender',
      message: 'The specified queue does not exist.',
    });
    expect(queryErrorOf(400, 'AWS.SimpleQueueService.InvalidParameterValue;Sender', '{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"m"}').code).toBe(
      'InvalidParameterValue',
    );
    expect(queryErrorOf(403, 'AccessDenied;Sender', '{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no"}')).toEqual({
      code: 'AccessDenied',
      type: 'Sender',
      message: 'no',
    });
    expect(queryErrorOf(500, undefined, 'not json')).toEqual({ code: 'InternalFailure', type: 'Receiver', message: '' });
  });

  it("writes SQS's ErrorResponse document, escaping the message", () => {
    expect(errorXml({ code: 'AccessDenied', type: 'Sender', message: 'User: a<b> is not authorized' }, 'r')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type>' +
        '<Code>AccessDenied</Code><Message>User: a&lt;b&gt; is not authorized</Message><Detail/></Error><RequestId>r</RequestId></ErrorResponse>',
    );
    expect(escapeXml(`&<>"'\r\n\t`)).toBe('&amp;&lt;&gt;&quot;&apos;&#xD;\n\t');
  });
});

describe('answerSqsQuery', () => {
  const ok = (body: unknown): SqsHttpAnswer => ({ statusCode: 200, headers: {}, body: JSON.stringify(body) });

  it("resolves a queue URL by its name to the emulator's own URL before the call", async () => {
    const calls: Array<[string, Record<string, unknown>]> = [];
    const answer = await answerSqsQuery(form('Action=PurgeQueue'), '/000000000000/celery', async (action, input) => {
      calls.push([action, input]);
      return action === 'GetQueueUrl' ? ok({ QueueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/celery' }) : ok({});
    }, 'r');

    expect(answer.statusCode).toBe(200);
    expect(calls).toEqual([
      ['GetQueueUrl', { QueueName: 'celery' }],
      ['PurgeQueue', { QueueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/celery' }],
    ]);
  });

  it('remembers a queue URL across requests, resolves it afresh when the queue is gone from it, and forgets a deleted queue', async () => {
    const queueUrls = new Map<string, string>();
    let current = 'http://sqs.us-east-1.localhost:4566/000000000000/celery';
    const calls: string[] = [];
    const callJson = async (action: string, input: Record<string, unknown>): Promise<SqsHttpAnswer> => {
      calls.push(action === 'GetQueueUrl' ? 'GetQueueUrl' : `${action} ${String(input['QueueUrl'])}`);
      if (action === 'GetQueueUrl') return ok({ QueueUrl: current });
      if (input['QueueUrl'] !== current) {
        return { statusCode: 400, headers: { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' }, body: '{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}' };
      }
      return ok({});
    };
    const purge = (): Promise<SqsHttpAnswer> => answerSqsQuery(form('Action=PurgeQueue'), '/000000000000/celery', callJson, 'r', queueUrls);

    await purge();
    await purge();
    current = 'http://127.0.0.1:4566/000000000000/celery';
    const afterRecreation = await purge();
    await answerSqsQuery(form('Action=DeleteQueue'), '/000000000000/celery', callJson, 'r', queueUrls);

    expect(afterRecreation.statusCode).toBe(200);
    expect(calls).toEqual([
      'GetQueueUrl',
      'PurgeQueue http://sqs.us-east-1.localhost:4566/000000000000/celery',
      'PurgeQueue http://sqs.us-east-1.localhost:4566/000000000000/celery',
      'PurgeQueue http://sqs.us-east-1.localhost:4566/000000000000/celery',
      'GetQueueUrl',
      'PurgeQueue http://127.0.0.1:4566/000000000000/celery',
      'DeleteQueue http://127.0.0.1:4566/000000000000/celery',
    ]);
    expect(queueUrls.has('celery')).toBe(false);
  });

  it('answers a parameter it cannot read with a 400 XML error and makes no call', async () => {
    let called = false;
    const answer = await answerSqsQuery(form('Action=ReceiveMessage&MaxNumberOfMessages=ten'), '/', async () => {
      called = true;
      return ok({});
    }, 'r');

    expect(called).toBe(false);
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['content-type']).toBe('text/xml');
    expect(answer.body).toContain('<Code>InvalidParameterValue</Code><Message>Value ten for parameter MaxNumberOfMessages is invalid.');
  });
});
