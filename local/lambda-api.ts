import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MappingState } from './event-source-poller';

/** Path prefix of Lambda's event-source-mapping REST API. */
const MAPPINGS_PATH = '/2015-03-31/event-source-mappings';
/** Most mappings one `ListEventSourceMappings` page returns, as in Lambda. */
const MAX_LIST_ITEMS = 100;
/** Largest request body the API reads: an `UpdateEventSourceMapping` body is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/** What the API needs of one mapping: its settings, and the poller it turns on and off. */
export interface LocalMapping {
  /** Stable id (see {@link mappingUuid}). */
  readonly uuid: string;
  readonly queueArn: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly maxConcurrency?: number;
  readonly reportBatchItemFailures: boolean;
  /** The poller's state now. */
  readonly state: () => MappingState;
  readonly enable: () => void;
  readonly disable: () => void;
}

/**
 * A stable UUID for a mapping: the same stack and logical id give the same UUID on every start, so a UUID printed by
 * `bosun pause` still names the mapping after a restart. Formatted as a name-based UUID (version 5 layout).
 *
 * @example
 * mappingUuid('Bosun-local', 'DefaultConsumerSqsEventSource1A2B3C4D')
 */
export function mappingUuid(stackName: string, logicalId: string): string {
  const hex = createHash('sha1').update(`bosun-local-esm:${stackName}/${logicalId}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

interface ApiError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

/** Lambda's `EventSourceMappingConfiguration` of a mapping, as its REST-JSON API returns it. */
function configuration(mapping: LocalMapping, lastModifiedSeconds: number): Record<string, unknown> {
  const state = mapping.state();
  return {
    UUID: mapping.uuid,
    EventSourceArn: mapping.queueArn,
    FunctionArn: mapping.functionArn,
    BatchSize: mapping.batchSize,
    MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowSeconds,
    ...(mapping.maxConcurrency === undefined ? {} : { ScalingConfig: { MaximumConcurrency: mapping.maxConcurrency } }),
    FunctionResponseTypes: mapping.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
    State: state,
    StateTransitionReason: 'USER_INITIATED',
    LastModified: lastModifiedSeconds,
  };
}

/** Whether `FunctionName` (a name, or a function or alias ARN) names the mapping's function. */
function namesFunction(mapping: LocalMapping, functionName: string): boolean {
  return functionName === mapping.functionName || functionName === mapping.functionArn || functionName.startsWith(`${mapping.functionArn}:`);
}

/**
 * The local stand-in for the part of Lambda's API that operates event source mappings — `ListEventSourceMappings`,
 * `GetEventSourceMapping`, and `UpdateEventSourceMapping` with `Enabled` — served over REST-JSON on 127.0.0.1, so the
 * real `@aws-sdk/client-lambda` (and so `bosun pause`, `resume` and `drain`) works against the local platform
 * unchanged. Disabling a mapping disables its poller; its `State` is the poller's (`Disabling` until no receive is in
 * flight, then `Disabled`). Any other Lambda call, or an update of another setting, is refused with a clear error.
 *
 * @example
 * const api = await LocalLambdaApi.start(mappings);
 * new LambdaClient({ endpoint: api.endpoint, region, credentials });
 * await api.stop();
 */
export class LocalLambdaApi {
  private readonly lastModified = new Map<string, number>();

  private constructor(
    private readonly server: http.Server,
    private readonly mappings: readonly LocalMapping[],
    /** The API's endpoint, `http://127.0.0.1:<port>`. */
    public readonly endpoint: string,
  ) {}

  /** Starts the API on a free port of 127.0.0.1. */
  public static async start(mappings: readonly LocalMapping[], port = 0): Promise<LocalLambdaApi> {
    const served: { api?: LocalLambdaApi } = {};
    const server = http.createServer((request, response) => {
      void served.api?.handle(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address() as AddressInfo;
    const api = new LocalLambdaApi(server, mappings, `http://127.0.0.1:${address.port}`);
    served.api = api;
    const now = Math.floor(Date.now() / 1000);
    for (const mapping of mappings) api.lastModified.set(mapping.uuid, now);
    return api;
  }

  /** Stops serving. */
  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', this.endpoint);
      const body = await readBody(request);
      const result = this.route(request.method ?? 'GET', url, body);
      if ('type' in result) {
        send(response, result.status, { Type: 'User', Message: result.message, message: result.message }, result.type);
      } else {
        send(response, result.status, result.body);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      send(response, 500, { Type: 'Service', Message: message }, 'ServiceException');
    }
  }

  private route(method: string, url: URL, body: string): ApiError | { status: number; body: unknown } {
    const path = url.pathname.replace(/\/+$/, '');
    if (path === MAPPINGS_PATH && method === 'GET') return { status: 200, body: this.list(url.searchParams) };
    if (path.startsWith(`${MAPPINGS_PATH}/`)) {
      const uuid = decodeURIComponent(path.slice(MAPPINGS_PATH.length + 1));
      const mapping = this.mappings.find((candidate) => candidate.uuid === uuid);
      if (mapping === undefined) {
        return { status: 404, type: 'ResourceNotFoundException', message: `The resource you requested does not exist. (event source mapping ${uuid})` };
      }
      if (method === 'GET') return { status: 200, body: this.describe(mapping) };
      if (method === 'PUT') return this.update(mapping, body);
    }
    return {
      status: 400,
      type: 'InvalidParameterValueException',
      message:
        `the local platform serves only ListEventSourceMappings, GetEventSourceMapping and UpdateEventSourceMapping ` +
        `(given ${method} ${url.pathname})`,
    };
  }

  private describe(mapping: LocalMapping): Record<string, unknown> {
    return configuration(mapping, this.lastModified.get(mapping.uuid) ?? 0);
  }

  private list(query: URLSearchParams): Record<string, unknown> {
    const arn = query.get('EventSourceArn');
    const functionName = query.get('FunctionName');
    const matching = this.mappings.filter(
      (mapping) => (arn === null || mapping.queueArn === arn) && (functionName === null || namesFunction(mapping, functionName)),
    );
    const start = Number(query.get('Marker') ?? '0') || 0;
    const max = Math.min(Number(query.get('MaxItems') ?? MAX_LIST_ITEMS) || MAX_LIST_ITEMS, MAX_LIST_ITEMS);
    const page = matching.slice(start, start + max);
    return {
      EventSourceMappings: page.map((mapping) => this.describe(mapping)),
      ...(start + max < matching.length ? { NextMarker: String(start + max) } : {}),
    };
  }

  private update(mapping: LocalMapping, body: string): ApiError | { status: number; body: unknown } {
    let parsed: unknown;
    try {
      parsed = body === '' ? {} : JSON.parse(body);
    } catch {
      return { status: 400, type: 'InvalidParameterValueException', message: `the request body is not JSON (${body.length} characters)` };
    }
    const fields = Object.keys(parsed as Record<string, unknown>);
    const others = fields.filter((field) => field !== 'Enabled');
    if (others.length > 0) {
      return {
        status: 400,
        type: 'InvalidParameterValueException',
        message: `the local platform updates only Enabled of an event source mapping (given ${others.join(', ')}); change the others in the CDK app`,
      };
    }
    const enabled = (parsed as { Enabled?: unknown }).Enabled;
    if (enabled !== undefined && typeof enabled !== 'boolean') {
      return { status: 400, type: 'InvalidParameterValueException', message: `Enabled must be true or false (given ${JSON.stringify(enabled)})` };
    }
    if (enabled === true) mapping.enable();
    if (enabled === false) mapping.disable();
    this.lastModified.set(mapping.uuid, Math.floor(Date.now() / 1000));
    return { status: 202, body: this.describe(mapping) };
  }
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
  });
  response.end(text);
}
