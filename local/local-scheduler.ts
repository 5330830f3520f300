import { type MessageAttributeValue, type SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ScheduleExpressionInvalidError,
  SchedulerDeadLetterAttribute,
  parseScheduleExpression,
  substituteSchedulerContext,
} from '../lib/contract';
import { isKnownTimeZone, nextFirings } from '../lib/schedules/next-firings';

/** Where the local scheduler reads the time. Inject one to fire schedules in seconds instead of days. */
export interface LocalScheduleClock {
  /** The current time, in epoch milliseconds. */
  now(): number;
}

/** The machine's clock. */
export const REAL_CLOCK: LocalScheduleClock = { now: () => Date.now() };

/**
 * A clock that runs `speed` times faster than the machine's from the moment it is made: with 60, a schedule's
 * minute passes in a second (`npm start -- --schedule-speed 60`).
 *
 * @example
 * const clock = acceleratedClock(60);
 */
export function acceleratedClock(speed: number, startMs: number = Date.now()): LocalScheduleClock {
  return { now: () => startMs + (Date.now() - startMs) * speed };
}

/** One schedule the local scheduler fires (from the template, or created through its API). */
export interface LocalSchedule {
  readonly name: string;
  readonly groupName: string;
  readonly expression: string;
  readonly timeZone: string;
  readonly enabled: boolean;
  readonly flexibleWindowMinutes?: number;
  /** ARN and URL of the queue it sends to. */
  readonly target: { readonly arn: string; readonly url: string; readonly roleArn?: string };
  /** The message body, with Scheduler's context keywords. */
  readonly input: string;
  /** ARN and URL of the queue undeliverable firings go to. */
  readonly deadLetter?: { readonly arn: string; readonly url: string };
  /** `DELETE`: a one-time schedule removes itself once it fired. */
  readonly actionAfterCompletion: 'NONE' | 'DELETE';
  /** A rate counts from here; nothing fires before it. Epoch ms. */
  readonly startDateMs: number;
  readonly endDateMs?: number;
  readonly description?: string;
  readonly creationDateMs: number;
}

/** A firing the local scheduler sent. */
export interface LocalFiring {
  readonly groupName: string;
  readonly name: string;
  /** ISO-8601 UTC, without fraction, as Scheduler writes `<aws.scheduler.scheduled-time>`. */
  readonly scheduledTime: string;
  readonly executionId: string;
  /** Whether it reached the target queue (else it went to the DLQ, if any). */
  readonly delivered: boolean;
}

/** Options of {@link LocalScheduler}. */
export interface LocalSchedulerOptions {
  readonly sqs: SQSClient;
  readonly region: string;
  readonly accountId: string;
  /** Queue URLs by ARN: the targets an API-created schedule may have. */
  readonly queueUrls: ReadonlyMap<string, string>;
  /** @default REAL_CLOCK */
  readonly clock?: LocalScheduleClock;
  /** How often due firings are looked for, in real milliseconds. @default 1000 */
  readonly tickMs?: number;
  /** Receives a line per firing and per failure. @default - discarded */
  readonly log?: (line: string) => void;
}

/** Tries of a firing's delivery (the first and two retries) before it goes to the schedule's DLQ. */
const DELIVERY_TRIES = 3;
/** Longest `ERROR_MESSAGE` the local scheduler writes on a dead-lettered firing. */
const MAX_ERROR_MESSAGE_CHARS = 256;

