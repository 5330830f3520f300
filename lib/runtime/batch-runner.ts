import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { Limits, type TaskEnvelope } from '../contract';
import { errorRecord } from '../aws/task-state-store';
import type { MessageOutcome } from './decisions';
import { Executor } from './executor';
import type { ResolvedRuntime } from './runtime-config';
import { BatchMetrics } from './runtime-telemetry';
import { decide, readMessage, type ReadMessage } from './steps';

/** Remaining time assumed when the context has no `getRemainingTimeInMillis` (plain Node), in milliseconds. */
const NO_DEADLINE_REMAINING_MS = Limits.LAMBDA_MAX_TIMEOUT_SECONDS * 1000;

/**
 * Runs one batch: each record goes through the steps (read, decide) and the executor, with bounded concurrency and
 * independent outcomes. A record whose processing throws (an AWS call failing) is reported in `batchItemFailures`
 * and comes back after the visibility timeout; the batch goes on. One instance per handler, shared by every
 * invocation of the process.
 */
export class BatchRunner {
  private readonly executor: Executor;

  public constructor(private readonly r: ResolvedRuntime) {
    this.executor = new Executor(r);
  }

  /** Processes one SQS event and returns the partial batch response. */
  public async run(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const records = event.Records;
    const failures: Array<{ itemIdentifier: string }> = [];
    const batch = new BatchMetrics();
    const remaining =
      typeof context?.getRemainingTimeInMillis === 'function'
        ? () => context.getRemainingTimeInMillis()
        : (() => {
            const deadline = this.r.now() + NO_DEADLINE_REMAINING_MS;
            return () => deadline - this.r.now();
          })();
    // The whole invocation's budget: a task whose time limit does not fit even here can never start on this function.
    const budgetMs = remaining();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < records.length) {
        const record = records[next] as SQSRecord;
        next += 1;
        let outcome: MessageOutcome;
        try {
          outcome = await this.processRecord(record, remaining, budgetMs, batch);
        } catch (error) {
          this.r.logger.error('message processing failed; the message will be received again', {
            messageId: record.messageId,
            error: errorRecord(error),
          });
          outcome = 'retry';
        }
        if (outcome === 'retry') failures.push({ itemIdentifier: record.messageId });
      }
    };
    const workers: Array<Promise<void>> = [];
    for (let i = 0; i < Math.min(this.r.concurrency, records.length); i += 1) workers.push(worker());
    await Promise.all(workers);
    try {
      batch.flush(this.r.metrics);
    } catch (error) {
      this.r.logger.warn('metrics could not be published', { error: errorRecord(error) });
    }
    return { batchItemFailures: failures };
  }

  private async processRecord(record: SQSRecord, remaining: () => number, budgetMs: number, batch: BatchMetrics): Promise<MessageOutcome> {
    const read = readMessage(record, this.r);
    if ('poison' in read) return this.executor.poison(record, read.poison, Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1), batch);
    return this.processRead(read, remaining, budgetMs, batch);
  }

  private async processRead(message: ReadMessage, remaining: () => number, budgetMs: number, batch: BatchMetrics): Promise<MessageOutcome> {
    const task = this.r.tasks.get(message.envelope.task);
    const decision = await decide(message, task, this.r, remaining, budgetMs);
    const again = (envelope: TaskEnvelope): Promise<MessageOutcome> =>
      this.processRead({ ...message, envelope, attempt: envelope.attempts + message.receiveCount }, remaining, budgetMs, batch);
    return this.executor.execute(message, task, decision, remaining, batch, again);
  }
}
