import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import {
  type ClaimCheckReference,
  type CustomDestination,
  ENVELOPE_VERSION,
  Limits,
  MessageAttribute,
  type RouteDecision,
  type RouteStamp,
  type RoutingDocument,
  TASK_NAME_PATTERN,
  type TaskDeclaration,
  type TaskEnvelope,
  type TaskStateItem,
  type TaskStatus,
  evaluateRoute,
  serializeEnvelope,
} from '../contract';
import {
  DestinationUnknownError,
  PayloadInvalidError,
  PayloadTooLargeError,
  TaskClientConfigError,
  TaskKilledError,
  TaskUnknownError,
} from './errors';
import { scheduleEta } from './schedule';
import { choosePayloadPlacement } from './sizing';
import type { ResolvedTaskClientOptions } from './task-client-options';
import { MAX_DEDUP_KEY_CHARS } from './task-client-options';
import { dedupTaskId, newTaskId } from './task-id';

/** Options of one publish. */
export interface PublishOptions {
  /**
   * Run no earlier than this many seconds from now: 0 to `MAX_ETA_SECONDS` (30 days); beyond 900 s the runtime
   * re-sends the message until it is due. Not with `eta`.
   */
  readonly delaySeconds?: number;
  /**
   * Run no earlier than this time (a `Date` or an ISO-8601 string), at most `MAX_ETA_SECONDS` (30 days) from now.
   * Not with `delaySeconds`.
   */
  readonly eta?: Date | string;
  /**
   * Deduplication key: the same task name and key always give the same task id. With state tracking on, the first
   * publish records the task and later publishes return its id with `duplicate: true` — re-sending the message only
   * while no consumer has touched the task (`resent: true`).
   */
  readonly dedupKey?: string;
  /** Region to route as. @default - `context.region`, else the client's region */
  readonly region?: string;
  /** Routing context attributes (tenant, plan, …), matched by rules and carried in the envelope. */
  readonly context?: Readonly<Record<string, string>>;
  /** Trace id to propagate. An X-Ray header (`Root=1-…`) also goes out as the message's `AWSTraceHeader`. */
  readonly traceId?: string;
}

/** Where a prepared task goes: a Bosun queue, or a custom destination that takes it over at publish. */
export type Target =
  | { readonly kind: 'queue'; readonly name: string; readonly url: string }
  | { readonly kind: 'custom'; readonly destination: CustomDestination };

/** A task ready to go: validated, routed, scheduled, its envelope built and measured. */
export interface PreparedTask {
  /** Task name. */
  readonly taskName: string;
  /** Task id: a fresh ULID, or the id its dedup key stands for. */
  readonly taskId: string;
  /** Dedup key, if the publish gave one. */
  readonly dedupKey: string | undefined;
  /** The routing decision (for a re-send: the recorded route). */
  readonly decision: RouteDecision;
  /** Where the message goes. */
  readonly target: Target;
  /** `queued`, `scheduled` (ETA beyond one SQS delay) or `rerouted` (custom destination). */
  readonly status: 'queued' | 'scheduled' | 'rerouted';
  /** ETA, ISO-8601 UTC, when in the future. */
  readonly eta: string | undefined;
  /** SQS `DelaySeconds` of the message, 0–900. */
  readonly delaySeconds: number;
  /** The payload as given. */
  readonly payload: unknown;
  /** The payload's JSON text, serialized once. */
  readonly payloadJson: string;
  /** The envelope without its payload or claim check. */
  readonly head: Omit<TaskEnvelope, 'payload' | 'claimCheck'>;
  /** The message attributes Bosun sends. */
  readonly attributes: Record<string, MessageAttributeValue>;
  /** The X-Ray header to send as `AWSTraceHeader`, when the trace id is one. */
  readonly traceHeader: string | undefined;
  /** The inline body, or undefined when the payload must be claim-checked (or the target is custom). */
  readonly inlineBody: string | undefined;
  /**
   * Bytes the message takes in a `SendMessageBatch` call, attributes included: exact or an upper bound for an inline
   * body, an upper bound of the reference envelope for a claim-checked one.
   */
  readonly sendBytes: number;
}

