import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { Command } from 'commander';
import { type TaskDeclaration, etaScheduleGroupName, periodicScheduleGroupName } from '../lib/contract';
import { withSchedulerClient } from '../lib/sdk/platform-options';
import type { TaskClientOptions } from '../lib/sdk/task-client';
import { nextFirings } from '../lib/schedules/next-firings';
import { LOCAL_CREDENTIALS } from '../local/emulators';
import { parseNonNegativeInteger } from './arguments';
import { CliPlatformInvalidError } from './errors';
import { renderJson, renderTable } from './output';
import type { Platform } from './platform';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';

/** Default number of next firing times `bosun schedules` computes per schedule. */
export const DEFAULT_FIRING_COUNT = 3;
/** Default most ETA schedules `bosun schedules --eta` reads. */
export const DEFAULT_ETA_LIMIT = 100;

/** One schedule as `bosun schedules` reports it. */
export interface ScheduleReport {
  readonly group: string;
  readonly name: string;
  /** `periodic` (a periodic task of the definition) or `eta` (a far-ETA task's one-time schedule). */
  readonly kind: 'periodic' | 'eta';
  readonly expression: string;
  readonly timeZone: string;
  readonly state: string;
  /** Name of the queue it sends to (the last part of the target ARN). */
  readonly queue: string;
  /** The next firing times, ISO-8601 UTC; empty when it will not fire again (or is disabled). */
  readonly nextFirings: readonly string[];
  /** For a flexible window, its length in minutes (a firing may come that much later). */
  readonly flexibleWindowMinutes?: number;
}

/** Options of {@link listSchedules}. */
export interface ListSchedulesOptions {
  /** Firing times computed per schedule. @default 3 */
  readonly count?: number;
  /** Include the ETA schedules, at most this many. @default - none */
  readonly etaLimit?: number;
  /** The time firings are computed after. @default - now */
  readonly now?: Date;
}

/**
 * A Scheduler client for a platform: the local scheduler's endpoint with static credentials for the local target,
 * the default chain (or `--profile`) and region for AWS.
 *
 * @example
 * const scheduler = schedulerClientFor(platform);
 */
export function schedulerClientFor(platform: Platform): SchedulerClient {
  if (platform.target === 'local' && platform.endpoints?.scheduler === undefined) {
    throw new CliPlatformInvalidError('the local platform', 'its platform.json names no scheduler endpoint; restart it with `npm start`');
  }
  return new SchedulerClient({
    region: platform.region,
    ...(platform.profile === undefined ? {} : { profile: platform.profile }),
    ...(platform.target === 'local' ? { endpoint: platform.endpoints!.scheduler!, credentials: LOCAL_CREDENTIALS } : {}),
  });
}

/**
 * `options` with the platform's Scheduler client for far ETAs — the local scheduler, or EventBridge Scheduler with
 * `--aws` — when the outputs configure ETA schedules and the platform serves them; otherwise unchanged (far ETAs go by
 * SQS hop chains). The caller destroys `options.etaSchedules?.client` when done. Used by every CLI command that
 * publishes (`publish`, `move --wrap-as`).
 *
 * @example
 * const options = withPlatformScheduler(platform, taskClientOptionsFromOutputs(platform.outputs, extra));
 * try { await createTaskClient(options).publish(task, payload, { eta }); } finally { options.etaSchedules?.client?.destroy(); }
 */
export function withPlatformScheduler<T extends TaskClientOptions<readonly TaskDeclaration<unknown>[]>>(platform: Platform, options: T): T {
  return withSchedulerClient(options, () => (platform.target === 'aws' || platform.endpoints?.scheduler !== undefined ? schedulerClientFor(platform) : undefined));
}

async function namesIn(scheduler: SchedulerClient, group: string, limit: number): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await scheduler.send(new ListSchedulesCommand({ GroupName: group, NextToken: nextToken, MaxResults: 100 }));
    for (const summary of page.Schedules ?? []) if (summary.Name !== undefined) names.push(summary.Name);
    nextToken = page.NextToken;
  } while (nextToken !== undefined && names.length < limit);
  return names.slice(0, limit);
}

