import {
  type EventSourceMappingConfiguration,
  GetEventSourceMappingCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { CliClients } from './clients';
import { CliError } from './errors';
import { findQueue, type Platform } from './platform';

/** How often the state of a mapping being enabled or disabled is read. */
export const MAPPING_POLL_INTERVAL_MS = 1_000;
/** Longest wait for mappings to report `Disabled` or `Enabled` (the local platform's long poll is 20 s). */
export const MAPPING_STATE_TIMEOUT_MS = 120_000;

/** One event source mapping of a Bosun queue. */
export interface QueueMapping {
  /** Logical queue name, for example `default`. */
  readonly queue: string;
  readonly uuid: string;
  /** ARN of the consumer function. */
  readonly functionArn: string;
  /** `Enabled`, `Disabling`, `Disabled`, `Enabling`, … as Lambda reports it. */
  readonly state: string;
}

/** `pause`, `resume` or `drain` could not find an event source mapping for a queue, or cannot reach the mapping API. */
export class CliMappingUnavailableError extends CliError {
  public override readonly name = 'CliMappingUnavailableError';
}

/** The mappings did not reach the state asked for in time. */
export class CliMappingStateTimeoutError extends CliError {
  public override readonly name = 'CliMappingStateTimeoutError';

  public constructor(
    /** `Disabled` or `Enabled`. */
    public readonly wanted: string,
    /** The mappings still short of it, with their state. */
    public readonly pending: readonly QueueMapping[],
    timeoutMs: number,
  ) {
    super(
      `event source mappings did not report ${wanted} within ${Math.round(timeoutMs / 1000)} s: ` +
        pending.map((mapping) => `${mapping.uuid} (queue ${mapping.queue}) is ${mapping.state}`).join('; '),
    );
  }
}

/** Clock and sleep, replaceable in tests. */
export interface MappingTiming {
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often a mapping's state is read. @default 1000 */
  readonly pollIntervalMs?: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The Lambda client of the target. */
export function lambdaOf(platform: Platform, clients: CliClients): LambdaClient {
  if (clients.lambda === undefined) {
    throw new CliMappingUnavailableError(
      `the local platform (stage ${platform.stage}) names no Lambda event-source-mapping API in its platform.json ` +
        '(it was started before Bosun had one): restart it with `npm start`',
    );
  }
  return clients.lambda;
}

function toMapping(queue: string, configuration: EventSourceMappingConfiguration): QueueMapping {
  return {
    queue,
    uuid: configuration.UUID ?? '',
    functionArn: configuration.FunctionArn ?? '',
    state: configuration.State ?? 'unknown',
  };
}

/**
 * The event source mappings of the named queues (every queue when none is named): the queue's ARN from SQS
 * (`GetQueueAttributes`), then Lambda's `ListEventSourceMappings` by that ARN.
 *
 * @throws CliQueueUnknownError for a queue the platform does not have; CliMappingUnavailableError for a queue that
 * no mapping reads.
 * @example
 * const mappings = await findMappings(platform, clients, ['default']);
 */
export async function findMappings(platform: Platform, clients: CliClients, queueNames: readonly string[]): Promise<QueueMapping[]> {
  const lambda = lambdaOf(platform, clients);
  const queues = (queueNames.length === 0 ? platform.queues.map((queue) => queue.name) : queueNames).map((name) =>
    findQueue(platform, name),
  );
  const mappings: QueueMapping[] = [];
  for (const queue of queues) {
    const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['QueueArn'] }));
    const arn = Attributes?.QueueArn;
    if (arn === undefined) throw new CliMappingUnavailableError(`queue "${queue.name}" reported no ARN (${queue.url})`);
    const found: QueueMapping[] = [];
    let marker: string | undefined;
    do {
      const page = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: arn, ...(marker === undefined ? {} : { Marker: marker }) }));
      found.push(...(page.EventSourceMappings ?? []).map((configuration) => toMapping(queue.name, configuration)));
      marker = page.NextMarker;
    } while (marker !== undefined);
    if (found.length === 0) {
      throw new CliMappingUnavailableError(`queue "${queue.name}" has no event source mapping (${arn}): no consumer reads it, nothing to pause`);
    }
    mappings.push(...found);
  }
  return mappings;
}

/**
 * Enables or disables mappings (`UpdateEventSourceMapping` with `Enabled` only) and waits until each reports the
 * state (`GetEventSourceMapping`): `Disabled` — Lambda starts no new batch; batches under way finish — or `Enabled`.
 * Consumption is never paused through reserved concurrency 0: throttled receives count toward the DLQ.
 *
 * @throws CliMappingStateTimeoutError when a mapping is not there within `timeoutMs`.
 * @example
 * await setMappingsEnabled(lambda, mappings, false);
 */
export async function setMappingsEnabled(
  lambda: LambdaClient,
  mappings: readonly QueueMapping[],
  enabled: boolean,
  timeoutMs: number = MAPPING_STATE_TIMEOUT_MS,
  timing: MappingTiming = {},
): Promise<QueueMapping[]> {
  const now = timing.now ?? Date.now;
  const sleep = timing.sleep ?? defaultSleep;
  const interval = timing.pollIntervalMs ?? MAPPING_POLL_INTERVAL_MS;
  const wanted = enabled ? 'Enabled' : 'Disabled';
  const deadline = now() + timeoutMs;
  let current = [...mappings];
  const pendingUpdate = new Set(current.map((mapping) => mapping.uuid));
  for (;;) {
    const next: QueueMapping[] = [];
    for (const mapping of current) {
      let configuration: EventSourceMappingConfiguration;
      if (pendingUpdate.has(mapping.uuid)) {
        try {
          configuration = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.uuid, Enabled: enabled }));
          pendingUpdate.delete(mapping.uuid);
        } catch (error) {
          // A mapping in the middle of another change (Creating, Updating, …) refuses updates for a moment.
          if ((error as Error).name !== 'ResourceInUseException') throw error;
          configuration = await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.uuid }));
        }
      } else {
        configuration = await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.uuid }));
      }
      next.push(toMapping(mapping.queue, configuration));
    }
    current = next;
    const pending = current.filter((mapping) => mapping.state !== wanted || pendingUpdate.has(mapping.uuid));
    if (pending.length === 0) return current;
    if (now() >= deadline) throw new CliMappingStateTimeoutError(wanted, pending, timeoutMs);
    await sleep(Math.min(interval, Math.max(0, deadline - now())));
  }
}

/**
 * `bosun pause` / `bosun resume`: finds the queues' mappings and disables or enables them, waiting for the state.
 *
 * @example
 * const mappings = await pauseQueues(platform, clients, ['default'], false);
 */
export async function pauseQueues(
  platform: Platform,
  clients: CliClients,
  queueNames: readonly string[],
  enabled: boolean,
  timeoutMs?: number,
  timing?: MappingTiming,
): Promise<QueueMapping[]> {
  const mappings = await findMappings(platform, clients, queueNames);
  return setMappingsEnabled(lambdaOf(platform, clients), mappings, enabled, timeoutMs, timing);
}
