import { MAX_ETA_SECONDS, type TaskStatus } from '../contract';
import { EtaTooFarError } from './errors';

const MS_PER_SECOND = 1000;
/** Largest time value a `Date` holds, ms either side of the epoch. */
const MAX_DATE_MS = 8.64e15;

/** When a task with an ETA is sent, and the status its publish gives it. */
export interface EtaSchedule {
  /** ETA, ISO-8601 UTC, when it is in the future; undefined when the task is due now. */
  readonly eta: string | undefined;
  /** SQS `DelaySeconds` of the message: the whole wait when it fits one delay, else `maxDelaySeconds` (the first hop). */
  readonly delaySeconds: number;
  /** `queued` when the wait fits one SQS delay, `scheduled` when the consumer's ETA chain must re-send it (hops). */
  readonly status: Extract<TaskStatus, 'queued' | 'scheduled'>;
}

/**
 * The one rule for sending a task that must not run before `etaMs`: a wait of at most `maxDelaySeconds` (SQS's 900 s
 * or a platform's lower cap) becomes the message's `DelaySeconds`; a longer one is sent with `maxDelaySeconds` as
 * `scheduled`, and the consumer re-sends it in hops of at most that until it is due. Used by the producer SDK's
 * publish and by `bosun move`, so a moved ETA is kept exactly as a published one.
 *
 * @param shown the ETA as the caller gave it, for the error message. @default - the ETA as ISO-8601
 * @throws EtaTooFarError when the ETA is more than `MAX_ETA_SECONDS` (30 days) after `nowMs`.
 * @example
 * scheduleEta('email.send', Date.parse('2026-01-31T12:10:00Z'), Date.parse('2026-01-31T12:00:00Z'), 900)
 * // { eta: '2026-01-31T12:10:00.000Z', delaySeconds: 600, status: 'queued' }
 */
export function scheduleEta(
  taskName: string,
  etaMs: number | undefined,
  nowMs: number,
  maxDelaySeconds: number,
  shown?: string,
): EtaSchedule {
  if (etaMs === undefined || etaMs <= nowMs) return { eta: undefined, delaySeconds: 0, status: 'queued' };
  const wantedSeconds = Math.ceil((etaMs - nowMs) / MS_PER_SECOND);
  if (wantedSeconds > MAX_ETA_SECONDS) {
    const iso = Number.isFinite(etaMs) && Math.abs(etaMs) <= MAX_DATE_MS ? new Date(etaMs).toISOString() : undefined;
    throw new EtaTooFarError(taskName, iso ?? shown ?? String(etaMs), wantedSeconds, MAX_ETA_SECONDS);
  }
  return wantedSeconds <= maxDelaySeconds
    ? { eta: new Date(etaMs).toISOString(), delaySeconds: wantedSeconds, status: 'queued' }
    : { eta: new Date(etaMs).toISOString(), delaySeconds: maxDelaySeconds, status: 'scheduled' };
}