/** Room a claim-check reference takes in the envelope beyond the bucket name and key. */
const CLAIM_CHECK_REFERENCE_OVERHEAD_BYTES = 160;
/** Longest bucket name (63) plus the longest key Bosun writes (`claim-checks/<26>/<32>`), rounded up. */
const MAX_CLAIM_CHECK_LOCATION_BYTES = 256;
/** Texts up to this many UTF-16 units are measured by an upper bound instead of an exact count. */
const ESTIMATE_BELOW_CHARS = 8 * 1024;
const MS_PER_SECOND = 1000;

// Read once: the contract's `Limits` namespace and attribute names are property reads on every use otherwise.
const ATTRIBUTE_TASK_NAME = MessageAttribute.TASK_NAME;
const ATTRIBUTE_TASK_ID = MessageAttribute.TASK_ID;
const ATTRIBUTE_ENVELOPE_VERSION = MessageAttribute.ENVELOPE_VERSION;
const ATTRIBUTE_ROUTE = MessageAttribute.ROUTE;
const VERSION_ATTRIBUTE: MessageAttributeValue = { DataType: 'Number', StringValue: String(ENVELOPE_VERSION) };

/** Bytes of the attribute names, data types and the envelope version value: the part that never varies. */
const ATTRIBUTE_FIXED_BYTES =
  [ATTRIBUTE_TASK_NAME, ATTRIBUTE_TASK_ID, ATTRIBUTE_ENVELOPE_VERSION, ATTRIBUTE_ROUTE]
    .map((name) => Buffer.byteLength(name, 'utf8'))
    .reduce((a, b) => a + b, 0) +
  'String'.length * 3 +
  'Number'.length +
  String(ENVELOPE_VERSION).length;

/**
 * UTF-8 byte length of a text: exact for long texts; for short ones (≤ 8 Ki units, so ≤ 24 KiB) the upper bound of 3
 * bytes per UTF-16 unit, which can only over-count, so a size check on it never lets an oversized message through.
 */
function utf8Length(text: string): number {
  return text.length <= ESTIMATE_BELOW_CHARS ? text.length * 3 : Buffer.byteLength(text, 'utf8');
}

/** What {@link TaskPreparer} needs of the client's options. */
export type TaskPreparerOptions = Pick<
  ResolvedTaskClientOptions,
  'queueUrls' | 'customDestinations' | 'tasks' | 'region' | 'thresholdBytes' | 'maxPayloadBytes' | 'maxDelaySeconds' | 'claimChecks' | 'now'
>;

/** Where and when a task goes, and the fields the envelope carries for it. */
interface MessagePlan {
  readonly taskName: string;
  readonly taskId: string;
  readonly dedupKey: string | undefined;
  readonly decision: RouteDecision;
  readonly target: Target;
  readonly status: 'queued' | 'scheduled' | 'rerouted';
  readonly eta: string | undefined;
  readonly delaySeconds: number;
  readonly publishedAt: string;
  readonly link: number;
  readonly context: Readonly<Record<string, string>> | undefined;
  readonly traceId: string | undefined;
}

/**
 * Turns a publish call into a {@link PreparedTask}: resolves and validates the task and its payload, routes it,
 * schedules its ETA (at most `MAX_ETA_SECONDS` away), builds the envelope and decides inline vs. claim check. Pure:
 * it writes and sends nothing, so every rejection happens before any side effect.
 *
 * @example
 * const preparer = new TaskPreparer(resolveTaskClientOptions(options));
 * const task = preparer.prepare('email.send', { to: 'a@example.com' }, {}, await routing.current());
 */
export class TaskPreparer {
  public constructor(private readonly options: TaskPreparerOptions) {}

