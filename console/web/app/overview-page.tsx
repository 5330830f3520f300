import { formatAge, formatCount, formatTime } from './format';
import { dlqHash } from './router';
import { ThroughputChart } from './throughput-chart';
import type { Overview } from './types';

/** Every queue with its DLQ, and tasks per minute by outcome over the last hour, as the live stream delivers them. */
export function OverviewPage(props: { readonly overview?: Overview; readonly error?: string }) {
  const { overview, error } = props;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {error !== undefined ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {overview === undefined ? (
        <p aria-busy="true">Loading queues…</p>
      ) : (
        <>
          <p class="muted">Updated {formatTime(overview.generatedAt)}</p>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Queues">
            <table class="queues">
              <caption>Queues and their dead-letter queues</caption>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col" class="num">Visible</th>
                  <th scope="col" class="num">In flight</th>
                  <th scope="col" class="num">Delayed</th>
                  <th scope="col" class="num">Oldest message</th>
                  <th scope="col" class="num">DLQ depth</th>
                  <th scope="col" class="num">DLQ in flight</th>
                </tr>
              </thead>
              <tbody>
                {overview.queues.map((queue) => (
                  <tr key={queue.name} data-queue={queue.name}>
                    <th scope="row">{queue.name}</th>
                    <td class="num">{formatCount(queue.visible)}</td>
                    <td class="num">{formatCount(queue.inFlight)}</td>
                    <td class="num">{formatCount(queue.delayed)}</td>
                    <td class="num">{formatAge(queue.oldestMessageAgeSeconds)}</td>
                    <td class="num">
                      {queue.dlq === undefined ? (
                        <span class="muted">no DLQ</span>
                      ) : (
                        <a href={dlqHash(queue.name)} class={queue.dlq.visible > 0 ? 'alert' : ''} aria-label={`${queue.name} DLQ: ${queue.dlq.visible} messages`}>
                          {formatCount(queue.dlq.visible)}
                        </a>
                      )}
                    </td>
                    <td class="num">{queue.dlq === undefined ? '–' : formatCount(queue.dlq.inFlight)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Tasks per minute</h2>
          <ThroughputChart buckets={overview.throughput.buckets} source={overview.throughput.source} />
        </>
      )}
    </section>
  );
}