const key = (groupName: string, name: string): string => `${groupName}/${name}`;
const isoSeconds = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** A request the local Scheduler API refuses, as Scheduler would (status and error type). */
class SchedulerApiError extends Error {
  public constructor(
    public readonly status: number,
    public readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * EventBridge Scheduler on one machine: fires the template's schedules (cron, rate and `at`, in their time zones) and
 * the one-time schedules the SDK creates, sending each firing's input — Scheduler's context keywords replaced — to
 * its queue, on an injectable clock; and serves the Scheduler API calls Bosun makes (CreateSchedule, GetSchedule,
 * DeleteSchedule, ListSchedules, REST-JSON on 127.0.0.1) for the real `@aws-sdk/client-scheduler`.
 *
 * Unlike Scheduler it fires at the scheduled second, ignoring the flexible window and its up-to-a-minute jitter, and
 * retries a failed send twice (not by the schedule's retry policy) before the DLQ, where it puts the firing as
 * Scheduler does: the target input as the body, with Scheduler's dead-letter attributes (`ERROR_CODE`,
 * `ERROR_MESSAGE`, `EXECUTION_ID`, `SCHEDULE_ARN`, `RETRY_ATTEMPTS`, `TARGET_ARN`).
 *
 * @example
 * const scheduler = new LocalScheduler({ sqs, region, accountId, queueUrls });
 * scheduler.add(schedule); await scheduler.listen(); scheduler.start();
 */
export class LocalScheduler {
  private readonly schedules = new Map<string, LocalSchedule>();
  /** Per schedule, the instant up to which its firings were sent. */
  private readonly checkedUntil = new Map<string, number>();
  private readonly clock: LocalScheduleClock;
  private readonly log: (line: string) => void;
  private readonly fired: LocalFiring[] = [];
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<readonly LocalFiring[]>;
  private server?: http.Server;

  public constructor(private readonly options: LocalSchedulerOptions) {
    this.clock = options.clock ?? REAL_CLOCK;
    this.log = options.log ?? ((): void => undefined);
  }

  /** The firings sent so far, oldest first. */
  public get firings(): readonly LocalFiring[] {
    return this.fired;
  }

  /** The scheduler's current time (epoch ms). */
  public now(): number {
    return this.clock.now();
  }

  /** Adds (or replaces) a schedule; it fires from now on. */
  public add(schedule: LocalSchedule): void {
    const id = key(schedule.groupName, schedule.name);
    this.schedules.set(id, schedule);
    this.checkedUntil.set(id, this.clock.now());
  }

  /** The schedules, in the order they were added. */
  public list(): readonly LocalSchedule[] {
    return [...this.schedules.values()];
  }

  /** A schedule by group and name. */
  public get(groupName: string, name: string): LocalSchedule | undefined {
    return this.schedules.get(key(groupName, name));
  }

  /** Removes a schedule; returns whether it existed. */
  public delete(groupName: string, name: string): boolean {
    this.checkedUntil.delete(key(groupName, name));
    return this.schedules.delete(key(groupName, name));
  }

  /** Starts looking for due firings every `tickMs`. */
  public start(): void {
    this.timer ??= setInterval(() => {
      this.tick().catch((error: unknown) => this.log(`scheduler: ${(error as Error).message}`));
    }, this.options.tickMs ?? 1000);
  }

  /**
   * Sends every firing due since the last tick up to the clock's now, in time order per schedule. Ticks never overlap:
   * a call during a tick waits for it and then runs its own.
   */
  public async tick(): Promise<readonly LocalFiring[]> {
    const previous = this.ticking ?? Promise.resolve([]);
    const run = previous.then(() => this.fireDue());
    this.ticking = run;
    return run;
  }

  /**
   * Sends one firing of a schedule for a given scheduled time, due or not — what a duplicate delivery by Scheduler
   * looks like (same scheduled time, another execution id). A one-time schedule that deletes itself is then gone.
   */
  public async fire(groupName: string, name: string, scheduledTimeMs: number): Promise<LocalFiring> {
    const schedule = this.schedules.get(key(groupName, name));
    if (schedule === undefined) throw new Error(`no schedule ${groupName}/${name}`);
    const firing = await this.send(schedule, scheduledTimeMs);
    if (schedule.actionAfterCompletion === 'DELETE' && parseScheduleExpression(schedule.expression).kind === 'at') {
      this.delete(groupName, name);
    }
    return firing;
  }

  /** Serves the Scheduler API on 127.0.0.1; returns its endpoint. */
  public async listen(port = 0): Promise<string> {
    const server = http.createServer((request, response) => {
      this.handle(request)
        .then((body) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        })
        .catch((error: unknown) => {
          const known = error instanceof SchedulerApiError ? error : new SchedulerApiError(500, 'InternalServerException', 'internal error');
          if (!(error instanceof SchedulerApiError)) this.log(`scheduler API: ${(error as Error).message}`);
          response.writeHead(known.status, { 'content-type': 'application/json', 'x-amzn-errortype': known.type });
          response.end(JSON.stringify({ Message: known.message }));
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops firing and serving; waits for a tick in progress. */
  public async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async fireDue(): Promise<readonly LocalFiring[]> {
    const now = this.clock.now();
    const sent: LocalFiring[] = [];
    for (const [id, schedule] of [...this.schedules]) {
      const after = this.checkedUntil.get(id) ?? now;
      this.checkedUntil.set(id, now);
      if (!schedule.enabled || now <= after) continue;
      const due = nextFirings(schedule.expression, {
        timeZone: schedule.timeZone,
        after: new Date(after),
        startDate: new Date(schedule.startDateMs),
        ...(schedule.endDateMs === undefined ? {} : { endDate: new Date(schedule.endDateMs) }),
        count: 1000,
      }).filter((firing) => firing.getTime() <= now);
      for (const firing of due) sent.push(await this.send(schedule, firing.getTime()));
      if (schedule.actionAfterCompletion === 'DELETE' && parseScheduleExpression(schedule.expression).kind === 'at' && due.length > 0) {
        this.schedules.delete(id);
        this.checkedUntil.delete(id);
      }
    }
    return sent;
  }

  private async send(schedule: LocalSchedule, scheduledTimeMs: number): Promise<LocalFiring> {
    const scheduledTime = isoSeconds(scheduledTimeMs);
    const executionId = randomUUID();
    const body = substituteSchedulerContext(schedule.input, {
      scheduledTime,
      executionId,
      scheduleArn: this.arnOf(schedule.groupName, schedule.name),
    });
    let delivered = false;
    let tries = 0;
    let lastError: Error | undefined;
    while (tries < DELIVERY_TRIES && !delivered) {
      tries += 1;
      try {
        await this.options.sqs.send(new SendMessageCommand({ QueueUrl: schedule.target.url, MessageBody: body }));
        delivered = true;
      } catch (error) {
        lastError = error as Error;
        this.log(`scheduler: ${schedule.groupName}/${schedule.name} at ${scheduledTime}: send failed (${lastError.name})`);
      }
    }
    if (!delivered && schedule.deadLetter !== undefined) {
      // As Scheduler does: the target input as the body, and why, which firing and how many retries as attributes.
      const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
      const A = SchedulerDeadLetterAttribute;
      await this.options.sqs.send(
        new SendMessageCommand({
          QueueUrl: schedule.deadLetter.url,
          MessageBody: body,
          MessageAttributes: {
            [A.ERROR_CODE]: text(lastError?.name ?? 'Unknown'),
            [A.ERROR_MESSAGE]: text((lastError?.message || 'the target refused the firing').slice(0, MAX_ERROR_MESSAGE_CHARS)),
            [A.EXECUTION_ID]: text(executionId),
            [A.SCHEDULE_ARN]: text(this.arnOf(schedule.groupName, schedule.name)),
            [A.RETRY_ATTEMPTS]: text(String(tries - 1)),
            [A.TARGET_ARN]: text(schedule.target.arn),
          },
        }),
      );
    }
    const firing = { groupName: schedule.groupName, name: schedule.name, scheduledTime, executionId, delivered };
    this.fired.push(firing);
    this.log(`scheduler: fired ${schedule.groupName}/${schedule.name} for ${scheduledTime}${delivered ? '' : ' (undelivered)'}`);
    return firing;
  }

  private arnOf(groupName: string, name: string): string {
    return `arn:aws:scheduler:${this.options.region}:${this.options.accountId}:schedule/${groupName}/${name}`;
  }

  private async handle(request: http.IncomingMessage): Promise<unknown> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const match = /^\/schedules(?:\/([^/]+))?$/.exec(url.pathname);
    if (match === null) throw new SchedulerApiError(404, 'UnknownOperationException', `the local scheduler serves /schedules only (given ${url.pathname})`);
    const name = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    if (name === undefined && request.method === 'GET') return this.listSchedules(url.searchParams);
    if (name === undefined) throw new SchedulerApiError(405, 'UnknownOperationException', `${request.method} /schedules is not served`);
    const groupName = url.searchParams.get('groupName') ?? 'default';
    if (request.method === 'GET') return this.describe(this.require(groupName, name));
    if (request.method === 'DELETE') {
      this.require(groupName, name);
      this.delete(groupName, name);
      return {};
    }
    if (request.method === 'POST') return this.create(name, JSON.parse(await readBody(request)) as Record<string, unknown>);
    throw new SchedulerApiError(405, 'UnknownOperationException', `${request.method} /schedules/{Name} is not served locally`);
  }

  private require(groupName: string, name: string): LocalSchedule {
    const schedule = this.get(groupName, name);
    if (schedule === undefined) throw new SchedulerApiError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return schedule;
  }

  private create(name: string, input: Record<string, unknown>): { ScheduleArn: string } {
    const invalid = (message: string): never => {
      throw new SchedulerApiError(400, 'ValidationException', message);
    };
    const groupName = typeof input['GroupName'] === 'string' ? input['GroupName'] : 'default';
    if (this.get(groupName, name) !== undefined) throw new SchedulerApiError(409, 'ConflictException', `Schedule ${name} already exists.`);
    const expression = typeof input['ScheduleExpression'] === 'string' ? input['ScheduleExpression'] : invalid('ScheduleExpression is required');
    try {
      parseScheduleExpression(expression);
    } catch (error) {
      if (error instanceof ScheduleExpressionInvalidError) invalid(`Invalid Schedule Expression ${expression}: ${error.message}`);
      throw error;
    }
    const timeZone = typeof input['ScheduleExpressionTimezone'] === 'string' ? input['ScheduleExpressionTimezone'] : 'UTC';
    if (!isKnownTimeZone(timeZone)) invalid(`Invalid ScheduleExpressionTimezone ${timeZone}`);
    const target = (input['Target'] ?? {}) as Record<string, unknown>;
    const targetArn = typeof target['Arn'] === 'string' ? target['Arn'] : invalid('Target.Arn is required');
    const targetUrl = this.options.queueUrls.get(targetArn) ?? invalid(`Target.Arn ${targetArn} is not a queue of the local platform`);
    const deadLetterArn = ((target['DeadLetterConfig'] ?? {}) as Record<string, unknown>)['Arn'];
    const deadLetterUrl = typeof deadLetterArn === 'string' ? this.options.queueUrls.get(deadLetterArn) : undefined;
    const now = this.clock.now();
    const seconds = (value: unknown): number | undefined => (typeof value === 'number' ? value * 1000 : undefined);
    const window = (input['FlexibleTimeWindow'] ?? {}) as Record<string, unknown>;
    const endDateMs = seconds(input['EndDate']);
    this.add({
      name,
      groupName,
      expression,
      timeZone,
      enabled: input['State'] !== 'DISABLED',
      ...(window['Mode'] === 'FLEXIBLE' && typeof window['MaximumWindowInMinutes'] === 'number'
        ? { flexibleWindowMinutes: window['MaximumWindowInMinutes'] }
        : {}),
      target: { arn: targetArn, url: targetUrl, ...(typeof target['RoleArn'] === 'string' ? { roleArn: target['RoleArn'] } : {}) },
      input: typeof target['Input'] === 'string' ? target['Input'] : '',
      ...(typeof deadLetterArn === 'string' && deadLetterUrl !== undefined ? { deadLetter: { arn: deadLetterArn, url: deadLetterUrl } } : {}),
      actionAfterCompletion: input['ActionAfterCompletion'] === 'DELETE' ? 'DELETE' : 'NONE',
      startDateMs: seconds(input['StartDate']) ?? now,
      ...(endDateMs === undefined ? {} : { endDateMs }),
      ...(typeof input['Description'] === 'string' ? { description: input['Description'] } : {}),
      creationDateMs: now,
    });
    return { ScheduleArn: this.arnOf(groupName, name) };
  }

  private describe(schedule: LocalSchedule): Record<string, unknown> {
    return {
      Arn: this.arnOf(schedule.groupName, schedule.name),
      Name: schedule.name,
      GroupName: schedule.groupName,
      ScheduleExpression: schedule.expression,
      ScheduleExpressionTimezone: schedule.timeZone,
      State: schedule.enabled ? 'ENABLED' : 'DISABLED',
      StartDate: schedule.startDateMs / 1000,
      ...(schedule.endDateMs === undefined ? {} : { EndDate: schedule.endDateMs / 1000 }),
      ...(schedule.description === undefined ? {} : { Description: schedule.description }),
      CreationDate: schedule.creationDateMs / 1000,
      LastModificationDate: schedule.creationDateMs / 1000,
      ActionAfterCompletion: schedule.actionAfterCompletion,
      FlexibleTimeWindow:
        schedule.flexibleWindowMinutes === undefined
          ? { Mode: 'OFF' }
          : { Mode: 'FLEXIBLE', MaximumWindowInMinutes: schedule.flexibleWindowMinutes },
      Target: {
        Arn: schedule.target.arn,
        ...(schedule.target.roleArn === undefined ? {} : { RoleArn: schedule.target.roleArn }),
        Input: schedule.input,
        ...(schedule.deadLetter === undefined ? {} : { DeadLetterConfig: { Arn: schedule.deadLetter.arn } }),
      },
    };
  }

  private listSchedules(query: URLSearchParams): Record<string, unknown> {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const state = query.get('State');
    const schedules = this.list()
      .filter((s) => (group === null || s.groupName === group) && s.name.startsWith(prefix))
      .filter((s) => state === null || (s.enabled ? 'ENABLED' : 'DISABLED') === state)
      .map((s) => ({
        Arn: this.arnOf(s.groupName, s.name),
        Name: s.name,
        GroupName: s.groupName,
        State: s.enabled ? 'ENABLED' : 'DISABLED',
        CreationDate: s.creationDateMs / 1000,
        LastModificationDate: s.creationDateMs / 1000,
        Target: { Arn: s.target.arn },
      }));
    return { Schedules: schedules };
  }
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
