import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { EventSourcePoller } from '../../local/event-source-poller';
import { type LocalMapping, LocalLambdaApi, mappingUuid } from '../../local/lambda-api';
import { emulatorClients, emulatorEndpoints, uniqueName } from '../support/emulator-env';

const { sqs } = emulatorClients();
const { region } = emulatorEndpoints();
const FUNCTION_ARN = `arn:aws:lambda:${region}:000000000000:function:Bosun-local-consumer`;

let api: LocalLambdaApi;
let lambda: LambdaClient;
let poller: EventSourcePoller;
let queueUrl: string;
let queueArn: string;
const invoked: string[] = [];
const uuid = mappingUuid('Bosun-local', 'ConsumerSqsEventSource');

beforeAll(async () => {
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('esm-api') }))).QueueUrl!;
  queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  poller = new EventSourcePoller({
    sqs,
    queueUrl,
    queueArn,
    region,
    waitTimeSeconds: 1,
    maxConcurrency: 1,
    invoke: async (event) => {
      invoked.push(...event.Records.map((record) => record.body));
      return undefined;
    },
  });
  poller.start();
  const mapping: LocalMapping = {
    uuid,
    queueArn,
    functionName: 'Bosun-local-consumer',
    functionArn: FUNCTION_ARN,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    maxConcurrency: 2,
    reportBatchItemFailures: true,
    state: () => poller.state,
    enable: () => poller.enable(),
    disable: () => poller.disable(),
  };
  api = await LocalLambdaApi.start([mapping]);
  lambda = new LambdaClient({ region, credentials: LOCAL_CREDENTIALS, endpoint: api.endpoint });
});

afterAll(async () => {
  lambda.destroy();
  await api.stop();
  await poller.stop();
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  sqs.destroy();
});

async function waitForState(wanted: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    if (State === wanted) return;
    if (Date.now() > deadline) throw new Error(`mapping stayed ${State}, not ${wanted}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the local Lambda event-source-mapping API, through @aws-sdk/client-lambda', () => {
  it('gives a mapping the same UUID for the same stack and logical id, and another for another', () => {
    expect(mappingUuid('Bosun-local', 'ConsumerSqsEventSource')).toBe(uuid);
    expect(mappingUuid('Bosun-local', 'BulkConsumerSqsEventSource')).not.toBe(uuid);
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('lists the mappings of a queue by its ARN and of a function by name, with their settings and state', async () => {
    const byQueue = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: queueArn }));
    const byFunction = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'Bosun-local-consumer' }));
    const other = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: `${queueArn}-other` }));

    expect(byQueue.EventSourceMappings).toEqual([
      expect.objectContaining({
        UUID: uuid,
        EventSourceArn: queueArn,
        FunctionArn: FUNCTION_ARN,
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 0,
        ScalingConfig: { MaximumConcurrency: 2 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        State: 'Enabled',
        LastModified: expect.any(Date),
      }),
    ]);
    expect(byFunction.EventSourceMappings?.map((mapping) => mapping.UUID)).toEqual([uuid]);
    expect(other.EventSourceMappings).toEqual([]);
  });

  it('disables a mapping (Disabling, then Disabled): messages wait in the queue; enabling it consumes them', async () => {
    const updated = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    expect(['Disabling', 'Disabled']).toContain(updated.State);
    await waitForState('Disabled');
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'waits' }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(invoked).not.toContain('waits');

    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
    await waitForState('Enabled');
    const deadline = Date.now() + 10_000;
    while (!invoked.includes('waits') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(invoked).toContain('waits');
  });

  it('answers an unknown UUID with ResourceNotFoundException, any other change or call with a clear refusal', async () => {
    await expect(lambda.send(new GetEventSourceMappingCommand({ UUID: 'no-such-mapping' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: expect.stringContaining('event source mapping no-such-mapping'),
    });
    await expect(lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 5 }))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'the local platform updates only Enabled of an event source mapping (given BatchSize); change the others in the CDK app',
    });
    await expect(lambda.send(new ListFunctionsCommand({}))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('serves only ListEventSourceMappings, GetEventSourceMapping and UpdateEventSourceMapping'),
    });
    expect(poller.state).toBe('Enabled');
  });
});
