import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { InvalidArgumentError, type Command } from 'commander';
import {
  DEFAULT_MOVE_CONCURRENCY,
  MAX_MOVE_CONCURRENCY,
  type MoveDecision,
  type MoveFailure,
  type MoveRequests,
  describeError,
  moveMessages,
  sentAtMs,
} from '../lib/aws/queue-mover';
import {
  CeleryConfigError,
  CeleryMappingError,
  CeleryMessageError,
  CeleryTaskExpiredError,
  CeleryTaskMap,
  type CeleryTaskMapping,
  celeryTaskEnvelope,
  decodeCeleryMessage,
} from '../lib/celery';
import {
  ENVELOPE_VERSION,
  Limits,
  MessageAttribute,
  TASK_NAME_PATTERN,
  type TaskEnvelope,
  defaultRoutingDocument,
  matchesGlob,
  serializeEnvelope,
} from '../lib/contract';
import {
  EtaTooFarError,
  MAX_ETA_SECONDS,
  type PublishBatchItem,
  PublishOutcomeUnknownError,
  type TaskClient,
  createTaskClient,
  scheduleEta,
  taskClientOptionsFromOutputs,
} from '../lib/sdk';
import { collectContext, parseInstant, parseNonNegativeInteger, parsePositiveNumber } from './arguments';
import type { CliClients } from './clients';
import { attribute, dlqOf, readBody } from './dead-letters';
import { CliUsageError } from './errors';
import { formatDuration, renderJson, startProgress } from './output';
import { type Platform, findQueue } from './platform';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';
import { withPlatformScheduler } from './schedules';

/**
 * Default seconds `bosun move` hides a message it leaves in the source: longer than the engine's 300 s, so a move of
 * millions (8M at 340k/min takes about 24 min) rarely sees its held messages come back; a crashed run's messages
 * return after it.
 */
export const DEFAULT_MOVE_HOLD_SECONDS = 900;
/** Failures a report lists one by one; the rest are counted by reason. */
const MAX_LISTED_FAILURES = 100;
/** Dry-run samples kept per outcome. */
const MAX_SAMPLES = 5;
/** Suffix of a source argument naming a platform queue's DLQ, for example `default:dlq`. */
const DLQ_SUFFIX = ':dlq';
/** Prefix of the dedup key of a wrapped body: the same source message always becomes the same task. */
const WRAP_DEDUP_PREFIX = 'move:';
const MS_PER_SECOND = 1000;
const SECONDS_PER_DAY = 86_400;
/** Epoch seconds below this are read as seconds, above as milliseconds (year 2286 in seconds). */
const EPOCH_SECONDS_BELOW = 1e10;

/** What `bosun move` takes: any SQS queue as the source, a Bosun queue as the destination, and what to move. */
export interface MoveOptions {
  /** Source: a queue URL, a platform queue name, or `<name>:dlq` for a platform queue's DLQ. */
  readonly source: string;
  /** Destination: a queue name of the platform. */
  readonly to: string;
  /** Move only messages whose task name matches this glob (`*`, `?`). @default - every task */
  readonly taskGlob?: string;
  /** Move only messages carrying every one of these message attributes with these string values. @default - none */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Move only messages SQS received before this instant (ISO-8601). @default - the start of the run */
  readonly sentBefore?: string;
  /** Move only messages SQS received at or after this instant (ISO-8601). @default - any */
  readonly sentAfter?: string;
  /**
   * Wrap plain JSON bodies (not Bosun envelopes) as tasks of this name, published through the producer SDK.
   * @default - a plain body is not moved and is reported as failed
   */
  readonly wrapAs?: string;
  /** Dotted path of the ETA in a plain JSON body (ISO-8601, or epoch seconds), for example `headers.eta`. @default - none */
  readonly etaField?: string;
  /**
   * Convert the messages of another system into Bosun envelopes: `celery` reads Celery task messages (protocol 2 or 1,
   * JSON) and moves each as the Bosun task `celeryTasks` maps it to, under its Celery id, its ETA kept.
   * @default - none: only Bosun envelopes (and, with `wrapAs`, plain JSON bodies) move
   */
  readonly transform?: 'celery';
  /** With `transform: 'celery'`: which Bosun task each Celery task is, and how its arguments become the payload. */
  readonly celeryTasks?: readonly CeleryTaskMapping[];
  /** Most messages moved (filtered-out ones do not count). @default - the whole snapshot */
  readonly max?: number;
  /** Most messages per second. @default - no limit */
  readonly ratePerSecond?: number;
  /** Receive → send → delete loops in parallel, 1–100. @default 8 */
  readonly concurrency?: number;
  /** Seconds a message left in the source stays hidden during the run, 1–43200. @default 900 */
  readonly holdSeconds?: number;
  /** Count and sample what would move; send, delete and write nothing. @default false */
  readonly dryRun?: boolean;
  /** Called with the snapshot's size, then after every batch with the messages handled in it. */
  readonly onProgress?: (event: { readonly kind: 'start'; readonly total: number } | { readonly kind: 'batch'; readonly handled: number }) => void;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /**
   * Where the producer SDK's warnings go (a best-effort cleanup that failed while wrapping), one line each.
   * @default - dropped
   */
  readonly warn?: (line: string) => void;
}

