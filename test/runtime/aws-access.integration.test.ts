import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { CONSUMER_AWS_ACCESS, defaultRoutingDocument, serializeEnvelope, type RoutingDocument, type TaskEnvelope } from '../../lib/contract';
import { ClaimCheckStore } from '../../lib/aws/claim-check';
import { celeryDestination, sqsForwardingDestination } from '../../lib/aws/destinations';
import { encodeCeleryMessage } from '../../lib/celery';
import { createTaskHandler, defineTask, type CreateTaskHandlerOptions } from '../../lib/runtime';
import { sdkClientsForEmulators } from '../support/emulator-env';
import { envelope, lambdaContext, quietTelemetry, sqsEvent, sqsRecord } from './support/factories';
import { createResources, deleteResources, harnessClients, pollOnce, sendBody, type RuntimeResources } from './support/emulator-harness';

/**
 * What the runtime really calls, recorded from its clients while it handles every kind of message against the
 * emulators, compared with CONSUMER_AWS_ACCESS — the constant the constructs grant from. A call outside it would
 * work locally and fail in AWS; a grant no path uses is one too many.
 */

interface Call {
  readonly service: 'sqs' | 's3' | 'dynamodb';
  readonly action: string;
  readonly target: string;
}

const { sdk, raw } = harnessClients();
let resources: RuntimeResources;
let legacyUrl: string;
let celeryUrl: string;
const calls: Call[] = [];
/** Calls are recorded only while the handler runs (the test's own setup shares the SDK's process-wide clients). */
let recording = false;
const recorded = sdkClientsForEmulators();

function recordCall(service: Call['service'], commandName: string, input: Record<string, unknown>): void {
  if (!recording) return;
  const action = `${service}:${commandName.replace(/Command$/, '')}`;
  const target = String(input['QueueUrl'] ?? input['TableName'] ?? `${String(input['Bucket'])}/${String(input['Key'] ?? input['Prefix'] ?? '')}`);
  calls.push({ service, action, target });
}
const recordStep = { step: 'initialize', name: 'recordCalls' } as const;
recorded.sqs.middlewareStack.add((next, context) => async (args) => {
  recordCall('sqs', context.commandName ?? '', args.input as Record<string, unknown>);
  return next(args);
}, recordStep);
recorded.s3.middlewareStack.add((next, context) => async (args) => {
  recordCall('s3', context.commandName ?? '', args.input as Record<string, unknown>);
  return next(args);
}, recordStep);
recorded.dynamodb.middlewareStack.add((next, context) => async (args) => {
  recordCall('dynamodb', context.commandName ?? '', args.input as Record<string, unknown>);
  return next(args);
}, recordStep);

const work = defineTask({ name: 'acc.work', schema: z.object({ n: z.number() }), handler: (payload) => ({ n: payload.n }) });
const big = defineTask({ name: 'acc.big', schema: z.object({}), handler: () => 'r'.repeat(40 * 1024) });
const flaky = defineTask({
  name: 'acc.flaky',
  schema: z.object({}),
  maxAttempts: 2,
  backoff: { baseSeconds: 0, capSeconds: 0 },
  handler: () => {
    throw new Error('always');
  },
});

function handler(overrides: Partial<CreateTaskHandlerOptions> = {}): ReturnType<typeof createTaskHandler> {
  const inner = createTaskHandler({
    tasks: [work, big, flaky],
    clients: recorded,
    queueName: 'default',
    queueUrl: resources.queueUrl,
    dlqUrl: resources.dlqUrl,
    queueUrls: { default: resources.queueUrl, other: resources.otherQueueUrl },
    destinations: [
      sqsForwardingDestination({ name: 'legacy', queueUrl: legacyUrl, sqs: recorded.sqs }),
      celeryDestination({ name: 'celery', queueUrl: celeryUrl, sqs: recorded.sqs, tasks: [{ task: 'acc.work', celeryTask: 'app.work' }] }),
    ],
    celery: { tasks: [{ task: 'acc.work', celeryTask: 'app.work' }] },
    maxReceiveCount: resources.maxReceiveCount,
    maxDelaySeconds: 1,
    tableName: resources.tableName,
    bucketName: resources.bucketName,
    ...quietTelemetry(),
    ...overrides,
  });
  return async (event, context) => {
    recording = true;
    try {
      return await inner(event, context);
    } finally {
      recording = false;
    }
  };
}

function routingTo(destination: string): { current: () => Promise<RoutingDocument> } {
  const document: RoutingDocument = { ...defaultRoutingDocument('default'), defaultDestination: destination };
  return { current: () => Promise.resolve(document) };
}

async function publish(env: TaskEnvelope): Promise<void> {
  await sendBody(sdk, resources.queueUrl, serializeEnvelope(env));
}

