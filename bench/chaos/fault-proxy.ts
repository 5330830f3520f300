import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Prng } from './prng';

/** Who makes a call: the producer SDK, the consumer functions, or the event source mapping's poller. */
export type Caller = 'producer' | 'consumer' | 'esm';
/** Every caller group, one listener each. */
export const CALLERS: readonly Caller[] = ['producer', 'consumer', 'esm'];
/** The AWS service a request is for. */
export type Service = 'sqs' | 's3' | 'dynamodb';
/** What the proxy did to a request instead of forwarding it plainly. */
export type FaultKind = 'transient-error' | 'lost-response' | 'duplicate-send';

/** Share of requests, 0 – 1, that get each fault. Their sum must stay at or below 1. */
export interface FaultRates {
  /** Answered with a retryable throttling error in the service's own wire format, without forwarding. */
  readonly transientError: number;
  /** Forwarded and applied upstream, then the caller's connection is reset before it sees the answer. */
  readonly lostResponse: number;
  /** SQS `SendMessage` / `SendMessageBatch` only: forwarded twice, answered with the first response. */
  readonly duplicateSend: number;
}

/** No faults at all. */
export const NO_FAULTS: FaultRates = { transientError: 0, lostResponse: 0, duplicateSend: 0 };

/** One injected fault. Never carries a payload. */
export interface InjectedFault {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly caller: Caller;
  readonly service: Service;
  readonly operation: string;
  readonly kind: FaultKind;
  /** Task ids the request concerned, where the request names them (message bodies, table keys, S3 keys, receipts). */
  readonly taskIds: readonly string[];
}

/** Requests of one caller, service and operation. */
export interface RequestCount {
  readonly caller: Caller;
  readonly service: Service;
  readonly operation: string;
  /** Requests that reached the emulator (the second copy of a duplicate send not included). */
  readonly forwarded: number;
  /** Requests answered with an injected transient error (never forwarded). */
  readonly rejected: number;
  /**
   * Billing units of the forwarded requests: for SQS every started 64 KiB of the request body; for DynamoDB the write
   * units (2 per item of a `TransactWriteItems`, 1 per item of a `BatchWriteItem`, else 1); else 1 per request.
   */
  readonly billedUnits: number;
  /** Forwarded requests that failed upstream (connection refused or reset by the emulator): answered 502. */
  readonly upstreamErrors: number;
}

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** fauxqs (SQS and S3 on one port), for example `http://127.0.0.1:4566`. */
  readonly sqsS3Upstream: string;
  /** DynamoDB Local, for example `http://127.0.0.1:8000`. */
  readonly dynamoDbUpstream: string;
  /** Fault rates per caller. @default - no faults for a caller not listed */
  readonly rates?: Partial<Record<Caller, FaultRates>>;
  /** Seed of the fault decisions. @default 1 */
  readonly seed?: number;
  /** Called once per injected fault (for a fault log file). @default - nothing */
  readonly onFault?: (fault: InjectedFault) => void;
}

/** SQS bills each started 64 KiB of a request as one request. */
const SQS_BILLING_CHUNK_BYTES = 64 * 1024;
/** Receipt handles remembered to name the task of a later call that carries only a handle. */
const MAX_REMEMBERED_RECEIPTS = 200_000;
const TASK_KEY_PATTERN = /"taskId":\{"S":"([^"\\]+)"\}/g;
const S3_TASK_KEY_PATTERN = /^\/[^/]+\/(?:claim-checks|task-results)\/([^/.?]+)/;
const SEND_OPERATIONS: ReadonlySet<string> = new Set(['SendMessage', 'SendMessageBatch']);

function s3Operation(method: string, url: string): string {
  const [pathPart = '/', query = ''] = url.split('?');
  const segments = pathPart.split('/').filter((segment) => segment !== '');
  const onBucket = segments.length <= 1;
  switch (method) {
    case 'GET':
      if (onBucket) return /(^|&)list-type=2(&|$)/.test(query) ? 'ListObjectsV2' : 'ListObjects';
      return 'GetObject';
    case 'PUT':
      return onBucket ? 'CreateBucket' : 'PutObject';
    case 'DELETE':
      return onBucket ? 'DeleteBucket' : 'DeleteObject';
    case 'HEAD':
      return onBucket ? 'HeadBucket' : 'HeadObject';
    case 'POST':
      return /(^|&)delete(=|&|$)/.test(query) ? 'DeleteObjects' : 'PostObject';
    default:
      return method;
  }
}

function classify(req: http.IncomingMessage): { service: Service; operation: string } {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    if (target.startsWith('AmazonSQS.')) return { service: 'sqs', operation: target.slice('AmazonSQS.'.length) };
    if (target.startsWith('DynamoDB_')) return { service: 'dynamodb', operation: target.slice(target.indexOf('.') + 1) };
  }
  return { service: 's3', operation: s3Operation(req.method ?? 'GET', req.url ?? '/') };
}