/** How a moved message was carried over. */
export type MoveTransform = 'pass-through' | 'wrapped' | 'celery';

/** One message of a dry run, as it would move. Never the body. */
export interface MoveSample {
  readonly messageId: string;
  readonly taskName?: string;
  readonly taskId?: string;
  readonly transform: MoveTransform;
  /** `DelaySeconds` the copy would carry. */
  readonly delaySeconds: number;
  /** Whether the ETA is beyond one SQS delay: sent on Bosun's scheduled path (the consumer hops it). */
  readonly scheduled: boolean;
  readonly eta?: string;
}

/** What `bosun move` did (or, with `dryRun`, would do). */
export interface MoveResult {
  readonly source: string;
  readonly destination: string;
  readonly destinationUrl: string;
  readonly dryRun: boolean;
  /** Start of the run, ISO-8601: only messages SQS received before it are moved. */
  readonly startedAt: string;
  /** The source's `ApproximateNumberOfMessages` at the start. */
  readonly snapshot: number;
  /** Source messages in flight at the start: not seen unless they came back during the run. */
  readonly inFlightAtStart: number;
  /** Copies the destination accepted (their source messages deleted, or listed in `deleteFailures`). */
  readonly moved: number;
  /** Of `moved`: Bosun envelopes sent unchanged. */
  readonly passedThrough: number;
  /** Of `moved`: plain JSON bodies published as tasks of `wrapAs`. */
  readonly wrapped: number;
  /** Of `moved`: Celery task messages converted to Bosun envelopes (`transform: 'celery'`). */
  readonly celery: number;
  /** Of `moved`: copies whose ETA was within one SQS delay, sent with it as `DelaySeconds`. */
  readonly delayed: number;
  /** Of `moved`: copies whose ETA was further, sent on the scheduled path (longest delay, then the consumer hops). */
  readonly scheduled: number;
  /** Source messages an earlier run had already moved (their wrapped task exists): deleted without a send. */
  readonly alreadyMoved: number;
  /** Messages of the snapshot the filters left in the source. */
  readonly filteredOut: number;
  /** Messages kept in the source with nothing sent. */
  readonly failed: number;
  /** `failed`, per reason (an error name or SQS error code, or what was wrong with the body). */
  readonly failedByReason: Readonly<Record<string, number>>;
  /** The first failures, one by one. */
  readonly failures: readonly MoveFailure[];
  /** Messages kept whose copy may have been sent: the next run sends again (the consumer runs the task once). */
  readonly unknownOutcomes: readonly MoveFailure[];
  /** Messages moved whose source message could not be deleted: a duplicate, which the consumer runs once. */
  readonly deleteFailures: readonly MoveFailure[];
  /** Messages sent to the source after the start: left for the next run. */
  readonly leftForNextRun: number;
  /** Messages of the snapshot not taken because `max` was reached. */
  readonly beyondMax: number;
  /**
   * About how many messages of the snapshot the run did not see: taken by another receiver, or the run outlasted
   * `holdSeconds` and ended early. Run again to move them.
   */
  readonly notSeen: number;
  /** Wall time, ms, and the rate it came to. */
  readonly durationMs: number;
  readonly messagesPerSecond: number;
  /** SQS requests made (the producer SDK's for wrapped bodies not included). */
  readonly requests: MoveRequests;
  /** Dry run only: up to 5 messages per transform as they would move. */
  readonly samples: readonly MoveSample[];
}

/** A reason to count failures by: the same for every message that failed the same way. */
function reasonOf(error: unknown): string {
  if (error instanceof EtaTooFarError) return `EtaTooFarError: ETA more than ${MAX_ETA_SECONDS} s (${MAX_ETA_SECONDS / SECONDS_PER_DAY} days) away`;
  return error instanceof Error ? error.name : 'Error';
}

