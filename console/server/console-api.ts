import type { Message } from '@aws-sdk/client-sqs';
import { ClaimCheckStore } from '../../lib/aws/claim-check';
import { sentAtMs } from '../../lib/aws/queue-mover';
import { MessageAttribute } from '../../lib/contract';
import type { CliClients } from '../../cli/clients';
import { type DeadLetterFilter, attribute, deadReasonAttribute, dlqOf, readBody, taskNameOf } from '../../cli/dead-letters';
import { deleteDeadLetters, listDeadLetters } from '../../cli/dlq';
import { type LoadRoutingOptions, appConfigRoutingSourceFor, explainRoute, loadRoutingDocument, validateLoadedDocument } from '../../cli/flags';
import type { Platform } from '../../cli/platform';
import { redriveDeadLetters } from '../../cli/redrive';
import { collectStatus } from '../../cli/status';
import { readTask } from '../../cli/task';
import {
  DLQ_LIST_DEFAULT_LIMIT,
  DLQ_LIST_MAX_LIMIT,
  type DlqListResponse,
  type DlqMessageSummary,
  type FlagsExplainResponse,
  type FlagsResponse,
  type FlagsValidateResponse,
  type JobAccepted,
  type JobStatus,
  type OverviewResponse,
  type PayloadResponse,
  type PlatformResponse,
  type RedriveJobResult,
  type TaskResponse,
} from './api-types';
import { ConsoleApiError } from './errors';
import { JobRegistry } from './jobs';
import { readThroughput } from './throughput';

/** Most message ids one redrive or delete request may name. */
export const MAX_MESSAGE_IDS = 1000;
/** Longest id (task, message, job) the API accepts. */
const MAX_ID_LENGTH = 200;
/** Most task items the local overview reads for the age of the oldest waiting task. */
const OVERVIEW_SCAN_LIMIT = 20_000;
/** Redrive rate of a console redrive, messages per second (the CLI's default). */
const CONSOLE_REDRIVE_RATE = 50;

/** Options of {@link ConsoleApi}. */
export interface ConsoleApiOptions {
  /** The platform, as the CLI loads it (`loadLocalPlatform`, `loadAwsPlatform`). */
  readonly platform: Platform;
  /** The CLI's clients for it (`createCliClients`). */
  readonly clients: CliClients;
  /** Whether redrive and delete are allowed. */
  readonly actionsAllowed: boolean;
  /** Where jobs run. @default - a new registry */
  readonly jobs?: JobRegistry;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

function badRequest(message: string): ConsoleApiError {
  return new ConsoleApiError(400, 'bad-request', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shows a given value in an error message, bounded. */
function given(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > MAX_ID_LENGTH) {
    throw badRequest(`${what} must be a string of at most ${MAX_ID_LENGTH} characters (given ${given(value)})`);
  }
  return value;
}

function optionalTime(value: unknown, what: string): number | undefined {
  const text = optionalString(value, what);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw badRequest(`${what} must be an ISO-8601 time such as 2026-11-29T10:00:00Z (given ${given(text)})`);
  return ms;
}

/** A DLQ filter from the query (`task`, `reason`, `since`, `until`) or a request's `filter` object. */
function filterOf(source: { get(name: string): unknown }, prefix: string): DeadLetterFilter {
  const taskName = optionalString(source.get('task'), `${prefix}task`);
  const reason = optionalString(source.get('reason'), `${prefix}reason`);
  const sentFromMs = optionalTime(source.get('since'), `${prefix}since`);
  const sentBeforeMs = optionalTime(source.get('until'), `${prefix}until`);
  if (sentFromMs !== undefined && sentBeforeMs !== undefined && sentBeforeMs <= sentFromMs) {
    throw badRequest(`${prefix}until must be after ${prefix}since (given since ${given(source.get('since'))}, until ${given(source.get('until'))})`);
  }
  return {
    ...(taskName === undefined ? {} : { taskName }),
    ...(reason === undefined ? {} : { reason }),
    ...(sentFromMs === undefined ? {} : { sentFromMs }),
    ...(sentBeforeMs === undefined ? {} : { sentBeforeMs }),
  };
}

function messageIdsOf(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_MESSAGE_IDS) {
    throw badRequest(`${what} must be a non-empty array of at most ${MAX_MESSAGE_IDS} message ids (given ${given(value)})`);
  }
  return value.map((id, index) => {
    if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) {
      throw badRequest(`${what}[${index}] must be a message id, a non-empty string of at most ${MAX_ID_LENGTH} characters (given ${given(id)})`);
    }
    return id;
  });
}

