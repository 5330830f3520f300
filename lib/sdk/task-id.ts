import { createHash } from 'node:crypto';
import { monotonicFactory } from 'ulid';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const nextUlid = monotonicFactory();

/**
 * A new task id: a ULID, sortable by publish time (monotonic within this process).
 *
 * @example
 * const id = newTaskId(); // '01JQ3V5J4Z8M6W4X2Q7T9B1C0D'
 */
export function newTaskId(): string {
  return nextUlid();
}

/**
 * The task id a deduplication key stands for: 128 bits of SHA-256 over the task name and the key, written in the
 * ULID alphabet and shape (26 characters, first one 0–7), so it is a valid id everywhere a ULID is. The same task name
 * and key always give the same id; different task names never share ids. Unlike a fresh ULID it does not sort by
 * publish time.
 *
 * @example
 * dedupTaskId('email.send', 'order-1234:confirmation') === dedupTaskId('email.send', 'order-1234:confirmation') // true
 */
export function dedupTaskId(taskName: string, dedupKey: string): string {
  const digest = createHash('sha256').update(`bosun-dedup\u0000${taskName}\u0000${dedupKey}`, 'utf8').digest();
  let value = BigInt(`0x${digest.subarray(0, 16).toString('hex')}`);
  const chars: string[] = new Array<string>(26);
  for (let i = 25; i >= 0; i -= 1) {
    chars[i] = CROCKFORD[Number(value & 31n)] as string;
    value >>= 5n;
  }
  return chars.join('');
}
