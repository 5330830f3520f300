import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { Limits } from '../contract';

/**
 * Bytes SQS counts for message attributes towards the message size limit: each attribute's name, data type and
 * value.
 *
 * @example
 * messageAttributeBytes({ 'Bosun.TaskId': { DataType: 'String', StringValue: id } })
 */
export function messageAttributeBytes(attributes: Readonly<Record<string, MessageAttributeValue>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    if (value.StringValue !== undefined) bytes += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) bytes += value.BinaryValue.length;
  }
  return bytes;
}

/** Where a payload travels: inside the envelope, or in S3 with a reference in the envelope. */
export type PayloadPlacement = 'inline' | 'claim-check';

/** The sizes {@link choosePayloadPlacement} decides on. */
export interface PlacementInput {
  /** UTF-8 bytes of the envelope with the payload inline. */
  readonly inlineEnvelopeBytes: number;
  /** Bytes of the message attributes (see {@link messageAttributeBytes}). */
  readonly attributeBytes: number;
  /** Claim-check threshold: largest envelope sent inline. */
  readonly thresholdBytes: number;
  /** Largest message the queue takes (body plus attributes). @default 1 MiB */
  readonly maxMessageBytes?: number;
}

/**
 * Decides whether a payload goes inline or to S3. Inline when the inline envelope is at most the threshold *and* the
 * whole message (envelope plus attributes) fits the queue's maximum; otherwise claim-checked. So an envelope of
 * exactly the threshold stays inline, one byte more goes to S3, and a 1 MiB threshold never produces a message SQS
 * would refuse.
 *
 * @example
 * choosePayloadPlacement({ inlineEnvelopeBytes: 300 * 1024, attributeBytes: 120, thresholdBytes: 256 * 1024 }) // 'claim-check'
 */
export function choosePayloadPlacement(input: PlacementInput): PayloadPlacement {
  const maxMessageBytes = input.maxMessageBytes ?? Limits.SQS_MAX_MESSAGE_BYTES;
  return input.inlineEnvelopeBytes <= input.thresholdBytes && input.inlineEnvelopeBytes + input.attributeBytes <= maxMessageBytes
    ? 'inline'
    : 'claim-check';
}

/**
 * Splits messages (given by their sizes, body plus attributes) into consecutive `SendMessageBatch` calls of at most
 * `maxEntries` messages and `maxBytes` in total, keeping order. Every message must fit a call on its own.
 *
 * @throws RangeError when one message is larger than `maxBytes`.
 * @example
 * chunkBySize([600_000, 600_000, 10], 10, 1024 * 1024) // [[0], [1, 2]]
 */
export function chunkBySize(
  sizes: readonly number[],
  maxEntries: number = Limits.SQS_MAX_BATCH_ENTRIES,
  maxBytes: number = Limits.SQS_MAX_BATCH_BYTES,
): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  sizes.forEach((size, index) => {
    if (size > maxBytes) throw new RangeError(`message ${index} is ${size} bytes; one batch call carries at most ${maxBytes} bytes`);
    if (current.length === maxEntries || currentBytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(index);
    currentBytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
