import Table from 'cli-table3';
import type { ChaosReport } from './engine';

const fixed = (value: number, digits = 2): string => value.toFixed(digits);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function table(head: string[], rows: Array<Array<string | number>>): string {
  const rendered = new Table({ head, style: { head: [], border: [] } });
  rendered.push(...rows.map((row) => row.map(String)));
  return rendered.toString();
}

/**
 * Renders a chaos report for people: the verdict first (with PASS/FAIL per target), then what ran, the faults, the
 * requests per task and the dollars per million tasks.
 *
 * @example
 * process.stdout.write(renderChaosReport(report));
 */
export function renderChaosReport(report: ChaosReport): string {
  const { verdict, tasks } = report;
  const mark = (ok: boolean): string => (ok ? 'ok' : 'FAIL');
  const out: string[] = [];
  out.push(
    `chaos run, seed ${report.seed}: ${tasks.published} tasks published in ${seconds(report.durationMs)} ` +
      `(startup ${seconds(report.phasesMs.startup)}, publish ${seconds(report.phasesMs.publish)}, drain ${seconds(report.phasesMs.drain)}, verify ${seconds(report.phasesMs.verify)})` +
      `${report.quiet ? '' : ' — the queues never went quiet before the deadline'}`,
  );
  out.push(
    table(
      ['verdict', 'count', 'target'],
      [
        ['lost (never terminal, in no DLQ, not handed over)', verdict.lost, mark(verdict.lost === 0)],
        ['wrong state (contradicts runs / DLQs / legacy inbox)', verdict.wrongState, mark(verdict.wrongState === 0)],
        ['state missing a side effect: invocation killed between a run, DLQ copy or hand-over and its state write', verdict.wrongStateExplainedByKill, ''],
        ['DLQ entries without a reason', `${verdict.dlqWithoutReason} of ${verdict.dlqMessages}`, mark(verdict.dlqWithoutReason === 0)],
        ['DLQ entries without a reason, of tasks whose invocations were killed', verdict.dlqWithoutReasonExplainedByKill, ''],
        ['duplicate runs, unexplained by any injected fault', verdict.unexplainedDuplicateRuns, mark(verdict.unexplainedDuplicateRuns === 0)],
        ['duplicate runs explained by a kill', verdict.duplicateRunsByCause.kill, ''],
        ['duplicate runs explained by a duplicate send', verdict.duplicateRunsByCause['duplicate-send'], ''],
        ['duplicate runs explained by a lost response', verdict.duplicateRunsByCause['lost-response'], ''],
        ['duplicate runs explained by a transient error', verdict.duplicateRunsByCause['transient-error'], ''],
        ['unexpected outcome for the behaviour (information)', verdict.unexpectedOutcome, ''],
        ['tasks with more than one DLQ copy (information)', verdict.dlqDuplicates, ''],
        ['runs of tasks whose publish reported failure', verdict.ranThoughPublishFailed, ''],
      ],
    ),
  );
  out.push(report.passed ? 'PASS: every target holds' : 'FAIL: at least one target does not hold');
  const problems = (title: string, counts: Readonly<Record<string, number>>): void => {
    const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    if (rows.length > 0) out.push(table([title, 'tasks'], rows));
  };
  problems('wrong state', verdict.wrongStateByProblem);
  problems('unexpected outcome', verdict.unexpectedOutcomeByProblem);
  const examples = [
    ...verdict.examples.lost.map((f) => ['lost', f.taskId, f.behaviour, f.status ?? '-', f.runs, f.problem]),
    ...verdict.examples.wrongState.map((f) => ['wrong state', f.taskId, f.behaviour, f.status ?? '-', f.runs, f.problem]),
    ...verdict.examples.unexplainedDuplicates.map((f) => ['duplicate', f.taskId, f.behaviour, f.status ?? '-', f.runs, f.problem]),
  ];
  if (examples.length > 0) out.push(table(['example', 'task id', 'behaviour', 'state', 'runs', 'problem'], examples));
  out.push(
    table(
      ['workload', 'count'],
      [
        ['planned tasks', tasks.planned],
        ['publish calls (batch or single, retries included)', tasks.publishCalls],
        ['published', tasks.published],
        ['publish failed, caller told (no dedup key)', tasks.publishFailedCallerTold],
        ['dedup-key tasks whose retries all failed', tasks.publishFailedAfterRetries],
        ['dedup repeats that got different task ids', tasks.dedupSplit],
        ...Object.entries(tasks.byBehaviour).map(([behaviour, count]): [string, number] => [`  ${behaviour}`, count]),
        ['claim-checked', tasks.claimChecked],
        ['with an ETA beyond one hop', tasks.withEta],
        ['handed to legacy at publish', tasks.toLegacyAtPublish],
        ['DLQ messages / legacy inbox messages', `${verdict.dlqMessages} / ${verdict.legacyMessages}`],
      ],
    ),
  );
  out.push(table(['fault', 'count'], Object.entries(report.faults.byKind)));
  if (report.redrive !== undefined) {
    const moved = report.redrive.results.map((r) => `${r.queue} ${r.redriven}${r.error === undefined ? '' : ` (${r.error})`}`).join(', ');
    out.push(
      `redrive of chaos.fixable at +${seconds(report.redrive.startedAfterMs)}: ${report.redrive.fixableDeadBefore} of ${report.redrive.fixable} dead before it; ` +
        `redriven ${moved || 'nothing'}${report.redrive.timedOut ? ' — it did not end within its time limit' : ''}`,
    );
  }
  out.push(
    table(
      ['AWS requests per task', 'value'],
      [
        ['SQS', fixed(report.requestsPerTask.sqs)],
        ['DynamoDB', fixed(report.requestsPerTask.dynamodb)],
        ['S3', fixed(report.requestsPerTask.s3)],
        ['Lambda invocations', fixed(report.requestsPerTask.lambdaInvocations, 3)],
        ['log bytes per task', fixed(report.logBytesPerTask, 0)],
      ],
    ),
  );
  out.push(
    table(
      ['cost item (us-east-1 list prices)', 'per task', 'unit', '$ per million tasks'],
      [
        ...report.cost.lines.map((line) => [line.item, fixed(line.perTask, 3), line.unit, fixed(line.dollarsPerMillionTasks)]),
        ['total', '', '', fixed(report.cost.totalDollarsPerMillionTasks)],
      ],
    ),
  );
  out.push(...report.cost.notes);
  return `${out.join('\n')}\n`;
}