function unknownFields(body: Record<string, unknown>, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw badRequest(`${what} has unknown field(s) ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
}

/** One dead message as the DLQ browser lists it: everything but the payload. */
export function summarizeDeadMessage(message: Message): DlqMessageSummary {
  const body = readBody(message);
  const taskId = body.envelope?.id ?? attribute(message, MessageAttribute.TASK_ID);
  const taskName = taskNameOf(message, body);
  const detail = attribute(message, MessageAttribute.DEAD_DETAIL);
  const attemptsText = attribute(message, MessageAttribute.ATTEMPTS);
  const attempts = Number(attemptsText);
  const sourceQueue = attribute(message, MessageAttribute.SOURCE_QUEUE);
  const sentAt = sentAtMs(message);
  return {
    messageId: message.MessageId ?? '',
    ...(taskId === undefined ? {} : { taskId }),
    ...(taskName === undefined ? {} : { taskName }),
    reason: deadReasonAttribute(message),
    ...(detail === undefined ? {} : { detail }),
    ...(attemptsText !== undefined && Number.isFinite(attempts) ? { attempts } : {}),
    ...(sourceQueue === undefined ? {} : { sourceQueue }),
    ...(sentAt === undefined ? {} : { sentAt: new Date(sentAt).toISOString() }),
    sizeBytes: Buffer.byteLength(message.Body ?? '', 'utf8'),
    claimChecked: body.envelope?.claimCheck !== undefined,
    ...(body.unreadable === undefined ? {} : { unreadable: body.unreadable }),
  };
}

/**
 * The console's API, apart from HTTP: each method answers one endpoint of `api-types.ts` through the CLI's own
 * platform access (status collection, DLQ listing, the redrive engine, task state, routing flags), so the console
 * has no second way to read queues or state. Methods throw {@link ConsoleApiError} for bad input.
 *
 * @example
 * const api = new ConsoleApi({ platform, clients, actionsAllowed: true });
 * const overview = await api.overview();
 */
export class ConsoleApi {
  public readonly jobs: JobRegistry;
  private readonly platform: Platform;
  private readonly clients: CliClients;
  private readonly actionsAllowed: boolean;
  private readonly now: () => number;
  /** One AppConfig session for the console's life (a deployed platform), polled within AppConfig's interval. */
  private readonly routing: LoadRoutingOptions;

  public constructor(options: ConsoleApiOptions) {
    this.platform = options.platform;
    this.clients = options.clients;
    this.actionsAllowed = options.actionsAllowed;
    this.jobs = options.jobs ?? new JobRegistry();
    this.now = options.now ?? Date.now;
    const appConfig = appConfigRoutingSourceFor(options.platform, options.clients, { now: this.now });
    this.routing = appConfig === undefined ? {} : { appConfig };
  }

  /** `GET /api/platform`. */
  public platformInfo(): PlatformResponse {
    return {
      target: this.platform.target,
      stage: this.platform.stage,
      region: this.platform.region,
      actionsAllowed: this.actionsAllowed,
      queues: this.platform.queues.map((queue) => ({ name: queue.name, hasDlq: queue.dlqUrl !== undefined })),
    };
  }

  /**
   * `GET /api/overview`: `bosun status`'s collection (queue and DLQ depths; locally the age of the oldest waiting
   * task from the table, in AWS SQS's `ApproximateAgeOfOldestMessage`) and the throughput of the last hour.
   */
  public async overview(): Promise<OverviewResponse> {
    const now = this.now();
    const local = this.platform.target === 'local';
    const [status, throughput] = await Promise.all([
      collectStatus(this.platform, this.clients, { scanTasks: local, scanLimit: OVERVIEW_SCAN_LIMIT, now: () => now }),
      readThroughput(this.platform, this.clients, now),
    ]);
    return {
      generatedAt: new Date(now).toISOString(),
      queues: status.queues.map((queue) => {
        const ageSeconds = queue.oldestMessageAgeSeconds ?? (queue.oldestWaitingAgeMs === undefined ? undefined : Math.floor(queue.oldestWaitingAgeMs / 1000));
        return {
          name: queue.name,
          visible: queue.visible,
          inFlight: queue.inFlight,
          delayed: queue.delayed,
          ...(ageSeconds === undefined ? {} : { oldestMessageAgeSeconds: ageSeconds }),
          ...(queue.dlq === undefined ? {} : { dlq: { visible: queue.dlq.visible, inFlight: queue.dlq.inFlight } }),
        };
      }),
      throughput,
    };
  }

  /** `GET /api/dlq/:queue?task=&reason=&since=&until=&limit=`: matching dead messages, without payloads. */
  public async listDlq(queueName: string, query: URLSearchParams): Promise<DlqListResponse> {
    dlqOf(this.platform, queueName);
    const filter = filterOf(query, '');
    const limitText = query.get('limit');
    const limit = limitText === null || limitText === '' ? DLQ_LIST_DEFAULT_LIMIT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > DLQ_LIST_MAX_LIMIT) {
      throw badRequest(`limit must be a whole number from 1 to ${DLQ_LIST_MAX_LIMIT} (given ${given(limitText)})`);
    }
    const listing = await listDeadLetters(this.platform, this.clients, queueName, { filter, limit });
    return {
      queue: queueName,
      total: listing.approximateDepth,
      scanned: listing.scanned,
      truncated: listing.truncated,
      messages: listing.messages.map(summarizeDeadMessage),
    };
  }

  /**
   * `GET /api/dlq/:queue/messages/:messageId/payload`: the payload of one dead message, fetched from S3 when it is
   * claim-checked (only from the platform's own claim-check bucket).
   */
  public async payload(queueName: string, messageId: string): Promise<PayloadResponse> {
    dlqOf(this.platform, queueName);
    const id = optionalString(messageId, 'the message id');
    if (id === undefined) throw badRequest('the message id is missing');
    const listing = await listDeadLetters(this.platform, this.clients, queueName, { filter: { messageIds: new Set([id]) }, limit: 1 });
    const message = listing.messages[0];
    if (message === undefined) {
      throw new ConsoleApiError(
        404,
        'message-not-found',
        `message ${id} is not among the ${listing.scanned} visible message(s) of the DLQ of ${queueName}: it was redriven or deleted, or it is in flight (try again in a few seconds)`,
      );
    }
    const body = readBody(message);
    const envelope = body.envelope;
    if (envelope === undefined) return { messageId: id, payload: message.Body ?? '' };
    const ref = envelope.claimCheck;
    if (ref === undefined) return { messageId: id, payload: envelope.payload };
    if (this.platform.bucketName !== undefined && ref.bucket !== this.platform.bucketName) {
      throw new ConsoleApiError(
        400,
        'bad-request',
        `the claim check of message ${id} names bucket ${ref.bucket}, not the platform's claim-check bucket ${this.platform.bucketName}; the console reads only the platform's bucket`,
      );
    }
    const text = await new ClaimCheckStore({ s3: this.clients.s3, bucket: ref.bucket }).fetch(ref, { taskId: envelope.id, taskName: envelope.task });
    let payload: unknown;
    try {
      payload = JSON.parse(text) as unknown;
    } catch {
      payload = text;
    }
    return { messageId: id, payload, claimCheck: { bucket: ref.bucket, key: ref.key } };
  }

  private requireActions(what: string): void {
    if (!this.actionsAllowed) {
      throw new ConsoleApiError(
        403,
        'actions-not-allowed',
        `${what} is refused: the console was started against AWS without --allow-actions (it only reads); restart it with --allow-actions to ${what.toLowerCase()}`,
      );
    }
  }

  /** `POST /api/dlq/:queue/redrive`: starts a redrive job of the given messages or of every message that matches a filter. */
  public redrive(queueName: string, request: unknown): JobAccepted {
    this.requireActions('Redrive');
    dlqOf(this.platform, queueName);
    if (!isRecord(request)) throw badRequest(`the body must be a JSON object { messageIds } or { filter } (given ${given(request)})`);
    unknownFields(request, ['messageIds', 'filter'], 'the redrive request');
    const hasIds = request['messageIds'] !== undefined;
    const hasFilter = request['filter'] !== undefined;
    if (hasIds === hasFilter) {
      throw badRequest(`a redrive needs exactly one of messageIds and filter (given ${hasIds ? 'both' : 'neither'})`);
    }
    let filter: DeadLetterFilter;
    let requested: string[] | undefined;
    if (hasIds) {
      requested = messageIdsOf(request['messageIds'], 'messageIds');
      filter = { messageIds: new Set(requested) };
    } else {
      const raw = request['filter'];
      if (!isRecord(raw)) throw badRequest(`filter must be an object with task, reason, since and until, each optional (given ${given(raw)})`);
      unknownFields(raw, ['task', 'reason', 'since', 'until'], 'filter');
      filter = filterOf({ get: (name) => raw[name] }, 'filter.');
    }
    return this.jobs.start('redrive', queueName, async (progress) => {
      const result = await redriveDeadLetters(this.platform, this.clients, queueName, {
        filter,
        ratePerSecond: CONSOLE_REDRIVE_RATE,
        onProgress: (event) => (event.kind === 'start' ? progress.setTotal(event.total) : progress.handled()),
      });
      const summary: RedriveJobResult = {
        kind: 'redrive',
        redriven: result.redriven,
        stateReset: result.stateReset,
        redundant: result.redundant.length,
        skipped: result.skipped,
        leftForNextRun: result.leftForNextRun,
        inFlightAtStart: result.inFlightAtStart,
        notFound: result.notFound ?? [],
        failures: [...result.failures, ...result.deleteFailures].map(({ messageId, taskId, error }) => ({ messageId, error, ...(taskId === undefined ? {} : { taskId }) })),
        unknownOutcomes: result.unknownOutcomes.map(({ messageId, taskId, error }) => ({ messageId, error, ...(taskId === undefined ? {} : { taskId }) })),
      };
      return summary;
    });
  }

  /** `POST /api/dlq/:queue/delete`: starts a job that deletes the given messages; `confirm: true` is required. */
  public delete(queueName: string, request: unknown): JobAccepted {
    this.requireActions('Delete');
    dlqOf(this.platform, queueName);
    if (!isRecord(request)) throw badRequest(`the body must be a JSON object { messageIds, confirm: true } (given ${given(request)})`);
    unknownFields(request, ['messageIds', 'confirm'], 'the delete request');
    const messageIds = messageIdsOf(request['messageIds'], 'messageIds');
    if (request['confirm'] !== true) {
      throw badRequest(`a delete needs confirm: true, since deleted messages cannot be redriven (given confirm ${given(request['confirm'])})`);
    }
    return this.jobs.start('delete', queueName, async (progress) => {
      const result = await deleteDeadLetters(this.platform, this.clients, queueName, messageIds, (event) =>
        event.kind === 'start' ? progress.setTotal(event.total) : progress.handled(),
      );
      return {
        kind: 'delete',
        deleted: result.deleted,
        notFound: result.notFound,
        failures: result.failures.map(({ messageId, taskId, error }) => ({ messageId, error, ...(taskId === undefined ? {} : { taskId }) })),
      };
    });
  }

  /** `GET /api/jobs/:jobId`. */
  public job(jobId: string): JobStatus {
    const job = this.jobs.get(jobId);
    if (job === undefined) {
      throw new ConsoleApiError(404, 'job-not-found', `no job ${given(jobId)} in this console (jobs live as long as the console runs)`);
    }
    return job;
  }

  /** `GET /api/tasks/:taskId`: the task's state item and where its name routes now. */
  public async task(taskId: string): Promise<TaskResponse> {
    const id = optionalString(taskId, 'the task id');
    if (id === undefined) throw badRequest('the task id is missing');
    const task = await readTask(this.platform, this.clients, id);
    try {
      const routing = await explainRoute(this.platform, this.clients, { task: task.taskName, taskId: task.taskId, region: this.platform.region }, this.routing);
      return { task, routing };
    } catch (error) {
      return { task, routingProblem: error instanceof Error ? error.message : String(error) };
    }
  }

  /** `GET /api/flags`: the current routing document. */
  public async flags(): Promise<FlagsResponse> {
    const loaded = await loadRoutingDocument(this.platform, this.clients, this.routing);
    return { source: loaded.source, document: `${JSON.stringify(loaded.raw, null, 2)}\n` };
  }

  /** `POST /api/flags/validate`: every problem of a draft; unparsable JSON is one problem at `/`. */
  public validateFlags(request: unknown): FlagsValidateResponse {
    if (!isRecord(request) || typeof request['document'] !== 'string') {
      throw badRequest(`the body must be a JSON object { document: string } with the draft's JSON text (given ${given(request)})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(request['document']) as unknown;
    } catch (error) {
      return { valid: false, problems: [{ path: '/', message: `not valid JSON: ${(error as Error).message}` }] };
    }
    const report = validateLoadedDocument({ source: 'draft', raw }, this.platform);
    return { valid: report.valid, problems: report.problems.map(({ path, message }) => ({ path, message })) };
  }

  /** `POST /api/flags/explain`: where a task name would be routed now, and which rule decided. */
  public async explain(request: unknown): Promise<FlagsExplainResponse> {
    if (!isRecord(request)) throw badRequest(`the body must be a JSON object { taskName, context? } (given ${given(request)})`);
    unknownFields(request, ['taskName', 'context', 'taskId', 'dedupKey'], 'the explain request');
    const task = optionalString(request['taskName'], 'taskName');
    if (task === undefined) throw badRequest(`taskName is required: the task name to explain, for example email.send (given ${given(request['taskName'])})`);
    const rawContext = request['context'] ?? {};
    if (!isRecord(rawContext)) throw badRequest(`context must be an object of string values (given ${given(rawContext)})`);
    const context: Record<string, string> = {};
    let region: string | undefined;
    for (const [key, value] of Object.entries(rawContext)) {
      if (value === undefined || value === null || value === '') continue;
      if (typeof value !== 'string') throw badRequest(`context.${key} must be a string (given ${given(value)})`);
      if (key === 'region') region = value;
      else context[key] = value;
    }
    const taskId = optionalString(request['taskId'], 'taskId');
    const dedupKey = optionalString(request['dedupKey'], 'dedupKey');
    const input = {
      task,
      context,
      region: region ?? this.platform.region,
      ...(taskId === undefined ? {} : { taskId }),
      ...(dedupKey === undefined ? {} : { dedupKey }),
    };
    return explainRoute(this.platform, this.clients, input, this.routing);
  }
}
