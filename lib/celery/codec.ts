import { randomUUID } from 'node:crypto';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { CeleryMessageError } from './errors';
import { fromKombuJson } from './kombu-json';

/** The only content type Bosun reads and writes: Celery's default JSON serializer. */
export const CELERY_JSON_CONTENT_TYPE = 'application/json';

/** Largest body Bosun decompresses, in bytes: more is refused rather than inflated (a compression bomb). */
export const MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

/** kombu content types that are refused, each with why. Pickle is never decoded. */
const REFUSED_SERIALIZERS: Readonly<Record<string, string>> = {
  'application/x-python-serialize': 'pickle, which Bosun never decodes (unpickling runs code chosen by the sender)',
  'application/x-msgpack': 'msgpack',
  'application/x-yaml': 'YAML',
  'application/yaml': 'YAML',
};

/** kombu compression content types Node's zlib can undo. kombu's `application/x-gzip` is a zlib stream. */
const ZLIB_COMPRESSIONS = new Set(['application/x-gzip', 'application/x-zlib', 'application/gzip', 'application/zlib']);
const BROTLI_COMPRESSION = 'application/x-brotli';
const GZIP_MAGIC = [0x1f, 0x8b];

/** The embed keys of a protocol-2 body, each a workflow part Bosun does not run. */
const WORKFLOW_PARTS = ['callbacks', 'errbacks', 'chain', 'chord'] as const;

/** A Celery task message, decoded: what Bosun needs to run it. */
export interface CeleryTaskMessage {
  /** Celery task protocol of the message (2 is Celery's default since 4.0). */
  readonly protocol: 1 | 2;
  /** Registered Celery task name (`headers.task`), for example `app.add`. */
  readonly task: string;
  /** Celery task id (`headers.id`); Bosun keeps it as the task id. */
  readonly id: string;
  /** Positional arguments, kombu typed values converted to plain JSON. */
  readonly args: readonly unknown[];
  /** Keyword arguments, kombu typed values converted to plain JSON. */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** Earliest run time (`eta`, which `countdown=` becomes), ISO 8601 UTC; a time without offset is read as UTC. */
  readonly eta?: string;
  /** Time after which Celery would discard the task (`expires`), ISO 8601 UTC. */
  readonly expires?: string;
  /** Times the task was already retried (`retries`, 0 when absent). */
  readonly retries: number;
  /** Queue the producer addressed (`properties.delivery_info.routing_key`), when given. */
  readonly routingKey?: string;
}

/** What {@link encodeCeleryMessage} sends: one Celery task. */
export interface CeleryOutgoingTask {
  /** Registered Celery task name, for example `app.add`. */
  readonly task: string;
  /** Task id; the Bosun task id is kept, so a task keeps its id when it moves between Bosun and Celery. */
  readonly id: string;
  /** Positional arguments (JSON values). */
  readonly args: readonly unknown[];
  /** Keyword arguments (JSON values). */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** Times the task was already retried; Celery's only retry counter. @default 0 */
  readonly retries?: number;
  /** Name of the Celery queue the message goes to: `delivery_info.routing_key`. */
  readonly queue: string;
  /** Producer node name shown by Celery (`origin`). @default bosun */
  readonly origin?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Strict base64: only the alphabet and padding (kombu checks the same by re-encoding). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fromBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  return BASE64.test(compact) ? Buffer.from(compact, 'base64') : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Encodes one task as a Celery task protocol-2 message on SQS, the way kombu's SQS transport writes it: the SQS body
 * is base64 of the kombu envelope, whose `body` is base64 of `[args, kwargs, embed]`. Carries everything a Celery
 * worker requires (`content-type: application/json`, `headers.task`, `headers.id`, `properties`, a 3-element body)
 * and `delivery_info`, and never an `eta`: a time to wait is the SQS delay of the send, not a time the worker holds in
 * memory. `argsrepr`/`kwargsrepr` (what Celery shows in logs and monitors) name only how many arguments there are,
 * never their values.
 *
 * @example
 * const body = encodeCeleryMessage({ task: 'app.add', id: taskId, args: [2, 3], kwargs: {}, queue: 'celery' });
 * await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
 */
export function encodeCeleryMessage(task: CeleryOutgoingTask): string {
  const taskBody = JSON.stringify([task.args, task.kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }]);
  const kwargNames = Object.keys(task.kwargs);
  const envelope = {
    body: b64(taskBody),
    'content-encoding': 'utf-8',
    'content-type': CELERY_JSON_CONTENT_TYPE,
    headers: {
      lang: 'js',
      task: task.task,
      id: task.id,
      shadow: null,
      eta: null,
      expires: null,
      group: null,
      group_index: null,
      retries: task.retries ?? 0,
      timelimit: [null, null],
      root_id: task.id,
      parent_id: null,
      argsrepr: `<${task.args.length} positional argument${task.args.length === 1 ? '' : 's'}>`,
      kwargsrepr: `<${kwargNames.length} keyword argument${kwargNames.length === 1 ? '' : 's'}>`,
      origin: task.origin ?? 'bosun',
      stamped_headers: null,
      stamps: {},
    },
    properties: {
      correlation_id: task.id,
      delivery_mode: 2,
      delivery_info: { exchange: '', routing_key: task.queue },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID(),
    },
  };
  return b64(JSON.stringify(envelope));
}

