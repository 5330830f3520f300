import { randomUUID } from 'node:crypto';
import { describeError } from '../../lib/aws/queue-mover';
import type { DeleteJobResult, JobStatus, RedriveJobResult } from './api-types';
import { ConsoleApiError } from './errors';

/** Most finished jobs the console remembers (the oldest finished ones are forgotten first). */
export const MAX_REMEMBERED_JOBS = 100;

/** What a running job reports as it goes. */
export interface JobProgress {
  /** The job's snapshot size, once known. */
  setTotal(total: number): void;
  /** One more message handled, failed or not. */
  handled(failed?: boolean): void;
}

/** The work of a job: runs to its result, reporting progress. */
export type JobWork = (progress: JobProgress) => Promise<RedriveJobResult | DeleteJobResult>;

/**
 * The console's redrive and delete jobs: each runs in the background, one at a time per queue (two would hold each
 * other's messages), and every change is told to the listeners (the `job` events).
 *
 * @example
 * const jobs = new JobRegistry();
 * const { jobId } = jobs.start('redrive', 'default', async (progress) => runRedrive(progress));
 */
export class JobRegistry {
  private readonly jobs = new Map<string, JobStatus>();
  private readonly listeners = new Set<(job: JobStatus) => void>();
  private readonly running = new Set<Promise<void>>();

  /** Calls `listener` on every change of every job; returns the function that stops it. */
  public subscribe(listener: (job: JobStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The job's current status, or undefined for an unknown id. */
  public get(jobId: string): JobStatus | undefined {
    return this.jobs.get(jobId);
  }

  /**
   * Starts a job in the background and returns its id at once.
   *
   * @throws ConsoleApiError (409 `job-running`) while another job on the same queue runs.
   */
  public start(kind: JobStatus['kind'], queue: string, work: JobWork): { readonly jobId: string } {
    const busy = [...this.jobs.values()].find((job) => job.queue === queue && job.state === 'running');
    if (busy !== undefined) {
      throw new ConsoleApiError(
        409,
        'job-running',
        `a ${busy.kind} job (${busy.jobId}) is still running on the DLQ of ${queue}; wait until it finishes (GET /api/jobs/${busy.jobId})`,
      );
    }
    const jobId = randomUUID();
    let status: JobStatus = { jobId, kind, queue, state: 'running', done: 0, failed: 0 };
    const update = (change: Partial<JobStatus>): void => {
      status = { ...status, ...change };
      this.jobs.set(jobId, status);
      for (const listener of this.listeners) listener(status);
    };
    this.forgetOldJobs();
    update({});
    const progress: JobProgress = {
      setTotal: (total) => update({ total }),
      handled: (failed = false) => update({ done: status.done + 1, failed: status.failed + (failed ? 1 : 0) }),
    };
    const run = (async (): Promise<void> => {
      try {
        const result = await work(progress);
        const failed = result.failures.length + (result.kind === 'redrive' ? result.unknownOutcomes.length : 0);
        update({ state: failed > 0 ? 'failed' : 'succeeded', failed, result, ...(failed > 0 ? { error: `${failed} message(s) failed; see result.failures` } : {}) });
      } catch (error) {
        update({ state: 'failed', error: describeError(error) });
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return { jobId };
  }

  /** Resolves once every running job has finished (for a clean stop). */
  public async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((job) => job.state !== 'running');
    for (const job of finished.slice(0, Math.max(0, this.jobs.size - MAX_REMEMBERED_JOBS + 1))) this.jobs.delete(job.jobId);
  }
}
