import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { DEAD_REASONS } from '../../../lib/contract/attributes';
import { errorMessage, getJson, postJson, withQuery } from './api';
import { formatBytes, formatJson, formatTime, isoToLocalInput, localInputToIso } from './format';
import { onJobEvent } from './live';
import { dlqHash, taskHash } from './router';
import type { DlqFilter, DlqListing, DlqPayload, Job, JobAccepted, PlatformInfo } from './types';

const JOB_POLL_MS = 500;

type PayloadView = { readonly state: 'loading' } | { readonly state: 'shown'; readonly value: DlqPayload } | { readonly state: 'error'; readonly message: string };

function filterFromQuery(query: URLSearchParams): DlqFilter {
  const filter: Record<string, string> = {};
  for (const key of ['task', 'reason', 'since', 'until'] as const) {
    const value = query.get(key);
    if (value !== null && value !== '') filter[key] = value;
  }
  return filter;
}

function describeFilter(filter: DlqFilter): string {
  const parts = [
    filter.task === undefined ? undefined : `task ${filter.task}`,
    filter.reason === undefined ? undefined : `reason ${filter.reason}`,
    filter.since === undefined ? undefined : `since ${formatTime(filter.since)}`,
    filter.until === undefined ? undefined : `until ${formatTime(filter.until)}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'every message' : parts.join(', ');
}

/** The queue name at the end of a queue URL (`…/000000000000/bosun-local-default` → `bosun-local-default`). */
function queueNameOf(urlOrName: string): string {
  return urlOrName.split('/').filter((part) => part !== '').pop() ?? urlOrName;
}

/** Follows a redrive or delete job through `job` events, with polling as the fallback, until it ends. */
function useJob(jobId: string | undefined): Job | undefined {
  const [job, setJob] = useState<Job | undefined>(undefined);
  useEffect(() => {
    if (jobId === undefined) return undefined;
    setJob(undefined);
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const accept = (next: Job): void => {
      if (stopped || next.jobId !== jobId) return;
      setJob(next);
      if (next.state !== 'running') stopped = true;
    };
    const unsubscribe = onJobEvent(accept);
    const poll = async (): Promise<void> => {
      try {
        accept(await getJson<Job>(`/api/jobs/${encodeURIComponent(jobId)}`));
      } catch (error) {
        accept({ jobId, kind: 'redrive', queue: '', state: 'failed', done: 0, failed: 0, error: errorMessage(error) });
      }
      if (!stopped) timer = setTimeout(() => void poll(), JOB_POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [jobId]);
  return job;
}

/** What a finished job did, in words: the counts that are not zero. */
export function describeJobResult(job: Job): string | undefined {
  const result = job.result;
  if (result === undefined) return undefined;
  const parts: string[] = [];
  const add = (count: number, text: string): void => {
    if (count > 0) parts.push(`${count} ${text}`);
  };
  if (result.kind === 'redrive') {
    add(result.redriven, 'redriven');
    add(result.redundant, 'dropped (task already alive or finished)');
    add(result.skipped, 'left in the DLQ (not matching)');
    add(result.leftForNextRun, 'dead-lettered during the run, left for the next');
    add(result.notFound.length, 'not found');
    add(result.failures.length, 'failed');
    add(result.unknownOutcomes.length, 'with an unknown outcome, kept for the next redrive');
  } else {
    add(result.deleted.length, 'deleted');
    add(result.notFound.length, 'not found');
    add(result.failures.length, 'failed');
  }
  return parts.length === 0 ? 'nothing to do' : parts.join(', ');
}

function JobProgress(props: { readonly job?: Job; readonly label: string }) {
  const { job, label } = props;
  if (job === undefined) {
    return (
      <div class="job" role="status">
        {label}: starting…
      </div>
    );
  }
  const summary = describeJobResult(job);
  return (
    <div class={`job ${job.state}`} role="status" data-job-state={job.state}>
      <span>
        {label}: {job.state}
        {job.state === 'running' || summary === undefined
          ? ` — ${job.done}${job.total === undefined ? '' : ` of ${job.total}`} messages handled${job.failed > 0 ? `, ${job.failed} failed` : ''}`
          : ` — ${summary}`}
        {job.error === undefined ? '' : ` (${job.error})`}
      </span>
      {job.state === 'running' ? <progress max={job.total ?? undefined} value={job.total === undefined ? undefined : job.done} aria-label={`${label} progress`} /> : null}
    </div>
  );
}

/**
 * The DLQ browser: the decoded dead letters of one queue's DLQ with a filter, payloads on request only, and redrive or
 * delete of the selected or matching messages as server-side jobs with progress.
 */
export function DlqPage(props: { readonly platform: PlatformInfo; readonly queue?: string; readonly query: URLSearchParams }) {
  const { platform } = props;
  const dlqQueues = platform.queues.filter((queue) => queue.hasDlq);
  const queue = props.queue ?? dlqQueues[0]?.name;
  const queryText = props.query.toString();
  const filter = filterFromQuery(props.query);

  // The listing with the filter it was read with: while a new filter loads, the page still describes (and "redrive
  // all matching" still uses) the filter of the rows on screen.
  const [listing, setListing] = useState<{ readonly page: DlqListing; readonly filter: DlqFilter } | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [reloadCount, setReloadCount] = useState(0);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [payloads, setPayloads] = useState<Readonly<Record<string, PayloadView>>>({});
  const [jobId, setJobId] = useState<string | undefined>(undefined);
  const [jobLabel, setJobLabel] = useState('');
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const dialog = useRef<HTMLDialogElement>(null);
  const job = useJob(jobId);

  const [draft, setDraft] = useState({ task: '', reason: '', since: '', until: '' });
  useEffect(() => {
    setDraft({ task: filter.task ?? '', reason: filter.reason ?? '', since: isoToLocalInput(filter.since), until: isoToLocalInput(filter.until) });
  }, [queryText]);

  useEffect(() => {
    if (queue === undefined) return undefined;
    let current = true;
    setLoading(true);
    setLoadError(undefined);
    getJson<DlqListing>(withQuery(`/api/dlq/${encodeURIComponent(queue)}`, { ...filter })).then(
      (next) => {
        if (!current) return;
        setListing({ page: next, filter });
        setLoading(false);
        setSelected((previous) => new Set(next.messages.filter((message) => previous.has(message.messageId)).map((message) => message.messageId)));
      },
      (error: unknown) => {
        if (!current) return;
        setLoadError(errorMessage(error));
        setListing(undefined);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [queue, queryText, reloadCount]);

  useEffect(() => {
    if (job !== undefined && job.state !== 'running') setReloadCount((count) => count + 1);
  }, [job?.state]);

  if (queue === undefined) {
    return (
      <section aria-labelledby="dlq-title">
        <h1 id="dlq-title">Dead-letter queues</h1>
        <p>This platform has no queue with a DLQ.</p>
      </section>
    );
  }

  const messages = listing?.page.messages ?? [];
  const allSelected = messages.length > 0 && messages.every((message) => selected.has(message.messageId));
  const jobRunning = jobId !== undefined && (job === undefined || job.state === 'running');
  const actionsDisabled = !platform.actionsAllowed || jobRunning;

  const applyFilter = (event: Event): void => {
    event.preventDefault();
    window.location.hash = dlqHash(queue, {
      task: draft.task.trim(),
      reason: draft.reason,
      since: localInputToIso(draft.since),
      until: localInputToIso(draft.until),
    });
  };

  const toggle = (messageId: string): void => {
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(messageId)) next.delete(messageId);
      else next.add(messageId);
      return next;
    });
  };

  const showPayload = async (messageId: string): Promise<void> => {
    if (payloads[messageId]?.state === 'shown') {
      setPayloads((previous) => {
        const next = { ...previous };
        delete next[messageId];
        return next;
      });
      return;
    }
    setPayloads((previous) => ({ ...previous, [messageId]: { state: 'loading' } }));
    try {
      const value = await getJson<DlqPayload>(`/api/dlq/${encodeURIComponent(queue)}/messages/${encodeURIComponent(messageId)}/payload`);
      setPayloads((previous) => ({ ...previous, [messageId]: { state: 'shown', value } }));
    } catch (error) {
      setPayloads((previous) => ({ ...previous, [messageId]: { state: 'error', message: errorMessage(error) } }));
    }
  };

  const startJob = async (label: string, path: string, body: unknown): Promise<void> => {
    setActionError(undefined);
    try {
      const accepted = await postJson<JobAccepted>(path, body);
      setJobLabel(label);
      setJobId(accepted.jobId);
      setSelected(new Set());
    } catch (error) {
      setActionError(errorMessage(error));
    }
  };

  const redriveSelected = (): Promise<void> =>
    startJob(`Redrive of ${selected.size} selected`, `/api/dlq/${encodeURIComponent(queue)}/redrive`, { messageIds: [...selected] });
  const redriveMatching = (): Promise<void> => {
    const shownFilter = listing?.filter ?? filter;
    return startJob(`Redrive of ${describeFilter(shownFilter)}`, `/api/dlq/${encodeURIComponent(queue)}/redrive`, { filter: shownFilter });
  };
  const confirmDelete = async (): Promise<void> => {
    dialog.current?.close();
    await startJob(`Delete of ${selected.size} selected`, `/api/dlq/${encodeURIComponent(queue)}/delete`, { messageIds: [...selected], confirm: true });
  };

  return (
    <section aria-labelledby="dlq-title">
      <h1 id="dlq-title">Dead-letter queue: {queue}</h1>
      <form class="filters" onSubmit={applyFilter} aria-label="Filter dead letters">
        <label>
          Queue
          <select
            value={queue}
            onChange={(event) => {
              window.location.hash = dlqHash((event.currentTarget as HTMLSelectElement).value);
            }}
          >
            {dlqQueues.map((candidate) => (
              <option key={candidate.name} value={candidate.name}>
                {candidate.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Task name
          <input type="text" name="task" value={draft.task} placeholder="any" onInput={(event) => setDraft({ ...draft, task: (event.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          Reason
          <select name="reason" value={draft.reason} onChange={(event) => setDraft({ ...draft, reason: (event.currentTarget as HTMLSelectElement).value })}>
            <option value="">any</option>
            {DEAD_REASONS.map((reason) => (
              <option key={reason} value={reason}>
                {reason}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sent since (UTC)
          <input type="datetime-local" name="since" value={draft.since} onInput={(event) => setDraft({ ...draft, since: (event.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          Sent until (UTC)
          <input type="datetime-local" name="until" value={draft.until} onInput={(event) => setDraft({ ...draft, until: (event.currentTarget as HTMLInputElement).value })} />
        </label>
        <div class="buttons">
          <button type="submit">Apply filter</button>
          <button type="button" class="secondary" onClick={() => setReloadCount((count) => count + 1)}>
            Refresh
          </button>
        </div>
      </form>

      <div class="actions" role="group" aria-label="Actions on dead letters">
        <button type="button" disabled={actionsDisabled || selected.size === 0} onClick={() => void redriveSelected()}>
          Redrive selected ({selected.size})
        </button>
        <button type="button" disabled={actionsDisabled || messages.length === 0} onClick={() => void redriveMatching()}>
          Redrive all matching
        </button>
        <button type="button" class="danger" disabled={actionsDisabled || selected.size === 0} onClick={() => dialog.current?.showModal()}>
          Delete selected ({selected.size})
        </button>
        {platform.actionsAllowed ? null : <span class="muted">Read-only: start the console with --allow-actions to redrive or delete.</span>}
      </div>
      {actionError === undefined ? null : (
        <p class="error" role="alert">
          {actionError}
        </p>
      )}
      {jobId === undefined ? null : <JobProgress job={job} label={jobLabel} />}

      <dialog ref={dialog} aria-labelledby="delete-title" class="confirm">
        <div>
          <h2 id="delete-title">
            Delete {selected.size} dead letter{selected.size === 1 ? '' : 's'}?
          </h2>
          <p>The selected messages are removed from the DLQ of {queue} for good. Their tasks stay dead.</p>
          <div class="buttons">
            <button type="button" class="secondary" autofocus onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="button" class="danger" onClick={() => void confirmDelete()}>
              Delete {selected.size}
            </button>
          </div>
        </div>
      </dialog>

      {loadError === undefined ? null : (
        <p class="error" role="alert">
          {loadError}
        </p>
      )}
      {listing === undefined ? (
        loading ? (
          <p aria-busy="true">Reading the DLQ…</p>
        ) : null
      ) : (
        <>
          <p class="muted listing-status" aria-live="polite" aria-busy={loading}>
            {loading ? 'Refreshing… ' : ''}
            {messages.length} shown matching {describeFilter(listing.filter)}; about {listing.page.total} in the DLQ, {listing.page.scanned} read
            {listing.page.truncated ? ' (more exist than were read: narrow the filter)' : ''}.
          </p>
          <div class="table-wrap" tabIndex={0} role="region" aria-label={`Dead letters of ${queue}`}>
            <table class="dead-letters">
              <caption class="visually-hidden">Dead letters of {queue}</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select all shown"
                      checked={allSelected}
                      disabled={messages.length === 0}
                      onChange={() => setSelected(allSelected ? new Set() : new Set(messages.map((message) => message.messageId)))}
                    />
                  </th>
                  <th scope="col">Task</th>
                  <th scope="col">Reason</th>
                  <th scope="col" class="num">Attempts</th>
                  <th scope="col">Source queue</th>
                  <th scope="col">Sent</th>
                  <th scope="col" class="num">Size</th>
                  <th scope="col">Payload</th>
                </tr>
              </thead>
              <tbody>
                {messages.length === 0 ? (
                  <tr>
                    <td colSpan={8} class="empty">
                      No dead letters match.
                    </td>
                  </tr>
                ) : null}
                {messages.map((message) => {
                  const view = payloads[message.messageId];
                  return (
                    <Fragment key={message.messageId}>
                      <tr data-message-id={message.messageId} data-task-id={message.taskId} class={selected.has(message.messageId) ? 'selected' : ''}>
                        <td>
                          <input
                            type="checkbox"
                            aria-label={`Select ${message.taskName ?? 'message'} ${message.taskId ?? message.messageId}`}
                            checked={selected.has(message.messageId)}
                            onChange={() => toggle(message.messageId)}
                          />
                        </td>
                        <td>
                          <div class="task-name">{message.taskName ?? <span class="muted">unknown</span>}</div>
                          {message.taskId === undefined ? (
                            <code class="muted">message {message.messageId}</code>
                          ) : (
                            <a href={taskHash(message.taskId)}>
                              <code>{message.taskId}</code>
                            </a>
                          )}
                        </td>
                        <td>
                          <div class="reason">{message.reason ?? <span class="muted">none recorded</span>}</div>
                          {message.detail === undefined ? null : <div class="detail">{message.detail}</div>}
                          {message.unreadable === undefined ? null : <div class="error">unreadable: {message.unreadable}</div>}
                        </td>
                        <td class="num">{message.attempts ?? '–'}</td>
                        <td>
                          {message.sourceQueue === undefined ? (
                            '–'
                          ) : (
                            <span title={message.sourceQueue}>{queueNameOf(message.sourceQueue)}</span>
                          )}
                        </td>
                        <td>{formatTime(message.sentAt)}</td>
                        <td class="num nowrap">
                          {formatBytes(message.sizeBytes)}
                          {message.claimChecked ? <div class="muted">claim check</div> : null}
                        </td>
                        <td class="nowrap">
                          <button type="button" class="secondary small" aria-expanded={view?.state === 'shown'} onClick={() => void showPayload(message.messageId)}>
                            {view?.state === 'shown' ? 'Hide payload' : 'Show payload'}
                          </button>
                        </td>
                      </tr>
                      {view === undefined ? null : (
                        <tr class="payload-row">
                          <td colSpan={8}>
                            {view.state === 'loading' ? <span aria-busy="true">Fetching the payload…</span> : null}
                            {view.state === 'error' ? (
                              <span class="error" role="alert">
                                {view.message}
                              </span>
                            ) : null}
                            {view.state === 'shown' ? (
                              <>
                                {view.value.claimCheck === undefined ? null : (
                                  <p class="muted">
                                    Claim check: s3://{view.value.claimCheck.bucket}/{view.value.claimCheck.key}
                                  </p>
                                )}
                                <pre class="payload" tabIndex={0} aria-label={`Payload of ${message.taskId ?? message.messageId}`}>
                                  {formatJson(view.value.payload)}
                                </pre>
                              </>
                            ) : null}
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
