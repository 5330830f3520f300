import type { DeadLetter, ObservedState, TaskRuns } from './observe';
import { type PlannedTask, expectedMaxRuns } from './workload';

/** What can make a duplicate run unavoidable, most direct first. */
export type DuplicateCause = 'kill' | 'duplicate-send' | 'lost-response' | 'transient-error';
/** Every cause, in the order a duplicate is attributed to them. */
export const DUPLICATE_CAUSES: readonly DuplicateCause[] = ['kill', 'duplicate-send', 'lost-response', 'transient-error'];

/** A task the producer was told was published, with what the harness knows about it. */
export interface PublishedTask {
  readonly taskId: string;
  readonly plan: PlannedTask;
}

/** Everything the verdict is computed from: the plan, and what was observed from the outside. */
export interface VerdictInput {
  readonly published: readonly PublishedTask[];
  /** Task ids whose publish failed with the caller told (no dedup key to retry with), when the error named one. */
  readonly publishFailedIds: ReadonlySet<string>;
  readonly runs: ReadonlyMap<string, TaskRuns>;
  readonly states: ReadonlyMap<string, ObservedState>;
  readonly deadLetters: readonly DeadLetter[];
  /** Task ids of the messages found in the legacy inbox. */
  readonly legacy: readonly string[];
  /** Faults that concerned each task id. */
  readonly faultsByTask: ReadonlyMap<string, ReadonlySet<DuplicateCause>>;
  /** When an invocation holding each task id was killed (epoch ms). */
  readonly killsByTask?: ReadonlyMap<string, readonly number[]>;
  /** When SQS received each task's messages in the legacy inbox (epoch ms). */
  readonly legacySentAt?: ReadonlyMap<string, readonly number[]>;
  /** When the mid-run redrive started (epoch ms), if it ran. */
  readonly redriveStartedAt?: number;
}

/** One task that broke a promise, for the report's examples. */
export interface Finding {
  readonly taskId: string;
  readonly behaviour: string;
  readonly problem: string;
  readonly status?: string;
  readonly runs: number;
  readonly successfulRuns: number;
}

/** The Jepsen-style verdict of a run. */
export interface Verdict {
  readonly published: number;
  /** Published, never terminal, not in a DLQ, not handed to the legacy system. */
  readonly lost: number;
  /**
   * Tasks whose state contradicts the runs, the DLQs or the legacy inbox, with no injected fault that makes it
   * unavoidable (the target: 0).
   */
  readonly wrongState: number;
  readonly wrongStateByProblem: Readonly<Record<string, number>>;
  /** DLQ messages without a `Bosun.DeadReason`. */
  readonly dlqWithoutReason: number;
  /**
   * DLQ entries without a reason of tasks whose invocations were killed: SQS moved a copy whose every allowed receive
   * ended in a killed invocation, before the runtime could act. Counted apart from `dlqWithoutReason`.
   */
  readonly dlqWithoutReasonExplainedByKill: number;
  readonly dlqMessages: number;
  /** Tasks with more than one DLQ copy. */
  readonly dlqDuplicates: number;
  readonly legacyMessages: number;
  /** Handler runs beyond what the task's attempts explain (or a second successful run), in total. */
  readonly duplicateRuns: number;
  /** The same, attributed to the most direct fault that touched the task. */
  readonly duplicateRunsByCause: Readonly<Record<DuplicateCause, number>>;
  /** Duplicate runs no injected fault explains. */
  readonly unexplainedDuplicateRuns: number;
  /**
   * Tasks whose side effect happened — the handler returned, the DLQ copy or the hand-over was sent — but whose
   * invocation was killed before it could record it (within {@link KILL_AFTER_RUN_WINDOW_MS}), or whose only DLQ copies
   * SQS moved there after kills: the state cannot know, so it says what the later deliveries did. Counted apart from
   * `wrongState`.
   */
  readonly wrongStateExplainedByKill: number;
  /** Tasks that ended somewhere their behaviour does not lead (an `ok` task dead, say): not a broken promise if faults exhausted its attempts, but worth a look. */
  readonly unexpectedOutcome: number;
  readonly unexpectedOutcomeByProblem: Readonly<Record<string, number>>;
  /** Runs of tasks whose publish the caller was told failed: sent despite the error. */
  readonly ranThoughPublishFailed: number;
  /** Runs of task ids the harness never published. */
  readonly runsOfUnknownTasks: number;
  readonly examples: {
    readonly lost: readonly Finding[];
    readonly wrongState: readonly Finding[];
    readonly unexplainedDuplicates: readonly Finding[];
  };
}

