import * as path from 'node:path';
import { type ChaosReport, runChaos } from '../../bench/chaos/engine';

// A small seeded chaos run (see docs/chaos.md): 300 tasks at 30 per second through the fault proxy, with invocations
// killed every 2 s, routing flips every 3 s and a redrive of the fixable tasks. About 60 – 90 s on a 2-core machine.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

jest.setTimeout(300_000);

let report: ChaosReport;

beforeAll(async () => {
  report = await runChaos({
    tasks: 300,
    seed: 20_261_129,
    publishRatePerSecond: 30,
    crashEverySeconds: 2,
    flipEverySeconds: 3,
    fixDelaySeconds: 8,
    redriveWaitSeconds: 15,
    // Generous: a run that is quiet sooner stops waiting; a loaded machine (a full `npm test` beside it) needs longer.
    quietTimeoutSeconds: 180,
    projectRoot: PROJECT_ROOT,
    dataDir: path.join(PROJECT_ROOT, '.bosun', 'chaos-test'),
  });
}, 300_000);

describe('a seeded chaos run', () => {
  it('published the workload while faults were injected', () => {
    expect(report.tasks.published).toBeGreaterThan(250);
    expect(report.faults.byKind['transient-error']).toBeGreaterThan(0);
    expect(report.faults.byKind['lost-response']).toBeGreaterThan(0);
    expect(report.faults.byKind['kill']).toBeGreaterThan(0);
  });

  it('loses no task, leaves no state wrong, dead-letters nothing without a reason and runs nothing twice without cause', () => {
    const { verdict } = report;
    // Judged only once every queue went quiet: a task still in flight is neither lost nor done yet.
    expect({ quiet: report.quiet }).toEqual({ quiet: true });

    // One assertion on the four figures, so a failure prints all of them; the examples say which tasks.
    expect({
      lost: verdict.lost,
      wrongState: verdict.wrongState,
      dlqWithoutReason: verdict.dlqWithoutReason,
      unexplainedDuplicateRuns: verdict.unexplainedDuplicateRuns,
      wrongStateByProblem: verdict.wrongStateByProblem,
    }).toEqual({ lost: 0, wrongState: 0, dlqWithoutReason: 0, unexplainedDuplicateRuns: 0, wrongStateByProblem: {} });
    expect(report.passed).toBe(true);
  });
});
