import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../cli/cli';
import type { CliIo } from '../../cli/output';
import type { CliDependencies } from '../../cli/program';
import { TaskStateStore } from '../../lib/aws/task-state-store';
import {
  MessageAttribute,
  StackOutput,
  TaskTable,
  type TaskEnvelope,
  type TaskStateItem,
  queueOutputKey,
  serializeEnvelope,
} from '../../lib/contract';
import { type EmulatorClients, emulatorClients, emulatorEndpoints, uniqueName } from '../support/emulator-env';

/** A CLI io that records what the command wrote. */
export interface BufferIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  stdout(): string;
  stderr(): string;
}

/** Creates an io that keeps stdout and stderr in memory. */
export function bufferIo(): BufferIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    write: (text) => void out.push(text),
    error: (text) => void err.push(text),
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/**
 * Runs the CLI in-process and returns its exit status and output; `deps` replaces parts of its outside world, and
 * `columns` makes standard output a terminal that wide.
 */
export async function bosun(
  argv: readonly string[],
  deps: Omit<CliDependencies, 'io'> = {},
  columns?: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = { ...bufferIo(), ...(columns === undefined ? {} : { columns }) };
  const code = await runCli(argv, { ...deps, io });
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** The task-state adapter on the test platform's table, to bring tasks into a state the way the platform does. */
export function stateStore(platform: TestPlatform): TaskStateStore {
  return new TaskStateStore({ dynamodb: platform.documents, tableName: platform.tableName });
}

/** A small platform of real emulator resources (two queues with DLQs, a table) and its `platform.json`. */
export interface TestPlatform {
  readonly dataDir: string;
  readonly routingFile: string;
  readonly clients: EmulatorClients;
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly queues: Record<'default' | 'bulk', { readonly url: string; readonly dlqUrl: string }>;
  /** Writes `platform.json` again, with outputs changed (to point a queue elsewhere). */
  rewrite(outputs: Record<string, string>): Promise<void>;
  /** The outputs written to `platform.json`. */
  readonly outputs: Record<string, string>;
  destroy(): Promise<void>;
}

/** Creates queues, DLQs and a table with unique names, and a data dir whose `platform.json` describes them. */
export async function createTestPlatform(label: string): Promise<TestPlatform> {
  const endpoints = emulatorEndpoints();
  const clients = emulatorClients(endpoints);
  const documents = DynamoDBDocumentClient.from(clients.dynamodb);
  const base = uniqueName(label);
  const createQueue = async (name: string): Promise<string> => {
    const response = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    return response.QueueUrl!;
  };
  const queues = {
    default: { url: await createQueue(`${base}-default`), dlqUrl: await createQueue(`${base}-default-dlq`) },
    bulk: { url: await createQueue(`${base}-bulk`), dlqUrl: await createQueue(`${base}-bulk-dlq`) },
  };
  const tableName = `${base}-tasks`;
  await clients.dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: TaskTable.PARTITION_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: TaskTable.PARTITION_KEY, KeyType: 'HASH' }],
    }),
  );
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bosun-cli-'));
  const routingFile = path.join(dataDir, 'routing.json');
  await writeFile(routingFile, JSON.stringify({ version: 1, defaultDestination: 'default', rules: [] }));
  const outputs: Record<string, string> = {
    [StackOutput.QUEUE_NAMES]: JSON.stringify(['default', 'bulk']),
    [StackOutput.TABLE_NAME]: tableName,
    [StackOutput.STAGE]: 'local',
    [queueOutputKey('default', StackOutput.QUEUE_URL_SUFFIX)]: queues.default.url,
    [queueOutputKey('default', StackOutput.DLQ_URL_SUFFIX)]: queues.default.dlqUrl,
    [queueOutputKey('bulk', StackOutput.QUEUE_URL_SUFFIX)]: queues.bulk.url,
    [queueOutputKey('bulk', StackOutput.DLQ_URL_SUFFIX)]: queues.bulk.dlqUrl,
  };
  const write = async (values: Record<string, string>): Promise<void> => {
    await writeFile(
      path.join(dataDir, 'platform.json'),
      JSON.stringify({
        stage: 'local',
        region: endpoints.region,
        endpoints: { sqs: endpoints.sqsEndpoint, s3: endpoints.s3Endpoint, dynamodb: endpoints.dynamoDbEndpoint },
        routingFile,
        outputs: values,
        pid: process.pid,
      }),
    );
  };
  await write(outputs);
  return {
    dataDir,
    routingFile,
    clients,
    documents,
    tableName,
    queues,
    outputs,
    rewrite: (changed) => write({ ...outputs, ...changed }),
    async destroy() {
      await Promise.allSettled(
        [queues.default.url, queues.default.dlqUrl, queues.bulk.url, queues.bulk.dlqUrl].map((url) =>
          clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })),
        ),
      );
      await clients.dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
      clients.sqs.destroy();
      clients.s3.destroy();
      clients.dynamodb.destroy();
    },
  };
}

export { anEnvelope } from '../support/fixtures';

/** Puts a dead message into a DLQ the way the runtime does: body unchanged, dead-letter attributes added. */
export async function sendDeadMessage(
  platform: TestPlatform,
  dlqUrl: string,
  envelope: TaskEnvelope,
  dead: { reason: string; detail: string; attempts: number; sourceQueue?: string },
): Promise<void> {
  await platform.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: serializeEnvelope(envelope),
      MessageAttributes: {
        [MessageAttribute.TASK_NAME]: { DataType: 'String', StringValue: envelope.task },
        [MessageAttribute.TASK_ID]: { DataType: 'String', StringValue: envelope.id },
        [MessageAttribute.DEAD_REASON]: { DataType: 'String', StringValue: dead.reason },
        [MessageAttribute.DEAD_DETAIL]: { DataType: 'String', StringValue: dead.detail },
        [MessageAttribute.ATTEMPTS]: { DataType: 'Number', StringValue: String(dead.attempts) },
        ...(dead.sourceQueue === undefined
          ? {}
          : { [MessageAttribute.SOURCE_QUEUE]: { DataType: 'String', StringValue: dead.sourceQueue } }),
      },
    }),
  );
}

/** Writes a task-state item. */
export async function putTaskState(platform: TestPlatform, item: TaskStateItem): Promise<void> {
  await platform.documents.send(new PutCommand({ TableName: platform.tableName, Item: item }));
}

/** Reads a task-state item. */
export async function getTaskState(platform: TestPlatform, taskId: string): Promise<TaskStateItem | undefined> {
  const response = await platform.documents.send(
    new GetCommand({ TableName: platform.tableName, Key: { [TaskTable.PARTITION_KEY]: taskId }, ConsistentRead: true }),
  );
  return response.Item as TaskStateItem | undefined;
}

/** A dead task's state item. */
export function aDeadTask(envelope: TaskEnvelope, queue = 'default'): TaskStateItem {
  return {
    taskId: envelope.id,
    taskName: envelope.task,
    status: 'dead',
    queue,
    attempts: 3,
    route: envelope.route,
    createdAt: envelope.publishedAt,
    updatedAt: '2026-01-31T10:05:00.000Z',
    finishedAt: '2026-01-31T10:05:00.000Z',
    deadReason: 'attempts-exhausted',
    deadTaskName: envelope.task,
    deadAt: '2026-01-31T10:05:00.000Z',
    lastError: { type: 'FlakyError', message: 'not yet' },
  };
}

/** Visible + in-flight count of a queue. */
export async function queueDepth(platform: TestPlatform, url: string): Promise<{ visible: number; inFlight: number }> {
  const response = await platform.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(response.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}