function readTime(value: unknown, field: string, ids: { id?: string; task?: string }): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new CeleryMessageError('invalid-field', `Celery message field ${field} must be an ISO 8601 time or null (given ${describe(value)})`, ids.id, ids.task);
  }
  // A time without an offset is read as UTC (Celery's `utc` default since 3.0).
  const withZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(withZone);
  if (Number.isNaN(ms)) {
    throw new CeleryMessageError('invalid-field', `Celery message field ${field} must be an ISO 8601 time or null (given ${JSON.stringify(value.slice(0, 40))})`, ids.id, ids.task);
  }
  return new Date(ms).toISOString();
}

function readRetries(value: unknown, ids: { id?: string; task?: string }): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CeleryMessageError('invalid-field', `Celery message field retries must be a whole number ≥ 0 (given ${describe(value)})`, ids.id, ids.task);
  }
  return value;
}

function refuseWorkflow(parts: Record<string, unknown>, ids: { id: string; task: string }): void {
  const present = WORKFLOW_PARTS.filter((part) => {
    const value = parts[part];
    return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
  });
  if (present.length > 0) {
    throw new CeleryMessageError(
      'workflow-unsupported',
      `Celery task ${ids.task} (id ${ids.id}) carries ${present.join(', ')}: Bosun runs single tasks and does not run Celery workflows ` +
        `(callbacks, errbacks, chains, chords); run this workflow on Celery or publish its tasks to Bosun one by one`,
      ids.id,
      ids.task,
    );
  }
}

function decompress(data: Buffer, compression: unknown): Buffer {
  if (compression === undefined || compression === null) return data;
  const limit = { maxOutputLength: MAX_DECOMPRESSED_BYTES };
  const undo = (fn: () => Buffer, what: string): Buffer => {
    try {
      return fn();
    } catch (error) {
      throw new CeleryMessageError('undecodable-body', `Celery message body is not valid ${what} data or inflates beyond ${MAX_DECOMPRESSED_BYTES} bytes (${(error as Error).message})`);
    }
  };
  if (typeof compression === 'string' && ZLIB_COMPRESSIONS.has(compression)) {
    return data[0] === GZIP_MAGIC[0] && data[1] === GZIP_MAGIC[1] ? undo(() => gunzipSync(data, limit), 'gzip') : undo(() => inflateSync(data, limit), 'zlib');
  }
  if (compression === BROTLI_COMPRESSION) return undo(() => brotliDecompressSync(data, limit), 'brotli');
  throw new CeleryMessageError(
    'unsupported-compression',
    `Celery message compression ${JSON.stringify(String(compression)).slice(0, 80)} is not supported (allowed: application/x-gzip (zlib), application/x-brotli; ` +
      'bzip2, lzma and zstd cannot be undone here: send without compression or with zlib)',
  );
}

