import { CHAOS_MAX_ATTEMPTS } from '../../lambdas/chaos-tasks';
import type { Prng } from './prng';

/** What a planned task does when it runs; `fixable` is the `chaos.fixable` task, the rest `chaos.work`. */
export type ChaosBehaviour = 'ok' | 'flaky' | 'fail' | 'fatal' | 'fixable';

/** One logical task of the workload. */
export interface PlannedTask {
  readonly index: number;
  readonly taskName: 'chaos.work' | 'chaos.fixable';
  readonly behaviour: ChaosBehaviour;
  /** `flaky`: attempts that fail before one succeeds (1 – 2). */
  readonly failAttempts?: number;
  /** Payload padded beyond the claim-check threshold. */
  readonly claimChecked: boolean;
  /** ETA this many seconds after the publish, beyond one SQS delay hop. */
  readonly etaSeconds?: number;
  /** Dedup key, for tasks published more than once. */
  readonly dedupKey?: string;
  /** Publishes of this task: 1, or 2 – 3 for a dedup-key repeat. */
  readonly copies: number;
}

/** One publish call's worth of one task: batched with others, or alone through `publish`. */
export interface PublishOp {
  readonly task: PlannedTask;
  readonly single: boolean;
}

/** Shares of the workload, each 0 – 1 (behaviours are normalized; the rest are independent). */
export interface WorkloadMix {
  readonly ok: number;
  readonly flaky: number;
  readonly fail: number;
  readonly fatal: number;
  /** Only in the first half of the workload, so a redrive can run once they are fixed. */
  readonly fixable: number;
  readonly claimChecked: number;
  readonly eta: number;
  readonly dedupRepeat: number;
  /** Share of publish calls made one by one with `publish` instead of `publishBatch`. */
  readonly single: number;
}

/** The default mix. */
export const DEFAULT_MIX: WorkloadMix = {
  ok: 0.6,
  flaky: 0.15,
  fail: 0.08,
  fatal: 0.07,
  fixable: 0.1,
  claimChecked: 0.1,
  eta: 0.08,
  dedupRepeat: 0.08,
  single: 0.1,
};

/** Shortest and longest ETA distance, seconds: beyond the 2 s hop cap, so the consumers chain re-sends. */
const ETA_SECONDS = { min: 3, max: 8 } as const;
/** How far later publish calls a repeat of a dedup key may go (0: in the same batch, concurrently). */
const REPEAT_SPREAD = 30;

/**
 * The most handler runs a task may see without a duplicate: one per attempt its behaviour needs, and for a `fixable`
 * task a second set of attempts after the redrive.
 */
export function expectedMaxRuns(task: PlannedTask): number {
  switch (task.behaviour) {
    case 'ok':
    case 'fatal':
      return 1;
    case 'flaky':
      return (task.failAttempts ?? 1) + 1;
    case 'fail':
      return CHAOS_MAX_ATTEMPTS;
    case 'fixable':
      return 2 * CHAOS_MAX_ATTEMPTS;
  }
}

function pickBehaviour(rng: Prng, mix: WorkloadMix, firstHalf: boolean): ChaosBehaviour {
  const weights: Array<[ChaosBehaviour, number]> = [
    ['ok', mix.ok],
    ['flaky', mix.flaky],
    ['fail', mix.fail],
    ['fatal', mix.fatal],
    ['fixable', firstHalf ? mix.fixable : 0],
  ];
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = rng.next() * total;
  for (const [behaviour, weight] of weights) {
    roll -= weight;
    if (roll < 0) return behaviour;
  }
  return 'ok';
}

/**
 * Plans `count` logical tasks and the order of their publish calls, from the seed alone: the same seed gives the same
 * workload. Repeats of a dedup key land in the same batch (concurrent) or up to {@link REPEAT_SPREAD} calls later.
 *
 * @example
 * const { tasks, ops } = planWorkload(new Prng(42), 20_000, DEFAULT_MIX);
 */
export function planWorkload(rng: Prng, count: number, mix: WorkloadMix): { tasks: PlannedTask[]; ops: PublishOp[] } {
  const tasks: PlannedTask[] = [];
  const slots: PublishOp[][] = [];
  for (let index = 0; index < count; index += 1) {
    const behaviour = pickBehaviour(rng, mix, index < count / 2);
    const repeated = rng.chance(mix.dedupRepeat);
    const eta = rng.chance(mix.eta);
    const task: PlannedTask = {
      index,
      taskName: behaviour === 'fixable' ? 'chaos.fixable' : 'chaos.work',
      behaviour,
      ...(behaviour === 'flaky' ? { failAttempts: rng.int(1, CHAOS_MAX_ATTEMPTS - 1) } : {}),
      claimChecked: rng.chance(mix.claimChecked),
      ...(eta ? { etaSeconds: rng.int(ETA_SECONDS.min, ETA_SECONDS.max) } : {}),
      ...(repeated ? { dedupKey: `chaos-${index}` } : {}),
      copies: repeated ? rng.int(2, 3) : 1,
    };
    tasks.push(task);
    for (let copy = 0; copy < task.copies; copy += 1) {
      const at = index + (copy === 0 ? 0 : rng.int(0, REPEAT_SPREAD));
      (slots[at] ??= []).push({ task, single: rng.chance(mix.single) });
    }
  }
  return { tasks, ops: slots.flat() };
}