  /**
   * Prepares one task.
   *
   * @throws TaskUnknownError, PayloadInvalidError, PayloadTooLargeError, EtaTooFarError, TaskKilledError,
   * DestinationUnknownError, TaskClientConfigError
   */
  public prepare(task: string | TaskDeclaration<unknown>, payload: unknown, options: PublishOptions, document: RoutingDocument): PreparedTask {
    const { name: taskName, declaration } = this.resolveTask(task);
    if (declaration !== undefined) {
      const parsed = declaration.schema.safeParse(payload);
      if (!parsed.success) {
        throw new PayloadInvalidError(
          taskName,
          parsed.error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
        );
      }
    }
    let payloadJson: string | undefined;
    try {
      payloadJson = JSON.stringify(payload);
    } catch (error) {
      throw new PayloadInvalidError(taskName, [], `payload of task "${taskName}" cannot be serialized as JSON (${(error as Error).message})`);
    }
    if (payloadJson === undefined) {
      throw new PayloadInvalidError(taskName, [], `payload of task "${taskName}" cannot be serialized as JSON (given ${typeof payload})`);
    }
    // A UTF-8 byte is at most 3 per UTF-16 unit; only long texts need the exact count before the limit check.
    const payloadBytes = payloadJson.length * 3 <= this.options.maxPayloadBytes ? 0 : Buffer.byteLength(payloadJson, 'utf8');
    if (payloadBytes > this.options.maxPayloadBytes) throw new PayloadTooLargeError(taskName, payloadBytes, this.options.maxPayloadBytes);

    const dedupKey = options.dedupKey;
    if (dedupKey !== undefined && (dedupKey.length === 0 || dedupKey.length > MAX_DEDUP_KEY_CHARS)) {
      throw new PayloadInvalidError(
        taskName,
        [],
        `dedupKey of task "${taskName}" must be 1 to ${MAX_DEDUP_KEY_CHARS} characters (given ${dedupKey.length})`,
      );
    }
    const nowMs = this.options.now();
    const taskId = dedupKey === undefined ? newTaskId(nowMs) : dedupTaskId(taskName, dedupKey);
    const { eta, delaySeconds, status } = this.schedule(taskName, options, nowMs);

    const region = options.region ?? options.context?.['region'] ?? this.options.region;
    const context =
      region === undefined
        ? options.context
        : options.context?.['region'] === region
          ? options.context
          : { ...options.context, region };
    const decision = evaluateRoute(document, {
      task: taskName,
      taskId,
      ...(region === undefined ? {} : { region }),
      ...(context === undefined ? {} : { context }),
      ...(dedupKey === undefined ? {} : { dedupKey }),
    });
    if (decision.killed) throw new TaskKilledError(taskName, decision.reason);
    const target = this.holdFarEta(taskName, this.targetOf(taskName, decision), eta, nowMs);
    const refusal = this.options.customDestinations.get(decision.destination)?.check?.(taskName, payload);
    if (refusal !== undefined) {
      throw new PayloadInvalidError(taskName, [], `task "${taskName}" routes to destination "${decision.destination}", which cannot take it: ${refusal}`);
    }

    return this.build(
      { taskName, taskId, dedupKey, decision, target, eta, delaySeconds, context, traceId: options.traceId, link: 0 },
      target.kind === 'custom' ? 'rerouted' : status,
      new Date(nowMs).toISOString(),
      payload,
      payloadJson,
    );
  }

  /**
   * The message that re-sends a task whose state record no consumer has touched (a repeated dedup key after an
   * unknown outcome): the record's route, queue, ETA, publish time and link, with the new publish's payload. Undefined
   * when the record names a queue this client does not know.
   */
  public resend(task: PreparedTask, item: TaskStateItem): PreparedTask | undefined {
    const url = this.options.queueUrls[item.queue];
    const custom = this.options.customDestinations.get(item.queue);
    if (url === undefined && custom === undefined) return undefined;
    const nowMs = this.options.now();
    const etaMs = item.eta === undefined ? Number.NaN : Date.parse(item.eta);
    const wanted = Number.isNaN(etaMs) || etaMs <= nowMs ? 0 : Math.ceil((etaMs - nowMs) / MS_PER_SECOND);
    const route: RouteStamp = item.route;
    return this.build(
      {
        taskName: task.taskName,
        taskId: task.taskId,
        dedupKey: task.dedupKey,
        decision: { ...task.decision, destination: route.destination, ruleId: route.ruleId },
        target: custom !== undefined ? { kind: 'custom', destination: custom } : { kind: 'queue', name: item.queue, url: url as string },
        eta: wanted > 0 ? item.eta : undefined,
        delaySeconds: Math.min(wanted, this.options.maxDelaySeconds),
        context: task.head.context,
        traceId: task.head.traceId,
        link: item.link ?? 0,
      },
      custom !== undefined ? 'rerouted' : item.status === 'scheduled' ? 'scheduled' : 'queued',
      item.createdAt,
      task.payload,
      task.payloadJson,
    );
  }