function reportOf(schedule: GetScheduleCommandOutput, kind: ScheduleReport['kind'], count: number, now: Date): ScheduleReport {
  const expression = schedule.ScheduleExpression ?? '';
  const timeZone = schedule.ScheduleExpressionTimezone ?? 'UTC';
  const enabled = schedule.State !== 'DISABLED';
  const start = schedule.StartDate ?? schedule.CreationDate;
  const firings = enabled
    ? nextFirings(expression, {
        timeZone,
        after: now,
        count,
        ...(start === undefined ? {} : { startDate: start }),
        ...(schedule.EndDate === undefined ? {} : { endDate: schedule.EndDate }),
      })
    : [];
  const window = schedule.FlexibleTimeWindow;
  return {
    group: schedule.GroupName ?? 'default',
    name: schedule.Name ?? '',
    kind,
    expression,
    timeZone,
    state: schedule.State ?? 'ENABLED',
    queue: (schedule.Target?.Arn ?? '').split(':').at(-1) ?? '',
    nextFirings: firings.map((firing) => firing.toISOString()),
    ...(window?.Mode === 'FLEXIBLE' && window.MaximumWindowInMinutes !== undefined
      ? { flexibleWindowMinutes: window.MaximumWindowInMinutes }
      : {}),
  };
}

/**
 * Lists a platform's schedules — its periodic tasks and, on request, the one-time schedules of far-ETA tasks — with
 * their next firing times, computed from each schedule's expression, time zone and start date (ListSchedules, then
 * GetSchedule per schedule).
 *
 * @example
 * const reports = await listSchedules(platform, schedulerClientFor(platform), { count: 5 });
 */
export async function listSchedules(
  platform: Platform,
  scheduler: SchedulerClient,
  options: ListSchedulesOptions = {},
): Promise<ScheduleReport[]> {
  const now = options.now ?? new Date();
  const count = options.count ?? DEFAULT_FIRING_COUNT;
  const groups: Array<[string, ScheduleReport['kind'], number]> = [[periodicScheduleGroupName(platform.stage), 'periodic', Number.POSITIVE_INFINITY]];
  if (options.etaLimit !== undefined) groups.push([etaScheduleGroupName(platform.stage), 'eta', options.etaLimit]);
  const reports: ScheduleReport[] = [];
  for (const [group, kind, limit] of groups) {
    for (const name of await namesIn(scheduler, group, limit)) {
      try {
        const schedule = await scheduler.send(new GetScheduleCommand({ GroupName: group, Name: name }));
        reports.push(reportOf(schedule, kind, count, now));
      } catch (error) {
        // A one-time schedule may delete itself between the list and the read.
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      }
    }
  }
  return reports;
}

/**
 * Renders schedules for people: one row each, with the next firing and how many more were computed.
 *
 * @example
 * io.write(renderSchedules(reports, io.columns));
 */
export function renderSchedules(reports: readonly ScheduleReport[], width?: number): string {
  if (reports.length === 0) return 'no schedules\n';
  return renderTable(
    ['schedule', 'kind', 'expression', 'time zone', 'state', 'queue', 'next firings (UTC)'],
    reports.map((r) => [
      r.name,
      r.kind,
      r.flexibleWindowMinutes === undefined ? r.expression : `${r.expression} (+${r.flexibleWindowMinutes} min window)`,
      r.timeZone,
      r.state,
      r.queue,
      r.nextFirings.length === 0 ? '-' : r.nextFirings.join(', '),
    ]),
    width,
  );
}

interface SchedulesOptions extends TargetOptions {
  readonly count: number;
  readonly eta?: boolean;
  readonly etaLimit: number;
}

/**
 * Registers `bosun schedules`.
 *
 * @example
 * registerSchedulesCommand(program, session);
 */
export function registerSchedulesCommand(program: Command, session: CliSession): void {
  addTargetOptions(
    program
      .command('schedules')
      .description("List the platform's periodic tasks (and with --eta the far-ETA tasks' schedules) with their next firing times.")
      .option('--count <n>', 'next firing times to show per schedule', parseNonNegativeInteger, DEFAULT_FIRING_COUNT)
      .option('--eta', 'also list the one-time schedules of far-ETA tasks', false)
      .option('--eta-limit <n>', 'most ETA schedules to read (with --eta)', parseNonNegativeInteger, DEFAULT_ETA_LIMIT),
  ).action(async (options: SchedulesOptions) => {
    const count = options.count;
    const etaLimit = options.eta === true ? options.etaLimit : undefined;
    await session.withTarget(options, async ({ platform, io, json }) => {
      const scheduler = schedulerClientFor(platform);
      try {
        const reports = await listSchedules(platform, scheduler, { count, ...(etaLimit === undefined ? {} : { etaLimit }) });
        io.write(json ? renderJson({ schedules: reports }) : renderSchedules(reports, io.columns));
      } finally {
        scheduler.destroy();
      }
    });
  });
}