/** Resolves a source argument to a queue URL. */
function sourceUrlOf(platform: Platform, source: string): string {
  if (/^https?:\/\//.test(source)) return source;
  if (source.endsWith(DLQ_SUFFIX)) return dlqOf(platform, source.slice(0, -DLQ_SUFFIX.length)).dlqUrl;
  return findQueue(platform, source).url;
}

/** The value at a dotted path of a JSON value. */
function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A message's ETA field read as epoch ms; a string error when it is there but not a time. */
function etaOf(body: unknown, field: string): number | undefined | { readonly error: string } {
  const value = valueAt(body, field);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value < EPOCH_SECONDS_BELOW ? value * MS_PER_SECOND : value;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  return { error: `ETA field "${field}" is not an ISO-8601 time or epoch seconds (given a ${typeof value})` };
}

/** The message attributes the producer SDK gives a task, for an envelope `bosun move` builds. */
function taskAttributes(envelope: TaskEnvelope): Record<string, MessageAttributeValue> {
  return {
    [MessageAttribute.TASK_NAME]: { DataType: 'String', StringValue: envelope.task },
    [MessageAttribute.TASK_ID]: { DataType: 'String', StringValue: envelope.id },
    [MessageAttribute.ENVELOPE_VERSION]: { DataType: 'Number', StringValue: String(ENVELOPE_VERSION) },
    [MessageAttribute.ROUTE]: { DataType: 'String', StringValue: envelope.route.destination },
  };
}

function copyAttributes(message: Message): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.DataType === undefined) continue;
    attributes[name] = {
      DataType: value.DataType,
      ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
    };
  }
  return attributes;
}

/** A source message, read once: a Bosun envelope, a plain JSON body, or neither. */
type Parsed =
  | { readonly kind: 'envelope'; readonly envelope: TaskEnvelope }
  | { readonly kind: 'celery'; readonly envelope: TaskEnvelope }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'other'; readonly why: string; readonly reason: string };

/** Reads a Celery task message as its Bosun envelope; `undefined` when the body is not a Celery message at all. */
type CeleryReader = (message: Message) => Parsed | undefined;

function parse(message: Message, celery: CeleryReader | undefined): Parsed {
  const body = readBody(message);
  if (body.envelope !== undefined) return { kind: 'envelope', envelope: body.envelope };
  const fromCelery = celery?.(message);
  if (fromCelery !== undefined) return fromCelery;
  try {
    const value = JSON.parse(message.Body ?? '') as unknown;
    // Something that calls itself an envelope but is not a valid one is not a plain body to wrap.
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'v' in value) {
      const why = `not a valid Bosun envelope: ${body.unreadable ?? 'unreadable'}`;
      return { kind: 'other', why, reason: why };
    }
    return { kind: 'json', value };
  } catch {
    const reason = 'body is neither a Bosun envelope nor JSON';
    return { kind: 'other', why: `${reason} (${Buffer.byteLength(message.Body ?? '', 'utf8')} bytes)`, reason };
  }
}

/**
 * Checks the options a user gave, before anything is read or sent.
 *
 * @throws CliUsageError naming the option, what was given and what is allowed.
 */
function checkOptions(options: MoveOptions): void {
  const concurrency = options.concurrency ?? DEFAULT_MOVE_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_MOVE_CONCURRENCY) {
    throw new CliUsageError('--concurrency', `must be a whole number from 1 to ${MAX_MOVE_CONCURRENCY} (given ${concurrency})`);
  }
  const hold = options.holdSeconds ?? DEFAULT_MOVE_HOLD_SECONDS;
  if (!Number.isInteger(hold) || hold < 1 || hold > Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS) {
    throw new CliUsageError('--hold-seconds', `must be a whole number of seconds from 1 to ${Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS} (given ${hold})`);
  }
  if (options.wrapAs !== undefined && !TASK_NAME_PATTERN.test(options.wrapAs)) {
    throw new CliUsageError('--wrap-as', `must be a task name of lower-case letters, digits, ".", "-" and "_", starting with a letter or digit (given "${options.wrapAs}")`);
  }
  if (options.etaField !== undefined && options.wrapAs === undefined) {
    throw new CliUsageError('--eta-field', 'applies to plain JSON bodies, which are moved only with --wrap-as <task>; add --wrap-as (Bosun envelopes carry their own ETA)');
  }
  if (options.sentBefore !== undefined && options.sentAfter !== undefined && Date.parse(options.sentAfter) >= Date.parse(options.sentBefore)) {
    throw new CliUsageError('--sent-after', `must be before --sent-before (given ${options.sentAfter} and ${options.sentBefore})`);
  }
  if (options.transform !== undefined && (options.transform as string) !== 'celery') {
    throw new CliUsageError('--transform', `must be celery (given "${String(options.transform)}")`);
  }
  const mapped = options.celeryTasks?.length ?? 0;
  if (options.transform === 'celery' && mapped === 0) {
    throw new CliUsageError('--transform', 'celery needs at least one --celery-task <celery task>=<bosun task>[:<arg>,<arg>…] saying which Bosun task each Celery task becomes');
  }
  if (options.transform === undefined && mapped > 0) {
    throw new CliUsageError('--celery-task', 'applies with --transform celery; add --transform celery');
  }
}

