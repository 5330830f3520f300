import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createReadStream } from 'node:fs';
import * as readline from 'node:readline';
import type { ChaosRunLine } from '../../lambdas/chaos-tasks';
import { MessageAttribute } from '../../lib/contract';

/** Every handler run of one task, from the run log. */
export interface TaskRuns {
  /** Attempt numbers of the runs, in start order, with their start times. */
  readonly starts: Array<{ readonly attempt: number; readonly at: number }>;
  okEnds: number;
  errorEnds: number;
  /** When the last successful run ended (epoch ms), if one did. */
  lastOkEndAt?: number;
}

/** What the task-state table says about one task. */
export interface ObservedState {
  readonly status: string;
  readonly attempts?: number;
  readonly deadReason?: string;
}

/** One message found in a DLQ. */
export interface DeadLetter {
  readonly queue: string;
  /** `Bosun.DeadReason`, when the message has one. */
  readonly reason?: string;
  readonly taskId?: string;
  /** When SQS received the message (epoch ms). */
  readonly sentAt?: number;
}

/**
 * Reads the run log the chaos tasks append to (JSON Lines, streamed), grouped by task id. Lines that are not JSON (a
 * worker killed mid-write) are counted, not fatal.
 *
 * @example
 * const { runs } = await readRunLog('.bosun/chaos/runs.jsonl');
 */
export async function readRunLog(file: string): Promise<{ runs: Map<string, TaskRuns>; unreadableLines: number }> {
  const runs = new Map<string, TaskRuns>();
  let unreadableLines = 0;
  const lines = readline.createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (text === '') continue;
      let line: ChaosRunLine;
      try {
        line = JSON.parse(text) as ChaosRunLine;
      } catch {
        unreadableLines += 1;
        continue;
      }
      let entry = runs.get(line.taskId);
      if (entry === undefined) {
        entry = { starts: [], okEnds: 0, errorEnds: 0 };
        runs.set(line.taskId, entry);
      }
      if (line.event === 'start') entry.starts.push({ attempt: line.attempt, at: line.at });
      else if (line.outcome === 'ok') {
        entry.okEnds += 1;
        entry.lastOkEndAt = Math.max(entry.lastOkEndAt ?? 0, Number(line.at) || 0);
      }
      else entry.errorEnds += 1;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { runs, unreadableLines };
}

/**
 * Scans the whole task-state table, straight from DynamoDB Local (not through the proxy), keeping only what the
 * verdicts need.
 *
 * @example
 * const states = await scanStates(dynamodb, tableName);
 */
export async function scanStates(dynamodb: DynamoDBDocumentClient, tableName: string): Promise<Map<string, ObservedState>> {
  const states = new Map<string, ObservedState>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: '#id, #status, #attempts, #deadReason',
        ExpressionAttributeNames: { '#id': 'taskId', '#status': 'status', '#attempts': 'attempts', '#deadReason': 'deadReason' },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    for (const raw of page.Items ?? []) {
      const item = raw as { taskId: string; status: string; attempts?: number; deadReason?: string };
      states.set(item.taskId, {
        status: item.status,
        ...(item.attempts === undefined ? {} : { attempts: Number(item.attempts) }),
        ...(item.deadReason === undefined ? {} : { deadReason: item.deadReason }),
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return states;
}

function idOf(body: string | undefined): string | undefined {
  try {
    const id = (JSON.parse(body ?? '') as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes every message out of a queue (a DLQ or the legacy inbox) at the end of a run, with its attributes, straight
 * from fauxqs. Deletes what it read, so a second call returns nothing.
 *
 * @example
 * const letters = await drainQueue(sqs, dlqUrl, 'default');
 */
export async function drainQueue(sqs: SQSClient, queueUrl: string, queue: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for (;;) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 600,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) {
      const counts = await queueDepth(sqs, queueUrl);
      if (counts.visible === 0) return letters;
      continue;
    }
    for (const message of messages) {
      const reason = message.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue;
      const taskId = idOf(message.Body) ?? message.MessageAttributes?.[MessageAttribute.TASK_ID]?.StringValue;
      const sentAt = Number(message.Attributes?.SentTimestamp);
      letters.push({
        queue,
        ...(reason === undefined ? {} : { reason }),
        ...(taskId === undefined ? {} : { taskId }),
        ...(Number.isFinite(sentAt) && sentAt > 0 ? { sentAt } : {}),
      });
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  }
}

/** Messages of a queue: visible, in flight (received, or waiting out a retry backoff) and delayed. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(Attributes['ApproximateNumberOfMessages'] ?? 0),
    inFlight: Number(Attributes['ApproximateNumberOfMessagesNotVisible'] ?? 0),
    delayed: Number(Attributes['ApproximateNumberOfMessagesDelayed'] ?? 0),
  };
}