  /** The envelope body of a claim-checked task. */
  public claimCheckedBody(task: PreparedTask, claimCheck: ClaimCheckReference): string {
    return serializeEnvelope({ ...task.head, claimCheck });
  }

  private build(
    plan: Omit<MessagePlan, 'status' | 'publishedAt'>,
    status: MessagePlan['status'],
    publishedAt: string,
    payload: unknown,
    payloadJson: string,
  ): PreparedTask {
    const { taskName, taskId, dedupKey, decision, target, eta, context, traceId, link } = plan;
    const head: Omit<TaskEnvelope, 'payload' | 'claimCheck'> = {
      v: ENVELOPE_VERSION,
      id: taskId,
      task: taskName,
      attempts: 0,
      route: { destination: decision.destination, ruleId: decision.ruleId },
      publishedAt,
      ...(eta === undefined ? {} : { eta }),
      ...(context === undefined ? {} : { context }),
      ...(traceId === undefined ? {} : { traceId }),
      ...(dedupKey === undefined ? {} : { dedupKey }),
      ...(link === 0 ? {} : { link }),
    };
    const attributes: Record<string, MessageAttributeValue> = {
      [ATTRIBUTE_TASK_NAME]: { DataType: 'String', StringValue: taskName },
      [ATTRIBUTE_TASK_ID]: { DataType: 'String', StringValue: taskId },
      [ATTRIBUTE_ENVELOPE_VERSION]: VERSION_ATTRIBUTE,
      [ATTRIBUTE_ROUTE]: { DataType: 'String', StringValue: decision.destination },
    };
    const attributeBytes = ATTRIBUTE_FIXED_BYTES + utf8Length(taskName) + utf8Length(taskId) + utf8Length(decision.destination);

    let inlineBody: string | undefined;
    let sendBytes = 0;
    if (target.kind === 'queue') {
      const headJson = JSON.stringify(head);
      // The payload is serialized once: spliced into the envelope's JSON instead of stringifying the envelope again.
      const candidate = `${headJson.slice(0, -1)},"payload":${payloadJson}}`;
      // Short bodies are measured by their upper bound when even that fits the threshold; exactly otherwise.
      const bound = candidate.length * 3;
      const thresholdBytes = this.options.thresholdBytes;
      const inlineEnvelopeBytes =
        candidate.length <= ESTIMATE_BELOW_CHARS && bound <= thresholdBytes ? bound : Buffer.byteLength(candidate, 'utf8');
      if (choosePayloadPlacement({ inlineEnvelopeBytes, attributeBytes, thresholdBytes }) === 'inline') {
        inlineBody = candidate;
        sendBytes = inlineEnvelopeBytes + attributeBytes;
      } else {
        if (this.options.claimChecks === undefined) {
          throw new TaskClientConfigError(
            'bucket',
            `task "${taskName}" needs a claim check (envelope of ${inlineEnvelopeBytes} bytes, threshold ${thresholdBytes} bytes) but the client has no claim-check bucket`,
          );
        }
        const referenceBytes = Buffer.byteLength(headJson, 'utf8') + CLAIM_CHECK_REFERENCE_OVERHEAD_BYTES + MAX_CLAIM_CHECK_LOCATION_BYTES;
        if (referenceBytes + attributeBytes > Limits.SQS_MAX_MESSAGE_BYTES) {
          throw new PayloadTooLargeError(taskName, referenceBytes + attributeBytes, Limits.SQS_MAX_MESSAGE_BYTES, 'envelope without its payload (context, trace id, dedup key)');
        }
        sendBytes = referenceBytes + attributeBytes;
      }
    }

    return {
      taskName,
      taskId,
      dedupKey,
      decision,
      target,
      status,
      eta,
      delaySeconds: plan.delaySeconds,
      payload,
      payloadJson,
      head,
      attributes,
      traceHeader: traceId !== undefined && traceId.startsWith('Root=') ? traceId : undefined,
      inlineBody,
      sendBytes,
    };
  }