/** The Celery task map of `--celery-task`, checked. @throws CliUsageError */
function celeryMapOf(options: MoveOptions): CeleryTaskMap | undefined {
  if (options.transform !== 'celery') return undefined;
  try {
    return new CeleryTaskMap(options.celeryTasks ?? []);
  } catch (error) {
    if (error instanceof CeleryConfigError) throw new CliUsageError('--celery-task', error.message);
    throw error;
  }
}

/**
 * Commander parser of a repeatable `--celery-task <celery task>=<bosun task>[:<arg>,<arg>…]`: the Celery task name,
 * the Bosun task it becomes, and the names of its positional parameters (the rest of its keyword arguments stay
 * keywords), for example `app.add=math.add:x,y`.
 *
 * @example
 * command.option('--celery-task <mapping>', 'Celery task to Bosun task (repeatable)', collectCeleryTask, []);
 */
export function collectCeleryTask(value: string, previous: readonly CeleryTaskMapping[] = []): CeleryTaskMapping[] {
  const match = /^([^=\s]+)=([^:\s]+)(?::([^\s]*))?$/.exec(value);
  const args = match?.[3] === undefined || match[3] === '' ? [] : match[3].split(',');
  if (match === null || args.some((name) => name === '')) {
    throw new InvalidArgumentError(`expected <celery task>=<bosun task>[:<arg>,<arg>…], for example app.add=math.add:x,y (given "${value}")`);
  }
  const [, celeryTask, task] = match as unknown as [string, string, string];
  if (!TASK_NAME_PATTERN.test(task)) {
    throw new InvalidArgumentError(`the Bosun task must be a task name of lower-case letters, digits, ".", "-" and "_" (given "${task}")`);
  }
  return [...previous, { task, celeryTask, ...(args.length === 0 ? {} : { args }) }];
}

/**
 * Moves messages from any SQS queue (a DLQ, a legacy system's queue, another Bosun queue; local or in AWS) into a
 * queue of the platform, with the move engine `moveMessages` (parallel receive → send-batch → delete-batch loops, a
 * source message deleted only after its copy was accepted, from a snapshot of what was in the source at the start).
 *
 * **Transform.** A Bosun envelope passes through unchanged (same task id, link, attempts and message attributes, so a
 * copy sent twice after a crash is run once by the consumer); its ETA is kept with the SDK's own rule
 * (`scheduleEta`): a remaining wait within one SQS delay becomes the copy's `DelaySeconds`, a longer one is sent with
 * the longest delay and the consumer's ETA chain hops it until it is due. With `wrapAs`, a plain JSON body is
 * published through the producer SDK as a task of that name (payload: the body; ETA: `etaField`), with the dedup key
 * `move:<source message id>`: a second run after a crash finds the task and sends it only if no consumer touched it.
 * Anything else stays in the source and is reported.
 *
 * @example
 * const result = await moveQueue(platform, clients, { source: 'https://sqs.eu-west-1.amazonaws.com/1234/legacy', to: 'default', wrapAs: 'legacy.job', etaField: 'eta' });
 */
