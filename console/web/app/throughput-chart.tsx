import { formatClock, formatCount } from './format';
import type { ThroughputBucket } from './types';

/** The outcomes the chart stacks, bottom to top, with their legend labels. */
export const OUTCOMES = [
  { key: 'succeeded', label: 'succeeded' },
  { key: 'retried', label: 'retried' },
  { key: 'dead', label: 'dead' },
  { key: 'rerouted', label: 'rerouted' },
] as const;

const WIDTH = 720;
const HEIGHT = 180;
const LEFT = 40;
const BOTTOM = 20;
const TOP = 8;

/** Rounds a maximum up to 1, 2 or 5 × 10ⁿ so the axis shows readable figures. */
function niceMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * Tasks per minute by outcome as stacked bars, one per bucket (oldest left), drawn as plain SVG. Each bar has a
 * tooltip with its figures and the whole chart a text summary, so it reads without seeing it.
 */
export function ThroughputChart(props: { readonly buckets: readonly ThroughputBucket[]; readonly source: string }) {
  const { buckets } = props;
  const totals = { succeeded: 0, retried: 0, dead: 0, rerouted: 0 };
  let peak = 0;
  for (const bucket of buckets) {
    let sum = 0;
    for (const { key } of OUTCOMES) {
      totals[key] += bucket[key];
      sum += bucket[key];
    }
    peak = Math.max(peak, sum);
  }
  const max = niceMax(peak);
  const plotWidth = WIDTH - LEFT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = buckets.length === 0 ? plotWidth : plotWidth / buckets.length;
  const barWidth = Math.max(1, slot - 2);
  const y = (value: number): number => TOP + plotHeight - (value / max) * plotHeight;
  const summary = `Tasks per minute over the last ${buckets.length} minutes: ${OUTCOMES.map(({ key, label }) => `${formatCount(totals[key])} ${label}`).join(', ')}.`;
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 6));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} preserveAspectRatio="none">
        {[0, max / 2, max].map((tick) => (
          <g key={tick}>
            <line class="grid" x1={LEFT} x2={WIDTH} y1={y(tick)} y2={y(tick)} />
            <text class="axis" x={LEFT - 6} y={y(tick) + 4} text-anchor="end">
              {formatCount(tick)}
            </text>
          </g>
        ))}
        {buckets.map((bucket, index) => {
          let base = 0;
          const x = LEFT + index * slot + 1;
          const title = `${formatClock(bucket.start)} UTC: ${OUTCOMES.map(({ key, label }) => `${bucket[key]} ${label}`).join(', ')}`;
          return (
            <g key={bucket.start}>
              <title>{title}</title>
              <rect class="hit" x={LEFT + index * slot} y={TOP} width={slot} height={plotHeight} />
              {OUTCOMES.map(({ key }) => {
                const value = bucket[key];
                if (value === 0) return null;
                const top = y(base + value);
                const height = y(base) - top;
                base += value;
                return <rect key={key} class={`bar ${key}`} x={x} y={top} width={barWidth} height={height} />;
              })}
              {index % labelEvery === 0 ? (
                <text class="axis" x={x} y={HEIGHT - 4}>
                  {formatClock(bucket.start)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {OUTCOMES.map(({ key, label }) => (
            <li key={key}>
              <span class={`swatch ${key}`} aria-hidden="true" />
              {label}: <strong data-outcome={key}>{formatCount(totals[key])}</strong>
            </li>
          ))}
        </ul>
        <span class="muted">Per minute, UTC, last hour. Source: {props.source}</span>
      </figcaption>
    </figure>
  );
}
