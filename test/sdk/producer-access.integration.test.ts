import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { LOCAL_CREDENTIALS, PRODUCER_AWS_ACCESS, type RoutingDocument } from '../../lib/contract';
import { celeryDestination } from '../../lib/aws/destinations';
import { staticRoutingSource } from '../../lib/aws/routing-sources';
import { createTaskClient, type TaskClientOptions } from '../../lib/sdk/task-client';
import { LocalScheduler } from '../../local/local-scheduler';
import { emulatorClients } from '../support/emulator-env';
import {
  createBucket,
  createQueue,
  createTable,
  deleteQueue,
  deleteTable,
  emptyAndDeleteBucket,
  payloadOfBytes,
  sdkClientsForEmulators,
} from './support/fixtures';

/**
 * What the producer SDK really calls, recorded from its clients while it publishes every kind of task against the
 * emulators, compared with PRODUCER_AWS_ACCESS — the constant `PlatformStack.grantPublish` grants from. A call outside
 * it would work locally and fail in AWS; a grant no path uses is one too many. (AppConfig reads are not recorded: no
 * emulator serves AppConfig; the routing document comes from a static source here.)
 */

interface Call {
  readonly action: string;
  readonly target: string;
}

/** The IAM actions a call is authorized as: per item for transactions, SendMessage for batches. */
function iamActions(service: string, command: string, input: Record<string, unknown>): Call[] {
  const name = command.replace(/Command$/, '');
  if (service === 'dynamodb' && name === 'TransactWriteItems') {
    const items = input['TransactItems'] as Record<string, { TableName: string }>[];
    const byKind: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };
    return items.flatMap((item) =>
      Object.entries(item).map(([kind, operation]) => ({ action: `dynamodb:${byKind[kind] ?? kind}`, target: operation.TableName })),
    );
  }
  if (service === 'sqs') return [{ action: `sqs:${name.replace(/Batch$/, '')}`, target: String(input['QueueUrl']) }];
  if (service === 'scheduler') {
    const target = `${String(input['GroupName'])}/${String(input['Name'])}`;
    const role = (input['Target'] as { RoleArn?: string } | undefined)?.RoleArn;
    return [{ action: `scheduler:${name}`, target }, ...(role === undefined ? [] : [{ action: 'iam:PassRole', target: role }])];
  }
  if (service === 's3') return [{ action: `s3:${name}`, target: `${String(input['Bucket'])}/${String(input['Key'])}` }];
  return [{ action: `dynamodb:${name}`, target: String(input['TableName']) }];
}

const raw = emulatorClients();
const recorded = sdkClientsForEmulators();
const calls: Call[] = [];
// Far ETAs go to the local scheduler (EventBridge Scheduler's stand-in), served on loopback.
const ETA_GROUP = 'bosun-access-eta';
const ETA_ROLE = 'arn:aws:iam::000000000000:role/bosun-access-eta';
const schedulerQueues = new Map<string, string>();
const localScheduler = new LocalScheduler({ sqs: raw.sqs, region: 'us-east-1', accountId: '000000000000', queueUrls: schedulerQueues });
let scheduler: SchedulerClient;
const recordCalls = (service: string, client: { middlewareStack: unknown }): void => {
  (client.middlewareStack as { add: (m: unknown, o: unknown) => void }).add(
    (next: (args: { input: object }) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: object }) => {
      calls.push(...iamActions(service, context.commandName ?? '', args.input as Record<string, unknown>));
      return next(args);
    },
    { step: 'initialize', name: 'recordProducerCalls' },
  );
};
for (const [service, client] of Object.entries({ sqs: recorded.sqs, s3: recorded.s3, dynamodb: recorded.dynamodb })) recordCalls(service, client);

let defaultQueue: string;
let legacyQueue: string;
let celeryQueue: string;
let table: string;
let bucket: string;

function client(extra: Partial<TaskClientOptions> = {}) {
  return createTaskClient({
    queueUrls: { default: defaultQueue },
    bucket,
    tableName: table,
    clients: recorded,
    legacyQueueUrl: legacyQueue,
    logger: { warn: () => undefined, info: () => undefined },
    ...extra,
  });
}

const routeTo = (destination: string) =>
  staticRoutingSource({ version: 1, defaultDestination: destination, rules: [] } as RoutingDocument);

