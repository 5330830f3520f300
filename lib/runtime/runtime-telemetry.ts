import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../contract';
import type { TaskLogger } from './define-task';

/** Metric names the runtime emits per task name (dimension `taskName`), in namespace `Bosun` by default. */
export const TaskMetric = {
  STARTED: 'TaskStarted',
  SUCCEEDED: 'TaskSucceeded',
  FAILED: 'TaskFailed',
  RETRIED: 'TaskRetried',
  DEAD: 'TaskDead',
  REROUTED: 'TaskRerouted',
  SCHEDULED: 'TaskScheduled',
  RELEASED: 'TaskReleased',
  DUPLICATE: 'TaskDuplicate',
  DURATION: 'TaskDuration',
  TIME_LIMIT_USED: 'TaskTimeLimitUsed',
  QUEUE_WAIT: 'TaskQueueWait',
  PAYLOAD_BYTES: 'TaskPayloadBytes',
} as const;

/** Dimension value used for messages whose task name is unknown or unreadable, to keep dimensions bounded. */
export const UNKNOWN_TASK_DIMENSION = '_unknown';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** Metrics of one batch, buffered per task name and flushed as one EMF document per task name. */
export class BatchMetrics {
  private readonly byTask = new Map<string, Array<readonly [string, Unit, number]>>();

  public count(taskName: string, metric: string): void {
    this.add(taskName, metric, MetricUnit.Count, 1);
  }

  public milliseconds(taskName: string, metric: string, value: number): void {
    this.add(taskName, metric, MetricUnit.Milliseconds, value);
  }

  public bytes(taskName: string, value: number): void {
    this.add(taskName, TaskMetric.PAYLOAD_BYTES, MetricUnit.Bytes, value);
  }

  public percent(taskName: string, metric: string, value: number): void {
    this.add(taskName, metric, MetricUnit.Percent, value);
  }

  /** Writes the buffered metrics through Powertools (EMF on stdout) and clears the buffer. */
  public flush(metrics: Metrics): void {
    for (const [taskName, entries] of this.byTask) {
      metrics.addDimension('taskName', taskName);
      for (const [name, unit, value] of entries) metrics.addMetric(name, unit, value);
      metrics.publishStoredMetrics();
    }
    this.byTask.clear();
  }

  private add(taskName: string, metric: string, unit: Unit, value: number): void {
    let entries = this.byTask.get(taskName);
    if (entries === undefined) {
      entries = [];
      this.byTask.set(taskName, entries);
    }
    entries.push([metric, unit, value]);
  }
}

/** The Powertools logger the runtime uses when none is given: service from `POWERTOOLS_SERVICE_NAME`, else `bosun`. */
export function defaultRuntimeLogger(): Logger {
  return new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'bosun' });
}

/** The Powertools metrics the runtime uses when none is given: namespace from `POWERTOOLS_METRICS_NAMESPACE`, else `Bosun`. */
export function defaultRuntimeMetrics(): Metrics {
  return new Metrics({
    namespace: process.env['POWERTOOLS_METRICS_NAMESPACE'] ?? METRICS_NAMESPACE,
    serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'bosun',
  });
}

/** A {@link TaskLogger} that adds the task's id, name and attempt to every line of a Powertools logger. */
export function boundTaskLogger(logger: Logger, keys: Readonly<Record<string, unknown>>): TaskLogger {
  return {
    debug: (message, extra) => logger.debug(message, { ...keys, ...extra }),
    info: (message, extra) => logger.info(message, { ...keys, ...extra }),
    warn: (message, extra) => logger.warn(message, { ...keys, ...extra }),
    error: (message, extra) => logger.error(message, { ...keys, ...extra }),
  };
}
