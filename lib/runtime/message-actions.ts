import { ChangeMessageVisibilityCommand, SendMessageCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { DEAD_LETTER_ATTRIBUTES, Limits, MessageAttribute, serializeEnvelope, type DeadReason, type TaskEnvelope } from '../contract';
import { TaskHandlerConfigInvalidError } from './errors';
import type { ResolvedRuntime } from './runtime-config';

/** Longest dead-reason detail kept in the DLQ message attribute. */
export const MAX_DEAD_DETAIL_CHARS = 1024;

/** The SQS calls the executor makes on a message: every one sends or changes exactly one message. */
export class MessageActions {
  public constructor(private readonly r: ResolvedRuntime) {}

  /**
   * Sends the original body (or `body`: the envelope without a carried outcome) to the DLQ with the reason, detail,
   * attempts and source queue as attributes.
   */
  public async sendToDeadLetterQueue(record: SQSRecord, reason: DeadReason, detail: string, attempts: number, body?: string): Promise<void> {
    const dlqUrl = this.r.dlqUrl as string;
    await this.r.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: body ?? record.body,
        MessageAttributes: forwardedAttributes(record, {
          [MessageAttribute.DEAD_REASON]: { DataType: 'String', StringValue: reason },
          [MessageAttribute.DEAD_DETAIL]: { DataType: 'String', StringValue: detail.slice(0, MAX_DEAD_DETAIL_CHARS) },
          [MessageAttribute.ATTEMPTS]: { DataType: 'Number', StringValue: String(attempts) },
          [MessageAttribute.SOURCE_QUEUE]: { DataType: 'String', StringValue: this.r.queueUrl ?? record.eventSourceARN },
        }),
      }),
    );
  }

  /**
   * Sends a new copy of the task (the next link of its chain, an outcome to apply, or a copy for later) to `queueUrl`
   * (default: the served queue) after `delaySeconds`. The dead-letter attributes are dropped.
   */
  public async sendCopy(
    record: SQSRecord,
    envelope: TaskEnvelope,
    delaySeconds: number,
    options: { readonly queueUrl?: string; readonly keepRedriveMarker?: boolean } = {},
  ): Promise<void> {
    const queueUrl = options.queueUrl;
    const url = queueUrl ?? this.r.queueUrl;
    if (url === undefined) {
      throw new TaskHandlerConfigInvalidError('queueUrl is required to send a task again (ETA hop, hold, retry later) but is not set');
    }
    await this.r.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: serializeEnvelope(envelope),
        DelaySeconds: Math.max(0, Math.min(Limits.SQS_MAX_DELAY_SECONDS, Math.ceil(delaySeconds))),
        MessageAttributes: forwardedAttributes(record, options.keepRedriveMarker === true ? redriveMarker(record) : {}),
      }),
    );
  }

  /**
   * Sets the message's visibility (a retry's backoff, or waiting out a lease its own earlier delivery holds).
   * A failure is logged, not thrown: the message still comes back after the queue's visibility timeout.
   */
  public async changeVisibility(record: SQSRecord, seconds: number): Promise<void> {
    if (this.r.queueUrl === undefined) return;
    try {
      await this.r.clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.r.queueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: Math.max(0, Math.min(Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS, Math.ceil(seconds))),
        }),
      );
    } catch (error) {
      this.r.logger.warn('visibility could not be changed; the message returns after the queue visibility timeout', {
        messageId: record.messageId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
}

/** The `Bosun.DeadReason` attribute of a redriven message, which lets its copy still take a `dead` task. */
function redriveMarker(record: SQSRecord): Record<string, MessageAttributeValue> {
  const reason = record.messageAttributes?.[MessageAttribute.DEAD_REASON]?.stringValue;
  return reason === undefined ? {} : { [MessageAttribute.DEAD_REASON]: { DataType: 'String', StringValue: reason } };
}

/** The record's own attributes (minus Bosun's dead-letter ones) plus `extra`, within SQS's 10-attribute cap. */
export function forwardedAttributes(
  record: SQSRecord,
  extra: Record<string, MessageAttributeValue>,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = { ...extra };
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (Object.keys(out).length >= Limits.SQS_MAX_MESSAGE_ATTRIBUTES) break;
    if (DEAD_LETTER_ATTRIBUTES.has(name) || name in out) continue;
    if (value.dataType.startsWith('Binary')) {
      if (value.binaryValue === undefined) continue;
      out[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') };
    } else if (value.stringValue !== undefined) {
      out[name] = { DataType: value.dataType, StringValue: value.stringValue };
    }
  }
  return out;
}
