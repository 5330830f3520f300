import { Limits } from '../contract';

/** Something that takes room in a `SendMessageBatch` call. */
export interface PackableEntry {
  /** Bytes it takes in the call (message body and attributes); an upper bound is fine. */
  readonly bytes: number;
}

/** Options of {@link BatchPacker}. */
export interface BatchPackerOptions {
  /** Most entries per call. @default 10 (SQS's limit) */
  readonly maxEntries?: number;
  /** Most bytes per call. @default 1048576 (SQS's limit, 1 MiB) */
  readonly maxBytes?: number;
}

/**
 * Packs entries into `SendMessageBatch` calls per queue, streamed: `add` hands back a queue's pending call as soon as
 * the next entry would not fit it (by count or by bytes), so at most one call's worth of entries per queue is held.
 *
 * @example
 * const packer = new BatchPacker<Entry>();
 * for (const entry of entries) {
 *   const full = packer.add(url, entry);
 *   if (full !== undefined) await send(url, full);
 * }
 * for (const [url, rest] of packer.drain()) await send(url, rest);
 */
export class BatchPacker<E extends PackableEntry> {
  private readonly pending = new Map<string, { entries: E[]; bytes: number }>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  public constructor(options: BatchPackerOptions = {}) {
    this.maxEntries = options.maxEntries ?? Limits.SQS_MAX_BATCH_ENTRIES;
    this.maxBytes = options.maxBytes ?? Limits.SQS_MAX_BATCH_BYTES;
  }

  /** Adds an entry for `queueUrl`; returns the queue's previous call when the entry did not fit it (send that now). */
  public add(queueUrl: string, entry: E): E[] | undefined {
    const current = this.pending.get(queueUrl);
    let full: E[] | undefined;
    if (current !== undefined && (current.entries.length >= this.maxEntries || current.bytes + entry.bytes > this.maxBytes)) {
      full = current.entries;
      this.pending.delete(queueUrl);
    }
    const target = this.pending.get(queueUrl) ?? { entries: [], bytes: 0 };
    target.entries.push(entry);
    target.bytes += entry.bytes;
    this.pending.set(queueUrl, target);
    return full;
  }

  /** Every call still pending, per queue, emptying the packer. */
  public drain(): [string, E[]][] {
    const rest = [...this.pending].map(([url, { entries }]): [string, E[]] => [url, entries]);
    this.pending.clear();
    return rest;
  }
}