/**
 * A kill of an invocation holding the task this soon after a side effect (a run's end, a DLQ copy or hand-over sent)
 * can have stopped its state write: the chaos run's function timeout (8 s) plus 2 s, the longest an invocation lives.
 */
export const KILL_AFTER_RUN_WINDOW_MS = 10_000;

const TERMINAL: ReadonlySet<string> = new Set(['succeeded', 'dead', 'rerouted', 'cancelled']);
/** Examples listed per kind of finding. */
const MAX_EXAMPLES = 10;

function bump(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

/** Runs a task saw twice with the same attempt number, in the life before the redrive (attempts restart after it). */
function repeatedAttempts(runs: TaskRuns, redriveStartedAt: number | undefined): number {
  const seen = new Set<number>();
  let repeated = 0;
  for (const start of runs.starts) {
    if (redriveStartedAt !== undefined && start.at >= redriveStartedAt) continue;
    if (seen.has(start.attempt)) repeated += 1;
    seen.add(start.attempt);
  }
  return repeated;
}

function stateProblem(state: ObservedState | undefined, runs: TaskRuns | undefined, deadCopies: number, legacyCopies: number): string | undefined {
  const status = state?.status ?? 'missing';
  const ok = runs?.okEnds ?? 0;
  if (!TERMINAL.has(status)) return `not terminal: ${status}`;
  if (status === 'succeeded' && ok === 0) return 'succeeded without a successful run';
  if (ok > 0 && status !== 'succeeded') return `a successful run but ${status}`;
  if (status === 'dead' && deadCopies === 0) return 'dead but not in a DLQ';
  if (deadCopies > 0 && status !== 'dead') return `in a DLQ but ${status}`;
  if (status === 'rerouted' && legacyCopies === 0) return 'rerouted but not in the legacy inbox';
  if (legacyCopies > 0 && status !== 'rerouted') return `in the legacy inbox but ${status}`;
  return undefined;
}

function outcomeProblem(plan: PlannedTask, state: ObservedState | undefined): string | undefined {
  const status = state?.status;
  if (status === undefined || status === 'rerouted') return undefined;
  const expected: Record<PlannedTask['behaviour'], ReadonlySet<string>> = {
    ok: new Set(['succeeded']),
    flaky: new Set(['succeeded']),
    fail: new Set(['dead:attempts-exhausted']),
    fatal: new Set(['dead:non-retryable']),
    fixable: new Set(['succeeded', 'dead:attempts-exhausted']),
  };
  const seen = status === 'dead' ? `dead:${state?.deadReason ?? '?'}` : status;
  return expected[plan.behaviour].has(seen) ? undefined : `${plan.behaviour} ended ${seen}`;
}

/**
 * Compares what each published task should have done with what the run log, the task-state table, the DLQs and the
 * legacy inbox say happened. Pure: everything it needs is in `input`.
 *
 * @example
 * const verdict = judge({ published, publishFailedIds, runs, states, deadLetters, legacy, faultsByTask });
 */
export function judge(input: VerdictInput): Verdict {
  const deadByTask = new Map<string, number>();
  let dlqWithoutReason = 0;
  let dlqWithoutReasonExplainedByKill = 0;
  const deadSentAt = new Map<string, number[]>();
  const reasonlessByTask = new Map<string, number>();
  for (const letter of input.deadLetters) {
    if (letter.reason === undefined) {
      // SQS moved it: every allowed receive of that copy ended without a delete. In this run only a killed invocation
      // ends a receive that way, so a task whose invocations were killed explains it.
      if (letter.taskId !== undefined && (input.killsByTask?.get(letter.taskId)?.length ?? 0) > 0) dlqWithoutReasonExplainedByKill += 1;
      else dlqWithoutReason += 1;
      if (letter.taskId !== undefined) reasonlessByTask.set(letter.taskId, (reasonlessByTask.get(letter.taskId) ?? 0) + 1);
    }
    if (letter.taskId !== undefined) {
      deadByTask.set(letter.taskId, (deadByTask.get(letter.taskId) ?? 0) + 1);
      if (letter.sentAt !== undefined) deadSentAt.set(letter.taskId, [...(deadSentAt.get(letter.taskId) ?? []), letter.sentAt]);
    }
  }
  const legacyByTask = new Map<string, number>();
  for (const id of input.legacy) legacyByTask.set(id, (legacyByTask.get(id) ?? 0) + 1);

  let lost = 0;
  let wrongState = 0;
  let wrongStateExplainedByKill = 0;
  let duplicateRuns = 0;
  let unexplained = 0;
  let unexpectedOutcome = 0;
  const wrongStateByProblem: Record<string, number> = {};
  const unexpectedOutcomeByProblem: Record<string, number> = {};
  const duplicateRunsByCause: Record<DuplicateCause, number> = { kill: 0, 'duplicate-send': 0, 'lost-response': 0, 'transient-error': 0 };
  const examples = { lost: [] as Finding[], wrongState: [] as Finding[], unexplainedDuplicates: [] as Finding[] };
  const publishedIds = new Set<string>();

  for (const { taskId, plan } of input.published) {
    if (publishedIds.has(taskId)) continue;
    publishedIds.add(taskId);
    const runs = input.runs.get(taskId);
    const state = input.states.get(taskId);
    const deadCopies = deadByTask.get(taskId) ?? 0;
    const legacyCopies = legacyByTask.get(taskId) ?? 0;
    const finding = (problem: string): Finding => ({
      taskId,
      behaviour: plan.behaviour,
      problem,
      ...(state === undefined ? {} : { status: state.status }),
      runs: runs?.starts.length ?? 0,
      successfulRuns: runs?.okEnds ?? 0,
    });

    if (!TERMINAL.has(state?.status ?? 'missing') && deadCopies === 0 && legacyCopies === 0) {
      lost += 1;
      if (examples.lost.length < MAX_EXAMPLES) examples.lost.push(finding('never terminal, in no DLQ, not handed over'));
    }
    const problem = stateProblem(state, runs, deadCopies, legacyCopies);
    const kills = input.killsByTask?.get(taskId) ?? [];
    const killedWithin = (since: number | undefined): boolean =>
      since !== undefined && kills.some((at) => at >= since && at - since <= KILL_AFTER_RUN_WINDOW_MS);
    // The side effect happened, then the invocation that made it was killed before it could record it.
    const killedAfterRun =
      problem !== undefined &&
      ((problem.startsWith('a successful run but') && killedWithin(runs?.lastOkEndAt)) ||
        (problem.startsWith('in the legacy inbox but') && (input.legacySentAt?.get(taskId) ?? []).some((at) => killedWithin(at))) ||
        (problem.startsWith('in a DLQ but') &&
          ((deadSentAt.get(taskId) ?? []).some((at) => killedWithin(at)) ||
            // Every DLQ copy of it was moved there by SQS (no reason) and its invocations were killed: see above.
            (kills.length > 0 && (reasonlessByTask.get(taskId) ?? 0) === deadCopies))));
    if (killedAfterRun) {
      wrongStateExplainedByKill += 1;
    } else if (problem !== undefined) {
      wrongState += 1;
      bump(wrongStateByProblem, problem);
      if (examples.wrongState.length < MAX_EXAMPLES) examples.wrongState.push(finding(problem));
    }
    const outcome = outcomeProblem(plan, state);
    if (outcome !== undefined) {
      unexpectedOutcome += 1;
      bump(unexpectedOutcomeByProblem, outcome);
    }

    if (runs !== undefined) {
      const extra = Math.max(
        0,
        runs.starts.length - expectedMaxRuns(plan),
        runs.okEnds - 1,
        repeatedAttempts(runs, input.redriveStartedAt),
      );
      if (extra > 0) {
        duplicateRuns += extra;
        const causes = input.faultsByTask.get(taskId);
        const cause = DUPLICATE_CAUSES.find((candidate) => causes?.has(candidate) === true);
        if (cause === undefined) {
          unexplained += extra;
          if (examples.unexplainedDuplicates.length < MAX_EXAMPLES) {
            examples.unexplainedDuplicates.push(finding(`${extra} duplicate run(s), attempts ${runs.starts.map((start) => start.attempt).join(',')}`));
          }
        } else duplicateRunsByCause[cause] += extra;
      }
    }
  }

  let ranThoughPublishFailed = 0;
  let runsOfUnknownTasks = 0;
  for (const [taskId, runs] of input.runs) {
    if (publishedIds.has(taskId)) continue;
    if (input.publishFailedIds.has(taskId)) ranThoughPublishFailed += runs.starts.length;
    else runsOfUnknownTasks += runs.starts.length;
  }

  return {
    published: publishedIds.size,
    lost,
    wrongState,
    wrongStateByProblem,
    wrongStateExplainedByKill,
    dlqWithoutReason,
    dlqWithoutReasonExplainedByKill,
    dlqMessages: input.deadLetters.length,
    dlqDuplicates: [...deadByTask.values()].filter((copies) => copies > 1).length,
    legacyMessages: input.legacy.length,
    duplicateRuns,
    duplicateRunsByCause,
    unexplainedDuplicateRuns: unexplained,
    unexpectedOutcome,
    unexpectedOutcomeByProblem,
    ranThoughPublishFailed,
    runsOfUnknownTasks,
    examples,
  };
}