function idOfMessageBody(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const id = (JSON.parse(body) as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

interface Counter {
  forwarded: number;
  rejected: number;
  billedUnits: number;
  upstreamErrors: number;
}

/**
 * A fault-injecting HTTP proxy in front of fauxqs (SQS and S3) and DynamoDB Local, one listener per caller group so
 * every request is counted by who made it. SQS and DynamoDB requests are told apart by `x-amz-target`, S3 by method
 * and path (path-style). With a seeded generator it injects transient errors, lost responses and duplicate sends at
 * each caller's rates, logs every fault with the task ids the request names, and counts every request for the cost
 * report. SQS and DynamoDB request bodies (≤ 1 MiB JSON) are read whole, to find task ids and to send a duplicate; S3
 * bodies and every response stream through.
 *
 * @example
 * const proxy = await FaultProxy.start({ sqsS3Upstream, dynamoDbUpstream, rates: { consumer: { transientError: 0.02, lostResponse: 0.02, duplicateSend: 0 } } });
 * const env = { AWS_ENDPOINT_URL_SQS: proxy.endpoint('consumer'), ... };
 * await proxy.stop();
 */
export class FaultProxy {
  /** Every fault injected so far, in order. */
  public readonly faults: InjectedFault[] = [];
  private readonly counters = new Map<string, Counter>();
  private readonly receipts = new Map<string, string>();
  private readonly servers = new Map<Caller, http.Server>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  private readonly rng: Prng;
  private readonly sqsS3: URL;
  private readonly dynamoDb: URL;
  private enabled = true;

  private constructor(private readonly options: FaultProxyOptions) {
    this.rng = new Prng(options.seed ?? 1);
    this.sqsS3 = new URL(options.sqsS3Upstream);
    this.dynamoDb = new URL(options.dynamoDbUpstream);
  }

  /** Starts one listener per caller group on 127.0.0.1 (free ports). */
  public static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    for (const caller of CALLERS) {
      const server = http.createServer({ keepAlive: true }, (req, res) => {
        proxy.handle(caller, req, res).catch(() => {
          if (!res.headersSent) res.writeHead(502).end();
          else res.destroy();
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      proxy.servers.set(caller, server);
    }
    return proxy;
  }

  /** The endpoint a caller group's clients use, for example `http://127.0.0.1:41234`. */
  public endpoint(caller: Caller): string {
    const address = this.servers.get(caller)?.address() as AddressInfo | null | undefined;
    if (address === undefined || address === null) throw new Error(`the ${caller} listener is not running`);
    return `http://127.0.0.1:${address.port}`;
  }

  /** Stops or resumes injecting faults (requests are still counted). */
  public setFaultsEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  /** Request counts per caller, service and operation. */
  public counts(): RequestCount[] {
    return [...this.counters.entries()].map(([key, counter]) => {
      const [caller, service, operation] = key.split('|') as [Caller, Service, string];
      return { caller, service, operation, ...counter };
    });
  }

  /** Closes every listener and upstream connection. */
  public async stop(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    this.agent.destroy();
  }

  private counter(caller: Caller, service: Service, operation: string): Counter {
    const key = `${caller}|${service}|${operation}`;
    let counter = this.counters.get(key);
    if (counter === undefined) {
      counter = { forwarded: 0, rejected: 0, billedUnits: 0, upstreamErrors: 0 };
      this.counters.set(key, counter);
    }
    return counter;
  }

  private chooseFault(caller: Caller, service: Service, operation: string): FaultKind | undefined {
    const rates = this.options.rates?.[caller];
    if (!this.enabled || rates === undefined) return undefined;
    const roll = this.rng.next();
    if (roll < rates.transientError) return 'transient-error';
    if (roll < rates.transientError + rates.lostResponse) return 'lost-response';
    if (service === 'sqs' && SEND_OPERATIONS.has(operation) && roll < rates.transientError + rates.lostResponse + rates.duplicateSend) {
      return 'duplicate-send';
    }
    return undefined;
  }

  private async handle(caller: Caller, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { service, operation } = classify(req);
    const counter = this.counter(caller, service, operation);
    // S3 bodies (claim-checked payloads) stream through; SQS and DynamoDB bodies are small JSON, read whole.
    const body = service === 's3' ? undefined : await readAll(req);
    const fault = this.chooseFault(caller, service, operation);
    if (fault !== undefined) {
      this.faults.push({ at: Date.now(), caller, service, operation, kind: fault, taskIds: this.taskIdsOf(service, req, body) });
      this.options.onFault?.(this.faults[this.faults.length - 1]!);
    }
    if (fault === 'transient-error') {
      if (body === undefined) await readAll(req);
      counter.rejected += 1;
      this.answerThrottled(service, req, res);
      return;
    }
    const bodyBytes = body?.length ?? Number(req.headers['content-length'] ?? 0);
    counter.forwarded += 1;
    counter.billedUnits +=
      service === 'sqs'
        ? Math.max(1, Math.ceil(bodyBytes / SQS_BILLING_CHUNK_BYTES))
        : service === 'dynamodb'
          ? dynamoDbWriteUnits(operation, body)
          : 1;
    let upstream: http.IncomingMessage;
    try {
      upstream = await this.forward(service, req, body);
    } catch {
      counter.upstreamErrors += 1;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream unreachable');
      return;
    }
    if (fault === 'lost-response') {
      // The emulator applied the request; the caller never hears so and retries on a reset connection.
      await readAll(upstream);
      req.socket.destroy();
      return;
    }
    if (fault === 'duplicate-send') {
      const first = await readAll(upstream);
      res.writeHead(upstream.statusCode ?? 500, upstream.headers).end(first);
      try {
        await readAll(await this.forward(service, req, body));
      } catch {
        counter.upstreamErrors += 1;
      }
      return;
    }
    if (caller === 'esm' && operation === 'ReceiveMessage') {
      const received = await readAll(upstream);
      res.writeHead(upstream.statusCode ?? 500, upstream.headers).end(received);
      this.rememberReceipts(received);
      return;
    }
    res.writeHead(upstream.statusCode ?? 500, upstream.headers);
    upstream.pipe(res);
  }

  private forward(service: Service, req: http.IncomingMessage, body: Buffer | undefined): Promise<http.IncomingMessage> {
    const target = service === 'dynamodb' ? this.dynamoDb : this.sqsS3;
    return new Promise((resolve, reject) => {
      const upstream = http.request(
        {
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: this.agent,
        },
        resolve,
      );
      upstream.on('error', reject);
      if (body === undefined) req.pipe(upstream);
      else upstream.end(body);
    });
  }

  private answerThrottled(service: Service, req: http.IncomingMessage, res: http.ServerResponse): void {
    const message = 'Rate exceeded (injected by the chaos proxy)';
    if (service === 'dynamodb') {
      res
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message }));
    } else if (service === 'sqs') {
      // SQS's JSON protocol keeps its query-protocol error code in this header (the SDK reads it as the error name).
      res
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'RequestThrottled;Sender' })
        .end(JSON.stringify({ __type: 'com.amazonaws.sqs#RequestThrottled', message }));
    } else {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>${message}</Message><RequestId>chaos</RequestId></Error>`;
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(req.method === 'HEAD' ? undefined : xml);
    }
  }

  private taskIdsOf(service: Service, req: http.IncomingMessage, body: Buffer | undefined): string[] {
    if (service === 's3') {
      const match = S3_TASK_KEY_PATTERN.exec(req.url ?? '');
      return match?.[1] === undefined ? [] : [decodeURIComponent(match[1])];
    }
    const text = body?.toString('utf8') ?? '';
    if (service === 'dynamodb') return [...new Set([...text.matchAll(TASK_KEY_PATTERN)].map((match) => match[1]!))];
    const ids = new Set<string>();
    try {
      const request = JSON.parse(text) as { MessageBody?: unknown; ReceiptHandle?: unknown; Entries?: unknown };
      const entries = [request, ...(Array.isArray(request.Entries) ? (request.Entries as typeof request[]) : [])];
      for (const entry of entries) {
        const fromBody = idOfMessageBody(entry.MessageBody);
        if (fromBody !== undefined) ids.add(fromBody);
        const fromReceipt = typeof entry.ReceiptHandle === 'string' ? this.receipts.get(entry.ReceiptHandle) : undefined;
        if (fromReceipt !== undefined) ids.add(fromReceipt);
      }
    } catch {
      // Not JSON: no task ids to name.
    }
    return [...ids];
  }

  private rememberReceipts(response: Buffer): void {
    let messages: unknown;
    try {
      messages = (JSON.parse(response.toString('utf8')) as { Messages?: unknown }).Messages;
    } catch {
      return;
    }
    if (!Array.isArray(messages)) return;
    for (const message of messages as Array<{ ReceiptHandle?: unknown; Body?: unknown }>) {
      const id = idOfMessageBody(message.Body);
      if (id === undefined || typeof message.ReceiptHandle !== 'string') continue;
      this.receipts.set(message.ReceiptHandle, id);
      if (this.receipts.size > MAX_REMEMBERED_RECEIPTS) this.receipts.delete(this.receipts.keys().next().value!);
    }
  }
}

/** DynamoDB write units of one request (items of 1 KB or less): a transactional write costs two per item. */
function dynamoDbWriteUnits(operation: string, body: Buffer | undefined): number {
  if (operation !== 'TransactWriteItems' && operation !== 'BatchWriteItem') return 1;
  try {
    const parsed = JSON.parse(body?.toString('utf8') ?? '{}') as { TransactItems?: unknown[]; RequestItems?: Record<string, unknown[]> };
    if (operation === 'TransactWriteItems') return 2 * (parsed.TransactItems?.length ?? 1);
    return Object.values(parsed.RequestItems ?? {}).reduce((sum, items) => sum + items.length, 0) || 1;
  } catch {
    return 1;
  }
}