beforeAll(async () => {
  [defaultQueue, legacyQueue, celeryQueue, table, bucket] = await Promise.all([
    createQueue(raw.sqs, 'producer-default'),
    createQueue(raw.sqs, 'producer-legacy'),
    createQueue(raw.sqs, 'producer-celery'),
    createTable(raw.dynamodb, 'producer-tasks'),
    createBucket(raw.s3, 'producer-claims'),
  ]);
  const defaultArn = `arn:aws:sqs:us-east-1:000000000000:${defaultQueue.split('/').at(-1)!}`;
  schedulerQueues.set(defaultArn, defaultQueue);
  scheduler = new SchedulerClient({ region: 'us-east-1', endpoint: await localScheduler.listen(), credentials: LOCAL_CREDENTIALS });
  recordCalls('scheduler', scheduler);
  const bosun = client({
    etaSchedules: { client: scheduler, groupName: ETA_GROUP, roleArn: ETA_ROLE, queueArns: { default: defaultArn }, thresholdSeconds: 3_600 },
  });
  // Every kind of publish: plain, claim-checked, dedup-gated (and its duplicate), far ETA (alone and in a batch),
  // batches with and without records, a hand-over to the legacy queue (with and without a dedup gate) and to a Celery
  // worker's queue, a cancel, a state read, and a publish SQS refuses (its record and upload undone).
  await bosun.publish('access.plain', { n: 1 });
  await bosun.publish('access.big', payloadOfBytes(300 * 1024));
  await bosun.publish('access.gated', { n: 2 }, { dedupKey: 'gate-1' });
  await bosun.publish('access.gated', { n: 2 }, { dedupKey: 'gate-1' });
  const far = await bosun.publish('access.later', {}, { eta: new Date(Date.now() + 2 * 3_600_000) });
  await bosun.publishBatch([
    { task: 'access.plain', payload: { n: 3 } },
    { task: 'access.gated', payload: { n: 4 }, options: { dedupKey: 'gate-2' } },
    { task: 'access.gated', payload: { n: 5 }, options: { dedupKey: 'gate-3' } },
    { task: 'access.later', payload: {}, options: { eta: new Date(Date.now() + 3 * 3_600_000) } },
  ]);
  const legacy = client({ routing: routeTo('legacy') });
  await legacy.publish('access.handed', { n: 6 });
  await legacy.publish('access.handed', { n: 7 }, { dedupKey: 'gate-4' });
  const celery = client({
    routing: routeTo('celery'),
    destinations: [celeryDestination({ name: 'celery', queueUrl: celeryQueue, sqs: recorded.sqs, tasks: [{ task: 'access.handed', celeryTask: 'app.handed' }] })],
  });
  await celery.publish('access.handed', { n: 8 });
  const nearer = await bosun.publish('access.sooner', {}, { eta: new Date(Date.now() + 1_800_000) });
  await bosun.cancel(far.taskId);
  await bosun.cancel(nearer.taskId);
  await bosun.getTask(far.taskId);
  const refused = client({ queueUrls: { default: `${defaultQueue}-missing` } });
  await refused.publish('access.big', payloadOfBytes(300 * 1024), { dedupKey: 'refused-1' }).catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await Promise.all([deleteQueue(raw.sqs, defaultQueue), deleteQueue(raw.sqs, legacyQueue), deleteQueue(raw.sqs, celeryQueue)]);
  await deleteTable(raw.dynamodb, table);
  await emptyAndDeleteBucket(raw.s3, bucket);
  for (const c of [recorded.sqs, recorded.s3, recorded.dynamodb, raw.sqs, raw.s3, raw.dynamodb, scheduler]) c?.destroy();
  await localScheduler.stop();
});

describe('the AWS calls of the producer SDK', () => {
  it('touch the task-state table only with the DynamoDB actions grantPublish grants, and use every one of them', () => {
    const dynamodb = calls.filter((call) => call.action.startsWith('dynamodb:'));
    expect([...new Set(dynamodb.map((call) => call.action))].sort()).toEqual([...PRODUCER_AWS_ACCESS.taskStateTable.actions].sort());
    expect(dynamodb.every((call) => call.target === table)).toBe(true);
  });

  it('touch the bucket only on the granted key prefixes, and use every object grant', () => {
    const s3 = calls.filter((call) => call.action.startsWith('s3:'));
    const granted = PRODUCER_AWS_ACCESS.claimCheckBucket.objects;
    for (const call of s3) {
      const key = call.target.slice(bucket.length + 1);
      expect({ call, granted: granted.some((grant) => grant.action === call.action && key.startsWith(grant.keyPrefix)) }).toEqual({ call, granted: true });
    }
    for (const grant of granted) expect(s3.some((call) => call.action === grant.action)).toBe(true);
  });

  it('send only to task queues, the legacy queue and the Celery queue, with the granted actions, and to each', () => {
    const allowed: Record<string, readonly string[]> = {
      [defaultQueue]: PRODUCER_AWS_ACCESS.queues.taskQueues,
      [`${defaultQueue}-missing`]: PRODUCER_AWS_ACCESS.queues.taskQueues,
      [legacyQueue]: PRODUCER_AWS_ACCESS.queues.legacyQueue,
      [celeryQueue]: PRODUCER_AWS_ACCESS.queues.celeryQueue,
    };
    const sqs = calls.filter((call) => call.action.startsWith('sqs:'));
    for (const call of sqs) expect({ call, allowed: allowed[call.target]?.includes(call.action) ?? false }).toEqual({ call, allowed: true });
    expect(sqs.some((call) => call.target === defaultQueue)).toBe(true);
    expect(sqs.some((call) => call.target === legacyQueue)).toBe(true);
    expect(sqs.some((call) => call.target === celeryQueue)).toBe(true);
  });
});

describe('the EventBridge Scheduler calls of the producer SDK (far ETAs)', () => {
  it('create and delete schedules in the ETA group only, pass only the ETA role, and use every granted action', () => {
    const scheduling = calls.filter((call) => call.action.startsWith('scheduler:'));
    expect([...new Set(scheduling.map((call) => call.action))].sort()).toEqual([...PRODUCER_AWS_ACCESS.etaSchedules.actions].sort());
    expect(scheduling.every((call) => call.target.startsWith(`${ETA_GROUP}/eta.`))).toBe(true);
    const passes = calls.filter((call) => call.action.startsWith('iam:'));
    // One PassRole per created schedule, each of the ETA role only.
    expect([...new Set(passes.map((call) => call.action))]).toEqual([...PRODUCER_AWS_ACCESS.etaSchedules.passRole]);
    expect([...new Set(passes.map((call) => call.target))]).toEqual([ETA_ROLE]);
    expect(passes).toHaveLength(calls.filter((call) => call.action === 'scheduler:CreateSchedule').length);
  });

  it('schedule only ETAs beyond the threshold: the 30-minute ETA went by SQS, the 2-hour one and the 3-hour one of the batch by a schedule', () => {
    const creates = calls.filter((call) => call.action === 'scheduler:CreateSchedule');
    expect(creates).toHaveLength(2);
  });
});