export async function moveQueue(platform: Platform, clients: CliClients, options: MoveOptions): Promise<MoveResult> {
  checkOptions(options);
  const celeryMap = celeryMapOf(options);
  const destination = findQueue(platform, options.to);
  const sourceUrl = sourceUrlOf(platform, options.source);
  if (sourceUrl === destination.url) {
    throw new CliUsageError('<source>', `and --to name the same queue (${options.to}); a move needs another queue as its destination`);
  }
  const clock = options.now ?? Date.now;
  const dryRun = options.dryRun === true;
  const sentBeforeMs = options.sentBefore === undefined ? undefined : Date.parse(options.sentBefore);
  const sentAfterMs = options.sentAfter === undefined ? undefined : Date.parse(options.sentAfter);
  const wanted = Object.entries(options.attributes ?? {});

  let client: TaskClient | undefined;
  let scheduler: SchedulerClient | undefined;
  const wrapper = (): TaskClient => {
    if (client !== undefined) return client;
    // Far ETAs of wrapped tasks go on one-time schedules, as `bosun publish` puts them, not on SQS hop chains.
    const clientOptions = withPlatformScheduler(platform, taskClientOptionsFromOutputs(platform.outputs, {
      clients: { sqs: clients.sqs, s3: clients.s3, dynamodb: clients.dynamodb, appConfigData: clients.appConfigData },
      region: platform.region,
      // Every wrapped task goes to the destination the operator named, whatever the routing flags say.
      routing: { current: () => Promise.resolve(defaultRoutingDocument(destination.name)) },
      // Not the SDK's default JSON logger, which writes to standard output (where --json goes).
      logger: {
        info: () => undefined,
        warn: (message, fields) => options.warn?.(`warning: ${message}${fields?.['taskId'] === undefined ? '' : ` (task ${String(fields['taskId'])})`}\n`),
      },
    }));
    scheduler = clientOptions.etaSchedules?.client;
    client = createTaskClient(clientOptions);
    return client;
  };

  const celeryReader: CeleryReader | undefined =
    celeryMap === undefined
      ? undefined
      : (message) => {
          let decoded;
          try {
            decoded = decodeCeleryMessage(message.Body ?? '');
          } catch (error) {
            if (!(error instanceof CeleryMessageError) || error.problem === 'not-celery') return undefined;
            return { kind: 'other', why: `Celery message refused (${error.problem}): ${error.message}`, reason: `Celery message refused (${error.problem})` };
          }
          try {
            return { kind: 'celery', envelope: celeryTaskEnvelope(decoded, celeryMap, { queue: destination.name, sentAtMs: sentAtMs(message) ?? clock(), nowMs: clock() }) };
          } catch (error) {
            if (error instanceof CeleryTaskExpiredError) return { kind: 'other', why: error.message, reason: 'Celery task expired (a Celery worker would discard it)' };
            if (error instanceof CeleryMappingError) {
              const unmapped = celeryMap.forCeleryTask(decoded.task) === undefined;
              return { kind: 'other', why: error.message, reason: unmapped ? `Celery task ${decoded.task} has no --celery-task mapping` : `Celery arguments do not fit the mapping of ${decoded.task}` };
            }
            if (error instanceof CeleryMessageError) return { kind: 'other', why: error.message, reason: `Celery message refused (${error.problem})` };
            throw error;
          }
        };
  const parsed = new WeakMap<Message, Parsed>();
  const parsedOf = (message: Message): Parsed => {
    let value = parsed.get(message);
    if (value === undefined) {
      value = parse(message, celeryReader);
      parsed.set(message, value);
    }
    return value;
  };
  const taskNameOf = (message: Message): string | undefined => {
    const read = parsedOf(message);
    if (read.kind === 'envelope' || read.kind === 'celery') return read.envelope.task;
    return attribute(message, MessageAttribute.TASK_NAME) ?? (read.kind === 'json' ? options.wrapAs : undefined);
  };

  const tally = { passedThrough: 0, wrapped: 0, celery: 0, delayed: 0, scheduled: 0, alreadyMoved: 0 };
  const samples: MoveSample[] = [];
  const count = (sample: MoveSample): void => {
    if (sample.transform === 'pass-through') tally.passedThrough += 1;
    else if (sample.transform === 'celery') tally.celery += 1;
    else tally.wrapped += 1;
    if (sample.scheduled) tally.scheduled += 1;
    else if (sample.delaySeconds > 0) tally.delayed += 1;
    if (dryRun && samples.filter((kept) => kept.transform === sample.transform).length < MAX_SAMPLES) samples.push(sample);
  };

  /**
   * An envelope passes through as it is; a Celery message's converted envelope is sent in its place, with the message
   * attributes the SDK gives a task. Either way the task id is stable across runs (the Celery id), so a copy sent twice
   * after a crash is run once by the consumer.
   */
  const passThrough = (message: Message, envelope: TaskEnvelope, transform: 'pass-through' | 'celery' = 'pass-through'): MoveDecision => {
    let schedule;
    try {
      schedule = scheduleEta(envelope.task, envelope.eta === undefined ? undefined : Date.parse(envelope.eta), clock(), Limits.SQS_MAX_DELAY_SECONDS);
    } catch (error) {
      return { kind: 'fail', error: describeError(error), reason: reasonOf(error), taskId: envelope.id };
    }
    const sample: MoveSample = {
      messageId: message.MessageId ?? '',
      taskName: envelope.task,
      taskId: envelope.id,
      transform,
      delaySeconds: schedule.delaySeconds,
      scheduled: schedule.status === 'scheduled',
      ...(schedule.eta === undefined ? {} : { eta: schedule.eta }),
    };
    if (dryRun) count(sample);
    return {
      kind: 'send',
      queueUrl: destination.url,
      body: transform === 'celery' ? serializeEnvelope(envelope) : (message.Body ?? ''),
      attributes: transform === 'celery' ? taskAttributes(envelope) : copyAttributes(message),
      delaySeconds: schedule.delaySeconds,
      taskId: envelope.id,
      unknownNote: ' (kept in the source; the next run sends it again and the consumer runs the task once)',
      onSent: () => count(sample),
    };
  };

  /** Publishes the plain JSON bodies of a batch as tasks through the SDK (one `publishBatch`). */
  const wrapAll = async (messages: readonly { readonly message: Message; readonly value: unknown }[]): Promise<MoveDecision[]> => {
    const taskName = options.wrapAs as string;
    const decisions: MoveDecision[] = [];
    const items: PublishBatchItem[] = [];
    const itemOf: number[] = [];
    const etas: (string | undefined)[] = [];
    for (const { message, value } of messages) {
      const eta = options.etaField === undefined ? undefined : etaOf(value, options.etaField);
      if (typeof eta === 'object') {
        decisions.push({ kind: 'fail', error: eta.error, reason: `ETA field "${options.etaField ?? ''}" is not a time` });
        continue;
      }
      const etaIso = eta === undefined ? undefined : new Date(eta).toISOString();
      itemOf.push(decisions.length);
      decisions.push({ kind: 'fail', error: 'not published' });
      etas.push(etaIso);
      items.push({
        task: taskName,
        payload: value,
        options: { dedupKey: `${WRAP_DEDUP_PREFIX}${message.MessageId ?? ''}`, ...(etaIso === undefined ? {} : { eta: etaIso }) },
      });
    }
    if (items.length === 0) return decisions;
    const sampleOf = (index: number, taskId: string | undefined, etaIso: string | undefined): MoveSample => {
      const schedule = scheduleEta(taskName, etaIso === undefined ? undefined : Date.parse(etaIso), clock(), Limits.SQS_MAX_DELAY_SECONDS);
      return {
        messageId: messages[itemOf[index] as number]?.message.MessageId ?? '',
        taskName,
        ...(taskId === undefined ? {} : { taskId }),
        transform: 'wrapped',
        delaySeconds: schedule.delaySeconds,
        scheduled: schedule.status === 'scheduled',
        ...(schedule.eta === undefined ? {} : { eta: schedule.eta }),
      };
    };
    if (dryRun) {
      items.forEach((_, index) => {
        try {
          count(sampleOf(index, undefined, etas[index]));
          decisions[itemOf[index] as number] = { kind: 'delivered', queueUrl: destination.url };
        } catch (error) {
          decisions[itemOf[index] as number] = { kind: 'fail', error: describeError(error), reason: reasonOf(error) };
        }
      });
      return decisions;
    }
    const published = await wrapper().publishBatch(items);
    for (const outcome of published.outcomes) {
      const at = itemOf[outcome.index] as number;
      if (!outcome.ok) {
        const unknown = outcome.error instanceof PublishOutcomeUnknownError;
        decisions[at] = {
          kind: 'fail',
          error: `${describeError(outcome.error)}${unknown ? ' (kept in the source; the next run publishes it again, once)' : ''}`,
          reason: reasonOf(outcome.error),
          unknown,
          ...(outcome.taskId === undefined ? {} : { taskId: outcome.taskId }),
        };
        continue;
      }
      const { result } = outcome;
      if (result.duplicate && !result.resent) {
        // An earlier run published this very message and a consumer has it: the source copy is redundant.
        tally.alreadyMoved += 1;
        decisions[at] = { kind: 'delete', taskId: result.taskId };
        continue;
      }
      count({ ...sampleOf(outcome.index, result.taskId, result.eta), scheduled: result.status === 'scheduled' });
      decisions[at] = { kind: 'delivered', queueUrl: destination.url, taskId: result.taskId };
    }
    return decisions;
  };

  const decide = async (messages: readonly Message[]): Promise<MoveDecision[]> => {
    const decisions: (MoveDecision | undefined)[] = [];
    const plain: { message: Message; value: unknown }[] = [];
    const plainAt: number[] = [];
    messages.forEach((message, index) => {
      const read = parsedOf(message);
      if (read.kind === 'envelope') decisions.push(passThrough(message, read.envelope));
      else if (read.kind === 'celery') decisions.push(passThrough(message, read.envelope, 'celery'));
      else if (read.kind === 'json' && options.wrapAs !== undefined) {
        plainAt.push(index);
        plain.push({ message, value: read.value });
        decisions.push(undefined);
      } else {
        decisions.push(
          read.kind === 'json'
            ? { kind: 'fail', error: 'plain JSON body, not a Bosun envelope: pass --wrap-as <task> to publish it as a task' }
            : { kind: 'fail', error: read.why, reason: read.reason },
        );
      }
    });
    if (plain.length > 0) {
      const wrapped = await wrapAll(plain);
      plainAt.forEach((index, i) => {
        decisions[index] = wrapped[i];
      });
    }
    return decisions.map((decision) => decision ?? { kind: 'fail', error: 'no decision' });
  };

  const filter = (message: Message): boolean => {
    const sentAt = sentAtMs(message) ?? 0;
    if (sentBeforeMs !== undefined && sentAt >= sentBeforeMs) return false;
    if (sentAfterMs !== undefined && sentAt < sentAfterMs) return false;
    for (const [name, value] of wanted) if (attribute(message, name) !== value) return false;
    if (options.taskGlob !== undefined) {
      const name = taskNameOf(message);
      if (name === undefined || !matchesGlob(name, options.taskGlob)) return false;
    }
    return true;
  };

  const run = await moveMessages({
    sqs: clients.sqs,
    sourceUrl,
    decide,
    filter,
    concurrency: options.concurrency ?? DEFAULT_MOVE_CONCURRENCY,
    holdSeconds: options.holdSeconds ?? DEFAULT_MOVE_HOLD_SECONDS,
    dryRun,
    ...(options.ratePerSecond === undefined ? {} : { ratePerSecond: options.ratePerSecond }),
    ...(options.max === undefined ? {} : { max: options.max }),
    ...(options.now === undefined ? {} : { now: options.now }),
    onProgress: (event) => options.onProgress?.(event.kind === 'start' ? event : { kind: 'batch', handled: event.handled }),
  }).finally(() => scheduler?.destroy());
  const failedByReason: Record<string, number> = {};
  for (const failure of run.failures) failedByReason[failure.reason] = (failedByReason[failure.reason] ?? 0) + 1;
  const moved = run.moved;
  return {
    source: sourceUrl,
    destination: destination.name,
    destinationUrl: destination.url,
    dryRun,
    startedAt: run.startedAt,
    snapshot: run.snapshot,
    inFlightAtStart: run.inFlightAtStart,
    moved,
    ...tally,
    filteredOut: run.filteredOut,
    failed: run.failures.length,
    failedByReason,
    failures: run.failures.slice(0, MAX_LISTED_FAILURES),
    unknownOutcomes: run.unknownOutcomes,
    deleteFailures: run.deleteFailures,
    leftForNextRun: run.leftForNextRun,
    beyondMax: run.beyondMax,
    notSeen: Math.max(0, run.snapshot - run.seen),
    durationMs: run.durationMs,
    messagesPerSecond: run.durationMs > 0 ? Math.round((moved * MS_PER_SECOND) / run.durationMs) : 0,
    requests: run.requests,
    samples,
  };
}