function outerEnvelope(sqsBody: string): Record<string, unknown> {
  const trimmed = sqsBody.trim();
  // kombu reads the envelope as base64 JSON or, failing that, as raw JSON.
  let parsed = trimmed.startsWith('{') ? parseJson(trimmed) : undefined;
  if (parsed === undefined) {
    const bytes = fromBase64(trimmed);
    parsed = bytes === undefined ? undefined : parseJson(bytes.toString('utf8'));
  }
  if (!isRecord(parsed)) {
    throw new CeleryMessageError('not-celery', `message body is not a Celery (kombu) message: expected JSON or base64 JSON of an object with body, content-type, headers and properties (given ${sqsBody.length} characters that are neither)`);
  }
  return parsed;
}

/**
 * Decodes an SQS message body written by a Celery producer (kombu's SQS transport, any version from Celery 4 to 5.6)
 * into a {@link CeleryTaskMessage}: the envelope as base64 or raw JSON, a base64 or plain `body`, zlib/gzip or brotli
 * compression, task protocol 2 or 1, and kombu's typed JSON values. Refuses, with a {@link CeleryMessageError} saying
 * what was wrong, anything a Celery worker would choke on (a missing `content-type`, `headers.id` or `properties`, a
 * 2-element body), every serializer but JSON (pickle is never decoded), compressions Node cannot undo, and workflow
 * parts (callbacks, errbacks, chains, chords) Bosun does not run.
 *
 * @throws CeleryMessageError
 * @example
 * const message = decodeCeleryMessage(record.body); // { protocol: 2, task: 'app.add', id, args: [2, 3], kwargs: {}, retries: 0 }
 */
export function decodeCeleryMessage(sqsBody: string): CeleryTaskMessage {
  const envelope = outerEnvelope(sqsBody);
  const headers = isRecord(envelope['headers']) ? envelope['headers'] : {};
  const headerTask = typeof headers['task'] === 'string' ? headers['task'] : undefined;
  const headerId = typeof headers['id'] === 'string' ? headers['id'] : undefined;
  const ids = { ...(headerId === undefined ? {} : { id: headerId }), ...(headerTask === undefined ? {} : { task: headerTask }) };
  if (!('body' in envelope) && !('headers' in envelope) && !('properties' in envelope)) {
    throw new CeleryMessageError('not-celery', 'message body is JSON but not a Celery (kombu) message: it has none of body, headers and properties');
  }
  const properties = envelope['properties'];
  if (!isRecord(properties)) {
    throw new CeleryMessageError('invalid-field', `Celery message field properties must be an object (given ${describe(properties)})`, ids.id, ids.task);
  }
  const contentType = envelope['content-type'];
  if (typeof contentType !== 'string') {
    throw new CeleryMessageError('invalid-field', `Celery message field content-type must be ${CELERY_JSON_CONTENT_TYPE} (given ${describe(contentType)})`, ids.id, ids.task);
  }
  if (contentType !== CELERY_JSON_CONTENT_TYPE) {
    const known = REFUSED_SERIALIZERS[contentType];
    throw new CeleryMessageError(
      'unsupported-serializer',
      `Celery message content-type is ${JSON.stringify(contentType.slice(0, 80))}${known === undefined ? '' : ` (${known})`}: Bosun reads only ${CELERY_JSON_CONTENT_TYPE}; ` +
        "send the task with serializer='json'",
      ids.id,
      ids.task,
    );
  }
  const rawBody = envelope['body'];
  if (typeof rawBody !== 'string') {
    throw new CeleryMessageError('invalid-field', `Celery message field body must be a string (given ${describe(rawBody)})`, ids.id, ids.task);
  }
  let bodyBytes: Buffer;
  if (properties['body_encoding'] === 'base64') {
    const decoded = fromBase64(rawBody);
    if (decoded === undefined) throw new CeleryMessageError('undecodable-body', 'Celery message body is marked body_encoding base64 but is not valid base64', ids.id, ids.task);
    bodyBytes = decoded;
  } else {
    bodyBytes = Buffer.from(rawBody, 'utf8');
  }
  const text = decompress(bodyBytes, headers['compression']).toString('utf8');
  const body = parseJson(text);
  if (body === undefined) {
    throw new CeleryMessageError('undecodable-body', `Celery message body is not valid JSON (${text.length} characters)`, ids.id, ids.task);
  }
  const routingKey = isRecord(properties['delivery_info']) && typeof properties['delivery_info']['routing_key'] === 'string' ? properties['delivery_info']['routing_key'] : undefined;
  const routing = routingKey === undefined ? {} : { routingKey };

  if (headerTask !== undefined || headerId !== undefined) return protocol2(headers, body, routing);
  if (isRecord(body) && 'task' in body) return protocol1(body, routing);
  throw new CeleryMessageError('invalid-field', 'Celery message field headers.task must be a task name (given nothing, and the body is not a protocol-1 task either)');
}

