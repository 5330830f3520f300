import { useEffect, useState } from 'preact/hooks';
import { getJson, openEvents, errorMessage } from './api';
import type { Job, Overview } from './types';

/** State of the live connection, shown in the header. */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

type JobListener = (job: Job) => void;
const jobListeners = new Set<JobListener>();

/** Calls `listener` with every `job` event until the returned function is called. */
export function onJobEvent(listener: JobListener): () => void {
  jobListeners.add(listener);
  return () => jobListeners.delete(listener);
}

/**
 * The overview as the server pushes it (`overview` events every 5 s over `/api/events`), with a plain GET first so
 * the page has data even before the stream opens. EventSource reconnects by itself after a drop.
 */
export function useLiveOverview(): { overview?: Overview; status: LiveStatus; error?: string } {
  const [overview, setOverview] = useState<Overview | undefined>(undefined);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let closed = false;
    getJson<Overview>('/api/overview').then(
      (first) => {
        if (!closed) setOverview((current) => current ?? first);
      },
      (failure: unknown) => {
        if (!closed) setError(errorMessage(failure));
      },
    );
    const events = openEvents();
    events.addEventListener('open', () => setStatus('live'));
    events.addEventListener('error', () => setStatus('reconnecting'));
    events.addEventListener('overview', (event) => {
      setOverview(JSON.parse((event as MessageEvent<string>).data) as Overview);
      setStatus('live');
      setError(undefined);
    });
    events.addEventListener('job', (event) => {
      const job = JSON.parse((event as MessageEvent<string>).data) as Job;
      for (const listener of jobListeners) listener(job);
    });
    return () => {
      closed = true;
      events.close();
    };
  }, []);
  return { ...(overview === undefined ? {} : { overview }), status, ...(error === undefined ? {} : { error }) };
}