  private resolveTask(task: string | TaskDeclaration<unknown>): { name: string; declaration: TaskDeclaration<unknown> | undefined } {
    const name = typeof task === 'string' ? task : task.name;
    const tasks = this.options.tasks;
    if (tasks !== undefined) {
      const declaration = tasks.get(name);
      if (declaration === undefined) throw new TaskUnknownError(name, [...tasks.keys()]);
      return { name, declaration };
    }
    if (typeof name !== 'string' || !TASK_NAME_PATTERN.test(name)) throw new TaskUnknownError(String(name), undefined);
    return { name, declaration: typeof task === 'string' ? undefined : task };
  }

  private targetOf(taskName: string, decision: RouteDecision): Target {
    const url = this.options.queueUrls[decision.destination];
    if (url !== undefined) return { kind: 'queue', name: decision.destination, url };
    const destination = this.options.customDestinations.get(decision.destination);
    if (destination !== undefined) return { kind: 'custom', destination };
    throw new DestinationUnknownError(taskName, decision.destination, decision.ruleId, [
      ...Object.keys(this.options.queueUrls),
      ...this.options.customDestinations.keys(),
    ]);
  }

  /**
   * A task routed to a custom destination that may not be handed an ETA this far (see `CustomDestination.farEta`)
   * waits on the destination's hold queue instead: Bosun's scheduled path keeps it until due, and that queue's consumer
   * hands it over then. The route stamp still names the destination.
   */
  private holdFarEta(taskName: string, target: Target, eta: string | undefined, nowMs: number): Target {
    if (target.kind !== 'custom' || eta === undefined || target.destination.farEta === undefined) return target;
    const { maxDelaySeconds, holdQueue } = target.destination.farEta;
    const waitSeconds = Math.ceil((Date.parse(eta) - nowMs) / MS_PER_SECOND);
    if (waitSeconds <= maxDelaySeconds) return target;
    const url = holdQueue === undefined ? undefined : this.options.queueUrls[holdQueue];
    if (holdQueue === undefined || url === undefined) {
      throw new TaskClientConfigError(
        'destinations',
        `task "${taskName}" routes to destination "${target.destination.name}" with an ETA ${waitSeconds} s away, beyond the ${maxDelaySeconds} s ` +
          `it may be handed; ${holdQueue === undefined ? 'the destination names no holdQueue for the task to wait on' : `its holdQueue "${holdQueue}" is not a Bosun queue of this client (known: ${Object.keys(this.options.queueUrls).join(', ')})`}`,
      );
    }
    return { kind: 'queue', name: holdQueue, url };
  }

  private schedule(
    taskName: string,
    options: PublishOptions,
    nowMs: number,
  ): { eta: string | undefined; delaySeconds: number; status: Extract<TaskStatus, 'queued' | 'scheduled'> } {
    if (options.delaySeconds !== undefined && options.eta !== undefined) {
      throw new PayloadInvalidError(taskName, [], `publish options of task "${taskName}" give both delaySeconds and eta; give one`);
    }
    let etaMs: number | undefined;
    if (options.delaySeconds !== undefined) {
      if (!Number.isFinite(options.delaySeconds) || options.delaySeconds < 0) {
        throw new PayloadInvalidError(taskName, [], `delaySeconds of task "${taskName}" must be a number of seconds ≥ 0 (given ${options.delaySeconds})`);
      }
      etaMs = nowMs + options.delaySeconds * MS_PER_SECOND;
    } else if (options.eta !== undefined) {
      etaMs = options.eta instanceof Date ? options.eta.getTime() : Date.parse(options.eta);
      if (Number.isNaN(etaMs)) {
        throw new PayloadInvalidError(taskName, [], `eta of task "${taskName}" must be a Date or an ISO-8601 time such as 2026-01-31T12:00:00Z (given an invalid time)`);
      }
    }
    return scheduleEta(taskName, etaMs, nowMs, this.options.maxDelaySeconds, String(options.eta ?? `+${options.delaySeconds} s`));
  }
}