function requireName(value: unknown, field: string, ids: { id?: string; task?: string }): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CeleryMessageError('invalid-field', `Celery message field ${field} must be a non-empty string (given ${describe(value)})`, ids.id, ids.task);
  }
  return value;
}

function argumentsOf(args: unknown, kwargs: unknown, ids: { id: string; task: string }, where: string): { args: unknown[]; kwargs: Record<string, unknown> } {
  if (!Array.isArray(args)) throw new CeleryMessageError('invalid-field', `Celery message ${where} args must be a list (given ${describe(args)})`, ids.id, ids.task);
  if (kwargs !== undefined && kwargs !== null && !isRecord(kwargs)) {
    throw new CeleryMessageError('invalid-field', `Celery message ${where} kwargs must be an object (given ${describe(kwargs)})`, ids.id, ids.task);
  }
  try {
    return { args: fromKombuJson(args, 'args') as unknown[], kwargs: (fromKombuJson(kwargs ?? {}, 'kwargs') as Record<string, unknown>) };
  } catch (error) {
    if (error instanceof CeleryMessageError) throw new CeleryMessageError(error.problem, `Celery task ${ids.task} (id ${ids.id}): ${error.message}`, ids.id, ids.task);
    throw error;
  }
}

function protocol2(headers: Record<string, unknown>, body: unknown, routing: { routingKey?: string }): CeleryTaskMessage {
  const partial = { ...(typeof headers['id'] === 'string' ? { id: headers['id'] } : {}), ...(typeof headers['task'] === 'string' ? { task: headers['task'] } : {}) };
  const task = requireName(headers['task'], 'headers.task', partial);
  const id = requireName(headers['id'], 'headers.id', partial);
  const ids = { id, task };
  if (!Array.isArray(body) || body.length !== 3) {
    throw new CeleryMessageError('invalid-field', `Celery protocol-2 body must be a list of 3, [args, kwargs, embed] (given ${describe(body)})`, id, task);
  }
  const [args, kwargs, embed] = body as [unknown, unknown, unknown];
  if (embed !== null && embed !== undefined && !isRecord(embed)) {
    throw new CeleryMessageError('invalid-field', `Celery protocol-2 body embed must be an object or null (given ${describe(embed)})`, id, task);
  }
  refuseWorkflow(embed ?? {}, ids);
  const eta = readTime(headers['eta'], 'headers.eta', ids);
  const expires = readTime(headers['expires'], 'headers.expires', ids);
  return {
    protocol: 2,
    task,
    id,
    ...argumentsOf(args, kwargs, ids, 'protocol-2 body'),
    ...(eta === undefined ? {} : { eta }),
    ...(expires === undefined ? {} : { expires }),
    retries: readRetries(headers['retries'], ids),
    ...routing,
  };
}

function protocol1(body: Record<string, unknown>, routing: { routingKey?: string }): CeleryTaskMessage {
  const partial = { ...(typeof body['id'] === 'string' ? { id: body['id'] } : {}), ...(typeof body['task'] === 'string' ? { task: body['task'] } : {}) };
  const task = requireName(body['task'], 'task', partial);
  const id = requireName(body['id'], 'id', partial);
  const ids = { id, task };
  refuseWorkflow(body, ids);
  const eta = readTime(body['eta'], 'eta', ids);
  const expires = readTime(body['expires'], 'expires', ids);
  return {
    protocol: 1,
    task,
    id,
    ...argumentsOf(body['args'] ?? [], body['kwargs'], ids, 'protocol-1 body'),
    ...(eta === undefined ? {} : { eta }),
    ...(expires === undefined ? {} : { expires }),
    retries: readRetries(body['retries'], ids),
    ...routing,
  };
}