beforeAll(async () => {
  resources = await createResources(raw, 'access');
  legacyUrl = (await raw.sqs.send(new CreateQueueCommand({ QueueName: `${resources.name}-legacy` }))).QueueUrl as string;
  celeryUrl = (await raw.sqs.send(new CreateQueueCommand({ QueueName: `${resources.name}-celery` }))).QueueUrl as string;
  const claimChecks = new ClaimCheckStore({ s3: sdk.s3, bucket: resources.bucketName });

  // Every kind of message the runtime handles.
  await publish(envelope('acc.work', { n: 1 }));
  await publish(envelope('acc.big', {}));
  const checked = envelope('acc.work', undefined);
  const { payload: _payload, ...rest } = checked;
  await publish({ ...rest, claimCheck: await claimChecks.put(checked.id, JSON.stringify({ n: 2 })) });
  await publish({ ...rest, id: `${checked.id}X`, claimCheck: { ...(await claimChecks.put(`${checked.id}X`, '{"n":3}')), key: `claim-checks/${checked.id}X/missing` } });
  await publish(envelope('acc.flaky', {}));
  await publish(envelope('acc.work', { n: 4 }, { eta: new Date(Date.now() + 3_600_000).toISOString() }));
  await publish(envelope('acc.unknown', {}));
  await sendBody(sdk, resources.queueUrl, 'not json');
  await pollOnce(sdk, resources.queueUrl, handler(), 1);
  await pollOnce(sdk, resources.queueUrl, handler(), 1);
  await publish(envelope('acc.work', { n: 5 }));
  await pollOnce(sdk, resources.queueUrl, handler({ routing: routingTo('other') }), 1);
  await publish(envelope('acc.work', { n: 6 }));
  await pollOnce(sdk, resources.queueUrl, handler({ routing: routingTo('legacy') }), 1);
  await publish(envelope('acc.work', { n: 8 }));
  await pollOnce(sdk, resources.queueUrl, handler({ routing: routingTo('celery') }), 1);
  // The Celery intake: a Celery message it runs and one it dead-letters (an unmapped task).
  await sendBody(sdk, resources.queueUrl, encodeCeleryMessage({ task: 'app.work', id: 'celery-acc-1', args: [], kwargs: { n: 9 }, queue: resources.name }));
  await sendBody(sdk, resources.queueUrl, encodeCeleryMessage({ task: 'app.unmapped', id: 'celery-acc-2', args: [], kwargs: {}, queue: resources.name }));
  await pollOnce(sdk, resources.queueUrl, handler(), 1);
  // A carried outcome for a task whose state item is gone (TTL): the refused write is read back.
  const orphan = envelope('acc.work', { n: 7 }, { outcome: { transition: 'succeed', token: 'msg/00', attempt: 1 } });
  await handler()(sqsEvent(sqsRecord(orphan)), lambdaContext(60_000));
}, 60_000);

afterAll(async () => {
  await raw.sqs.send(new DeleteQueueCommand({ QueueUrl: legacyUrl }));
  await raw.sqs.send(new DeleteQueueCommand({ QueueUrl: celeryUrl }));
  await deleteResources(raw, resources);
  for (const client of [recorded.sqs, recorded.s3, recorded.dynamodb, raw.sqs, raw.s3, raw.dynamodb]) client.destroy();
});

describe('the AWS calls of the consumer runtime', () => {
  it('touch the task-state table only with the DynamoDB actions the constructs grant, and use every one of them', () => {
    const used = new Set(calls.filter((call) => call.service === 'dynamodb').map((call) => call.action));
    expect([...used].sort()).toEqual([...CONSUMER_AWS_ACCESS.taskStateTable.actions].sort());
    expect(calls.filter((call) => call.service === 'dynamodb').every((call) => call.target === resources.tableName)).toBe(true);
  });

  it('touch the bucket only on the granted key prefixes, and use every object grant', () => {
    const s3 = calls.filter((call) => call.service === 's3');
    const granted = CONSUMER_AWS_ACCESS.claimCheckBucket.objects;
    for (const call of s3) {
      const key = call.target.slice(resources.bucketName.length + 1);
      expect({ call, granted: granted.some((grant) => `s3:${call.action.slice(3)}` === grant.action && key.startsWith(grant.keyPrefix)) }).toEqual({ call, granted: true });
    }
    for (const grant of granted) expect(s3.some((call) => call.action === grant.action)).toBe(true);
  });

  it('send and change messages only on the queues the constructs grant', () => {
    const allowed: Record<string, readonly string[]> = {
      [resources.queueUrl]: CONSUMER_AWS_ACCESS.queues.own,
      [resources.dlqUrl]: CONSUMER_AWS_ACCESS.queues.deadLetterQueue,
      [resources.otherQueueUrl]: CONSUMER_AWS_ACCESS.queues.otherTaskQueues,
      [legacyUrl]: CONSUMER_AWS_ACCESS.queues.legacyQueue,
      [celeryUrl]: CONSUMER_AWS_ACCESS.queues.celeryQueue,
    };
    const sqs = calls.filter((call) => call.service === 'sqs');
    expect(sqs.length).toBeGreaterThan(5);
    for (const call of sqs) expect({ call, allowed: allowed[call.target]?.includes(call.action) ?? false }).toEqual({ call, allowed: true });
    for (const target of Object.keys(allowed)) expect(sqs.some((call) => call.target === target)).toBe(true);
  });
});
