import { CreateScheduleCommand, DeleteScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { etaScheduleName } from '../contract';
import { AwsCallFailedError, PublishOutcomeUnknownError } from './errors';
import { isCertainRejection } from './send-task';

/** How a task client publishes far ETAs as EventBridge Scheduler one-time schedules (see `TaskClientOptions.etaSchedules`). */
export interface EtaScheduleOptions {
  /** The stack's ETA schedule group (`bosun-<stage>-eta`). */
  readonly groupName: string;
  /** The role the schedules send with (the stack's ETA schedule role): the producer passes it (`iam:PassRole`). */
  readonly roleArn: string;
  /** Bosun queues by logical name → queue ARN (a schedule targets an ARN). */
  readonly queueArns: Readonly<Record<string, string>>;
  /** Where Scheduler puts firings it could not deliver. @default - none */
  readonly deadLetterQueueArn?: string;
  /**
   * ETAs farther than this many seconds go to a one-time schedule; nearer ones use SQS delays (one hop or a chain).
   * @default - the client's maxDelaySeconds: every ETA beyond one SQS delay
   */
  readonly thresholdSeconds?: number;
  /**
   * Scheduler client. Required when the task client is given its own `clients` (emulators, a proxy): without it far
   * ETAs are chained through SQS, so a default client never reaches AWS from a local setup.
   * @default - one for the client's region
   */
  readonly client?: SchedulerClient;
}

/** What {@link EtaScheduler.create} needs of a task. */
export interface EtaScheduledTask {
  readonly taskId: string;
  readonly taskName: string;
  /** The Bosun queue it goes to. */
  readonly queue: string;
  /** ETA, ISO-8601 UTC. */
  readonly eta: string;
}

/** Most retries of a firing Scheduler could not deliver (its default). */
const RETRY_ATTEMPTS = 185;
/** How long Scheduler retries a firing: 24 h, its default and maximum. */
const MAX_EVENT_AGE_SECONDS = 86_400;

/**
 * Creates and deletes the one-time schedules of far-ETA tasks: `at(<eta>)` in UTC, deleting itself after it ran
 * (`ActionAfterCompletion=DELETE`), named after the task (`eta.<taskId>`), sending the task's envelope to its queue.
 * Scheduler fires within the minute of the ETA, possibly before it: the envelope carries the ETA, and the consumer
 * delays the remainder, so the task never starts early.
 *
 * @example
 * const scheduler = new EtaScheduler(client, { groupName: 'bosun-dev-eta', roleArn, queueArns });
 * await scheduler.create(task, body);
 */
export class EtaScheduler {
  public constructor(
    private readonly client: SchedulerClient,
    private readonly options: EtaScheduleOptions,
  ) {}

  /**
   * Creates the task's schedule. A schedule of that name that already exists is this task's (a retried publish).
   *
   * @throws AwsCallFailedError when Scheduler certainly refused; PublishOutcomeUnknownError when it may have created it.
   */
  public async create(task: EtaScheduledTask, body: string): Promise<string> {
    const name = etaScheduleName(task.taskId);
    const arn = this.options.queueArns[task.queue];
    if (arn === undefined) {
      throw new AwsCallFailedError('Scheduler', 'CreateSchedule', task.taskId, new Error(`no queue ARN is configured for queue "${task.queue}"`));
    }
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.options.groupName,
          ScheduleExpression: `at(${task.eta.slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Description: `Bosun task ${task.taskName} due ${task.eta}`,
          Target: {
            Arn: arn,
            RoleArn: this.options.roleArn,
            Input: body,
            RetryPolicy: { MaximumRetryAttempts: RETRY_ATTEMPTS, MaximumEventAgeInSeconds: MAX_EVENT_AGE_SECONDS },
            ...(this.options.deadLetterQueueArn === undefined ? {} : { DeadLetterConfig: { Arn: this.options.deadLetterQueueArn } }),
          },
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConflictException') return name;
      if (isCertainRejection(error)) throw new AwsCallFailedError('Scheduler', 'CreateSchedule', task.taskId, error);
      throw new PublishOutcomeUnknownError({ taskId: task.taskId, taskName: task.taskName, operation: 'Scheduler CreateSchedule', cause: error });
    }
    return name;
  }

  /**
   * Deletes a task's schedule; returns false when there was none (it fired, or the task never had one).
   *
   * @throws AwsCallFailedError for any other failure.
   */
  public async delete(taskId: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: etaScheduleName(taskId), GroupName: this.options.groupName }));
      return true;
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return false;
      throw new AwsCallFailedError('Scheduler', 'DeleteSchedule', taskId, error);
    }
  }
}
