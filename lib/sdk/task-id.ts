import { createHash, randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Random bytes drawn from the OS at once: one `randomFillSync` per 256 ids instead of one per character. */
const POOL_BYTES = 16 * 256;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;
let lastTimeMs = -1;
/** The 16 random characters (80 bits) of the last id, as 5-bit values, incremented for ids in the same millisecond. */
const lastRandom = new Uint8Array(16);

function encodeTime(timeMs: number): string {
  let time = timeMs;
  let out = '';
  for (let i = 0; i < 10; i += 1) {
    out = CROCKFORD[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

function freshRandom(): void {
  if (poolOffset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  for (let i = 0; i < 16; i += 1) lastRandom[i] = (pool[poolOffset + i] as number) & 31;
  poolOffset += 16;
}

function incrementRandom(): void {
  for (let i = 15; i >= 0; i -= 1) {
    const next = (lastRandom[i] as number) + 1;
    if (next < 32) {
      lastRandom[i] = next;
      return;
    }
    lastRandom[i] = 0;
  }
  // 2^80 ids in one millisecond cannot happen; wrapping would only break ordering, never uniqueness of the time part.
}

/**
 * A new task id: a ULID (48-bit millisecond time + 80 random bits, Crockford base 32), sortable by publish time and
 * strictly increasing within this process (ids of the same millisecond increment the random part, as the ULID
 * spec's monotonic mode does). Cheaper than the `ulid` package's generator, which draws OS randomness per character.
 *
 * @example
 * const id = newTaskId(); // '01JQ3V5J4Z8M6W4X2Q7T9B1C0D'
 */
export function newTaskId(nowMs: number = Date.now()): string {
  if (nowMs > lastTimeMs) {
    lastTimeMs = nowMs;
    freshRandom();
  } else {
    incrementRandom();
  }
  let random = '';
  for (let i = 0; i < 16; i += 1) random += CROCKFORD[lastRandom[i] as number];
  return encodeTime(lastTimeMs) + random;
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
