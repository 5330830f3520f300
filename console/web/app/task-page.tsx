import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ConsoleApiError, errorMessage, getJson } from './api';
import { formatJson, formatTime } from './format';
import { taskHash } from './router';
import type { RoutingExplanation, TaskLookup } from './types';

type Lookup =
  | { readonly state: 'idle' }
  | { readonly state: 'loading' }
  | { readonly state: 'found'; readonly value: TaskLookup }
  | { readonly state: 'missing'; readonly message: string }
  | { readonly state: 'error'; readonly message: string };

const TIME_FIELDS = ['createdAt', 'updatedAt', 'eta', 'startedAt', 'finishedAt', 'deadAt'] as const;
const TIME_LABELS: Record<(typeof TIME_FIELDS)[number], string> = {
  createdAt: 'Created',
  updatedAt: 'Updated',
  eta: 'ETA',
  startedAt: 'Started',
  finishedAt: 'Finished',
  deadAt: 'Dead since',
};

function TaskDetails(props: { readonly lookup: TaskLookup }) {
  const { task, routing, routingProblem } = props.lookup;
  const { route, lastError, resultRef } = task;
  return (
    <article class="task" aria-labelledby="task-heading">
      <h2 id="task-heading">
        {task.taskName} <code>{task.taskId}</code>
      </h2>
      <dl class="fields">
        <dt>Status</dt>
        <dd>
          <span class={`status ${task.status}`} data-status={task.status}>
            {task.status}
          </span>
          {task.deadReason === undefined ? null : <> — {task.deadReason}</>}
        </dd>
        <dt>Queue</dt>
        <dd>{task.queue}</dd>
        <dt>Attempts</dt>
        <dd data-field="attempts">{task.attempts}</dd>
        {TIME_FIELDS.filter((field) => task[field] !== undefined).map((field) => (
          <Fragment key={field}>
            <dt>{TIME_LABELS[field]}</dt>
            <dd>{formatTime(task[field])}</dd>
          </Fragment>
        ))}
        <dt>Published route</dt>
        <dd>
          {route.destination} ({route.ruleId === null ? 'default destination' : `rule ${route.ruleId}`})
        </dd>
        {lastError === undefined ? null : (
          <>
            <dt>Last error</dt>
            <dd class="error-text">
              <code>{lastError.type}</code>: {lastError.message}
            </dd>
          </>
        )}
        {task.result === undefined ? null : (
          <>
            <dt>Result</dt>
            <dd>
              <pre tabIndex={0}>{formatJson(task.result)}</pre>
            </dd>
          </>
        )}
        {resultRef === undefined ? null : (
          <>
            <dt>Result (by reference)</dt>
            <dd>
              <code>
                s3://{resultRef.bucket}/{resultRef.key}
              </code>{' '}
              ({resultRef.bytes} bytes)
            </dd>
          </>
        )}
      </dl>
      <h3>Routing now</h3>
      {routing === undefined ? <p class="muted">{routingProblem ?? 'No routing explanation for this task name.'}</p> : <RoutingExplanationView explanation={routing} />}
    </article>
  );
}

/** The route a task name takes under the current routing document, as `flags explain` reports it. */
export function RoutingExplanationView(props: { readonly explanation: RoutingExplanation }) {
  const { decision, rule, source, input } = props.explanation;
  return (
    <dl class="fields explanation">
      <dt>Task</dt>
      <dd>
        {input.task}
        {input.region === undefined ? '' : ` in ${input.region}`}
      </dd>
      <dt>Destination</dt>
      <dd data-field="destination">{decision.destination}</dd>
      <dt>Decided by</dt>
      <dd>{rule === null ? 'the default destination' : `rule ${rule.id}${rule.description === undefined ? '' : ` (${rule.description})`}`}</dd>
      <dt>Why</dt>
      <dd>{decision.reason}</dd>
      {decision.paused ? (
        <>
          <dt>Paused</dt>
          <dd>consumers hold the task without running it</dd>
        </>
      ) : null}
      {decision.killed ? (
        <>
          <dt>Killed</dt>
          <dd>publishing this task is rejected</dd>
        </>
      ) : null}
      <dt>Document</dt>
      <dd>{source}</dd>
    </dl>
  );
}

/** Task lookup by id: state, attempts, timings, error, result and the routing decision for its name now. */
export function TaskPage(props: { readonly taskId?: string }) {
  const [input, setInput] = useState(props.taskId ?? '');
  const [lookup, setLookup] = useState<Lookup>({ state: 'idle' });
  useEffect(() => {
    setInput(props.taskId ?? '');
    if (props.taskId === undefined) {
      setLookup({ state: 'idle' });
      return undefined;
    }
    let current = true;
    setLookup({ state: 'loading' });
    getJson<TaskLookup>(`/api/tasks/${encodeURIComponent(props.taskId)}`).then(
      (value) => current && setLookup({ state: 'found', value }),
      (error: unknown) => {
        if (!current) return;
        if (error instanceof ConsoleApiError && error.status === 404) setLookup({ state: 'missing', message: error.message });
        else setLookup({ state: 'error', message: errorMessage(error) });
      },
    );
    return () => {
      current = false;
    };
  }, [props.taskId]);

  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">Task lookup</h1>
      <form
        class="inline-form"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          const id = input.trim();
          if (id !== '') window.location.hash = taskHash(id);
        }}
      >
        <label for="task-id">Task id</label>
        <input id="task-id" name="taskId" type="search" value={input} required spellcheck={false} autoComplete="off" placeholder="01J…" onInput={(event) => setInput((event.currentTarget as HTMLInputElement).value)} />
        <button type="submit">Look up</button>
      </form>
      {lookup.state === 'loading' ? <p aria-busy="true">Looking up…</p> : null}
      {lookup.state === 'missing' ? (
        <p class="error" role="alert">
          {lookup.message}
        </p>
      ) : null}
      {lookup.state === 'error' ? (
        <p class="error" role="alert">
          {lookup.message}
        </p>
      ) : null}
      {lookup.state === 'found' ? <TaskDetails lookup={lookup.value} /> : null}
    </section>
  );
}
