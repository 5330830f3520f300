/**
 * IAM gateway benchmark: what enforcing IAM on the local platform costs a consumer's calls. The same mix of calls a
 * consumer makes per task — DynamoDB `UpdateItem` (claim), SQS `SendMessage` (a re-send), S3 `PutObject` (a result)
 * — runs straight at the emulators (the baseline) and through the IAM gateway signed as a role with Bosun's consumer
 * grants, in alternating rounds of the same run, at a fixed concurrency. Prints calls/s and p50/p99 latency of each
 * mode, and the ratio of the gateway's to the baseline's.
 *
 * Run: `npx tsx bench/iam-gateway.ts` (options: `--calls N` per round (1500), `--rounds R` (5), `--concurrency C` (8)).
 * Target: through the gateway, at least 0.8 × the baseline's calls/s (the least-disturbed round of each, min/max).
 */
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import Table from 'cli-table3';
import { LOCAL_CREDENTIALS, startEmulators } from '../local/emulators';
import { IamGateway } from '../local/iam/iam-gateway';
import type { RoleAccess } from '../local/iam/template-iam';
import { LOCAL_ACCOUNT_ID } from '../local/intrinsics';

interface Args {
  readonly calls: number;
  readonly rounds: number;
  readonly concurrency: number;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (flag: string, fallback: number): number => {
    const index = argv.indexOf(flag);
    if (index === -1) return fallback;
    const parsed = Number(argv[index + 1]);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${flag} must be a positive integer (given ${argv[index + 1]})`);
    return parsed;
  };
  return { calls: value('--calls', 1500), rounds: value('--rounds', 5), concurrency: value('--concurrency', 8) };
}

interface Clients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
}

function clientsFor(endpoints: { sqs: string; s3: string; dynamodb: string }, region: string, accessKeyId: string): Clients {
  const common = { region, credentials: { accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey } };
  return {
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs }),
    s3: new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Round {
  readonly callsPerSecond: number;
  /** CPU of this process per call (the SDK clients, and the gateway when it is used), microseconds. */
  readonly cpuMicrosPerCall: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function round(clients: Clients, names: { queueUrl: string; bucket: string; table: string }, args: Args, label: string): Promise<Round> {
  const latencies: number[] = [];
  let next = 0;
  const call = async (index: number): Promise<void> => {
    const id = `${label}-${index}`;
    switch (index % 3) {
      case 0:
        await clients.dynamodb.send(
          new UpdateItemCommand({
            TableName: names.table,
            Key: { taskId: { S: id } },
            UpdateExpression: 'SET #s = :s',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':s': { S: 'running' } },
          }),
        );
        return;
      case 1:
        await clients.sqs.send(new SendMessageCommand({ QueueUrl: names.queueUrl, MessageBody: `{"id":"${id}"}` }));
        return;
      default:
        await clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: `task-results/${id}.json`, Body: '{"ok":true}' }));
    }
  };
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  await Promise.all(
    Array.from({ length: args.concurrency }, async () => {
      while (next < args.calls) {
        const index = next++;
        const t0 = process.hrtime.bigint();
        await call(index);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  latencies.sort((a, b) => a - b);
  return { callsPerSecond: (args.calls / wallMs) * 1000, cpuMicrosPerCall: (cpu.user + cpu.system) / args.calls, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const emulators = await startEmulators();
  const region = emulators.region;
  const upstreams = { sqs: emulators.sqsEndpoint, s3: emulators.s3Endpoint, dynamodb: emulators.dynamoDbEndpoint };
  const operator = clientsFor(upstreams, region, LOCAL_CREDENTIALS.accessKeyId);
  const suffix = Date.now().toString(36);
  const names = { queueUrl: '', bucket: `bench-iam-${suffix}`, table: `bench-iam-${suffix}` };
  names.queueUrl = (await operator.sqs.send(new CreateQueueCommand({ QueueName: `bench-iam-${suffix}` }))).QueueUrl!;
  await operator.s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
  await operator.dynamodb.send(
    new CreateTableCommand({
      TableName: names.table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'taskId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'taskId', AttributeType: 'S' }],
    }),
  );
  const bucketArn = `arn:aws:s3:::${names.bucket}`;
  const role: RoleAccess = {
    logicalId: 'BenchRole',
    roleName: 'bench-consumer-role',
    arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/bench-consumer-role`,
    unknownManagedPolicies: [],
    // Bosun's consumer grants, shaped as the constructs synthesize them.
    identity: [
      { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:other` },
      { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:bench-iam-${suffix}` },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/claim-checks/*` },
      { Effect: 'Allow', Action: 's3:PutObject', Resource: `${bucketArn}/task-results/*` },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': 'claim-checks/*' } } },
      { Effect: 'Allow', Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], Resource: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${names.table}` },
    ],
  };
  const gateway = await IamGateway.start({
    upstreams,
    callers: [{ accessKeyId: 'LOCALFNBench', label: 'bench', sessionName: 'bench', role }],
    resourcePolicies: [
      {
        logicalId: 'BucketPolicy',
        resourceArns: [bucketArn],
        statements: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
      },
    ],
    scope: { region, accountId: LOCAL_ACCOUNT_ID },
    upstreamAccessKeyId: LOCAL_CREDENTIALS.accessKeyId,
  });
  const viaGateway = clientsFor({ sqs: gateway.endpoint, s3: gateway.endpoint, dynamodb: gateway.endpoint }, region, 'LOCALFNBench');
  const results: Record<'direct' | 'gateway', Round[]> = { direct: [], gateway: [] };
  try {
    // A warm-up of each, then alternating rounds so both modes see the same machine.
    await round(operator, names, { ...args, calls: Math.min(300, args.calls) }, 'warm-d');
    await round(viaGateway, names, { ...args, calls: Math.min(300, args.calls) }, 'warm-g');
    for (let r = 0; r < args.rounds; r += 1) {
      results.direct.push(await round(operator, names, args, `d${r}`));
      results.gateway.push(await round(viaGateway, names, args, `g${r}`));
    }
  } finally {
    for (const clients of [operator, viaGateway]) {
      clients.sqs.destroy();
      clients.s3.destroy();
      clients.dynamodb.destroy();
    }
    await gateway.stop();
    const cleanup = clientsFor(upstreams, region, LOCAL_CREDENTIALS.accessKeyId);
    await cleanup.sqs.send(new DeleteQueueCommand({ QueueUrl: names.queueUrl })).catch(() => undefined);
    await cleanup.dynamodb.send(new DeleteTableCommand({ TableName: names.table })).catch(() => undefined);
    cleanup.sqs.destroy();
    cleanup.s3.destroy();
    cleanup.dynamodb.destroy();
    await emulators.stop();
  }
  const best = (rounds: readonly Round[]): Round => rounds.reduce((a, b) => (b.callsPerSecond > a.callsPerSecond ? b : a));
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const table = new Table({ head: ['mode', 'best calls/s', 'median calls/s', 'p50 ms (best)', 'p99 ms (best)', 'CPU µs/call (min)'] });
  const minCpu = (rounds: readonly Round[]): number => Math.min(...rounds.map((x) => x.cpuMicrosPerCall));
  for (const mode of ['direct', 'gateway'] as const) {
    const b = best(results[mode]);
    table.push([mode === 'direct' ? 'straight to the emulators' : 'through the IAM gateway', b.callsPerSecond.toFixed(0), median(results[mode].map((x) => x.callsPerSecond)).toFixed(0), b.p50Ms.toFixed(2), b.p99Ms.toFixed(2), minCpu(results[mode]).toFixed(0)]);
  }
  console.log(`${args.rounds} rounds of ${args.calls} calls (UpdateItem, SendMessage, PutObject in turn), concurrency ${args.concurrency}`);
  console.log(table.toString());
  const ratio = best(results.gateway).callsPerSecond / best(results.direct).callsPerSecond;
  console.log(`gateway / direct calls/s: ${ratio.toFixed(2)} (target ≥ 0.80): ${ratio >= 0.8 ? 'met' : 'NOT met'}`);
  console.log(`the gateway's own CPU per call: ${(minCpu(results.gateway) - minCpu(results.direct)).toFixed(0)} µs (this process runs both the clients and the gateway)`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