/**
 * Renders a move report for people.
 *
 * @example
 * io.write(renderMove(result));
 */
export function renderMove(result: MoveResult): string {
  const verb = result.dryRun ? 'would move' : 'moved';
  const lines = [
    `${verb} ${result.moved} message(s) from ${result.source} to ${result.destination} in ${formatDuration(result.durationMs)}` +
      `${result.dryRun ? ' (dry run: nothing was sent, deleted or written)' : ` (${result.messagesPerSecond} msg/s)`}`,
    `  snapshot: about ${result.snapshot} message(s) sent to the source before ${result.startedAt}`,
    `  Bosun envelopes passed through: ${result.passedThrough}; plain JSON bodies wrapped as tasks: ${result.wrapped}` +
      `${result.celery > 0 ? `; Celery messages converted: ${result.celery}` : ''}`,
    `  ETA kept as DelaySeconds: ${result.delayed}; ETA beyond one SQS delay, sent on the scheduled path: ${result.scheduled}`,
  ];
  if (result.alreadyMoved > 0) lines.push(`already moved by an earlier run (source copy deleted, nothing sent): ${result.alreadyMoved}`);
  if (result.filteredOut > 0) lines.push(`filtered out (left in the source): ${result.filteredOut}`);
  if (result.beyondMax > 0) lines.push(`not taken (--max reached, left in the source): ${result.beyondMax}`);
  if (result.leftForNextRun > 0) lines.push(`left for the next run (sent to the source after the start): ${result.leftForNextRun}`);
  if (result.inFlightAtStart > 0) {
    lines.push(`in flight in the source at the start (received by someone else): ${result.inFlightAtStart}; run again once they are visible`);
  }
  if (result.notSeen > 0) {
    lines.push(`not seen: about ${result.notSeen} message(s) of the snapshot (received elsewhere, or the run outlasted --hold-seconds); run again to move them`);
  }
  if (result.failed > 0) {
    lines.push(`failed (kept in the source, nothing sent): ${result.failed}`);
    for (const [reason, count] of Object.entries(result.failedByReason)) lines.push(`  ${count} × ${reason}`);
  }
  if (result.unknownOutcomes.length > 0) {
    lines.push(`outcome unknown (kept in the source; the next run sends again and the consumer runs the task once): ${result.unknownOutcomes.length}`);
  }
  if (result.deleteFailures.length > 0) {
    lines.push(`moved but not deleted from the source (a duplicate, which the consumer runs once): ${result.deleteFailures.length}`);
  }
  for (const sample of result.samples) {
    lines.push(
      `  sample: ${sample.messageId} ${sample.taskName ?? '?'} ${sample.transform}` +
        `${sample.eta === undefined ? '' : ` eta ${sample.eta} (${sample.scheduled ? 'scheduled path' : `DelaySeconds ${sample.delaySeconds}`})`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface MoveCommandOptions extends TargetOptions {
  readonly to: string;
  readonly task?: string;
  readonly attribute: Record<string, string>;
  readonly sentBefore?: string;
  readonly sentAfter?: string;
  readonly wrapAs?: string;
  readonly etaField?: string;
  readonly transform?: string;
  readonly celeryTask: CeleryTaskMapping[];
  readonly max?: number;
  readonly rate?: number;
  readonly concurrency: number;
  readonly holdSeconds: number;
  readonly dryRun: boolean;
}

/**
 * Registers `bosun move`.
 *
 * @example
 * registerMoveCommand(program, session);
 */
export function registerMoveCommand(program: Command, session: CliSession): void {
  addTargetOptions(
    program
      .command('move')
      .description(
        'Move the messages that are in an SQS queue now into a queue of the platform: many receive → send-batch → ' +
          'delete-batch loops, a message deleted from the source only after its copy was accepted.',
      )
      .argument('<source>', 'source queue: a queue URL, a platform queue name, or <name>:dlq for its DLQ')
      .requiredOption('--to <queue>', 'destination: a queue name of the platform')
      .option('--task <glob>', 'only messages whose task name matches this glob (* and ?)')
      .option('--attribute <name=value>', 'only messages with this message attribute value (repeatable; all must match)', collectContext, {})
      .option('--sent-before <iso>', 'only messages sent to the source before this time', parseInstant)
      .option('--sent-after <iso>', 'only messages sent to the source at or after this time', parseInstant)
      .option('--wrap-as <task>', 'publish plain JSON bodies as tasks of this name (Bosun envelopes pass through)')
      .option('--eta-field <path>', 'dotted path of the ETA in a plain JSON body (ISO-8601 or epoch seconds), with --wrap-as')
      .option('--transform <name>', 'convert another system\'s messages into Bosun envelopes: celery (Celery task messages, protocol 2 or 1, JSON)')
      .option(
        '--celery-task <mapping>',
        'with --transform celery: <celery task>=<bosun task>[:<arg>,<arg>…], the Bosun task a Celery task becomes and the names of its positional arguments (repeatable)',
        collectCeleryTask,
        [],
      )
      .option('--max <n>', 'most messages to move', parseNonNegativeInteger)
      .option('--rate <n>', 'most messages per second', parsePositiveNumber)
      .option('--concurrency <n>', `loops in parallel, 1-${MAX_MOVE_CONCURRENCY}`, parseNonNegativeInteger, DEFAULT_MOVE_CONCURRENCY)
      .option('--hold-seconds <n>', 'seconds a message left in the source stays hidden during the run', parseNonNegativeInteger, DEFAULT_MOVE_HOLD_SECONDS)
      .option('--dry-run', 'count and sample what would move; send, delete and write nothing', false),
  ).action(async (source: string, options: MoveCommandOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      let progress = startProgress(io, true, 'move', 0);
      const result = await moveQueue(platform, clients, {
        source,
        to: options.to,
        attributes: options.attribute,
        concurrency: options.concurrency,
        holdSeconds: options.holdSeconds,
        dryRun: options.dryRun,
        ...(options.task === undefined ? {} : { taskGlob: options.task }),
        ...(options.sentBefore === undefined ? {} : { sentBefore: options.sentBefore }),
        ...(options.sentAfter === undefined ? {} : { sentAfter: options.sentAfter }),
        ...(options.wrapAs === undefined ? {} : { wrapAs: options.wrapAs }),
        ...(options.etaField === undefined ? {} : { etaField: options.etaField }),
        ...(options.transform === undefined ? {} : { transform: options.transform as 'celery' }),
        ...(options.celeryTask.length === 0 ? {} : { celeryTasks: options.celeryTask }),
        ...(options.max === undefined ? {} : { max: options.max }),
        ...(options.rate === undefined ? {} : { ratePerSecond: options.rate }),
        warn: (line) => io.error(line),
        onProgress: (event) => {
          if (event.kind === 'start') progress = startProgress(io, json, options.dryRun ? 'move (dry run)' : 'move', event.total, { rate: true });
          else progress.increment(event.handled);
        },
      });
      progress.stop();
      io.write(json ? renderJson(result) : renderMove(result));
      return result.failed > 0 || result.unknownOutcomes.length > 0 ? 1 : 0;
    });
  });
}
