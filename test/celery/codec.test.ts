import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { CeleryMessageError, decodeCeleryMessage, encodeCeleryMessage, MAX_DECOMPRESSED_BYTES } from '../../lib/celery';

const FIXTURES = join(__dirname, 'fixtures');

interface Captured {
  readonly sqs_received_message: { readonly Body: string };
}

function sample(file: string): string {
  return (JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Captured).sqs_received_message.Body;
}

const variants = new Map(
  readFileSync(join(FIXTURES, '06-more-formats.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Captured & { variant: string })
    .map((entry) => [entry.variant, entry.sqs_received_message.Body]),
);

function variant(name: string): string {
  const body = variants.get(name);
  if (body === undefined) throw new Error(`no sample ${name}`);
  return body;
}

function problemOf(body: string): { problem: string; message: string } {
  try {
    decodeCeleryMessage(body);
  } catch (error) {
    if (error instanceof CeleryMessageError) return { problem: error.problem, message: error.message };
    throw error;
  }
  throw new Error('decoded without error');
}

/** A kombu envelope as raw JSON with a plain-text body, for hand-made variants. */
function rawEnvelope(parts: { body?: unknown; headers?: unknown; properties?: unknown; contentType?: unknown }): string {
  return JSON.stringify({
    body: 'body' in parts ? parts.body : '[[2,3],{},{}]',
    ...(parts.contentType === undefined ? { 'content-type': 'application/json' } : parts.contentType === null ? {} : { 'content-type': parts.contentType }),
    'content-encoding': 'utf-8',
    headers: 'headers' in parts ? parts.headers : { task: 'app.add', id: 'task-1' },
    ...(parts.properties === null ? {} : { properties: parts.properties ?? {} }),
  });
}

describe('decodeCeleryMessage', () => {
  it('reads add.delay(2, 3) as Celery 5.6 sent it on SQS', () => {
    expect(decodeCeleryMessage(sample('01-delay.json'))).toEqual({
      protocol: 2,
      task: 'app.add',
      id: '45169c5f-627a-427b-869a-4d1e8fffe936',
      args: [2, 3],
      kwargs: {},
      retries: 0,
      routingKey: 'celery-capture',
    });
  });

  it('reads an eta to the millisecond in UTC', () => {
    expect(decodeCeleryMessage(sample('02-eta.json')).eta).toBe('2026-11-29T04:33:22.648Z');
  });

  it('reads a countdown, which the producer turned into an eta', () => {
    expect(decodeCeleryMessage(sample('03-countdown.json'))).toMatchObject({ args: [6, 7], eta: '2026-11-29T04:32:52.650Z' });
  });

  it('reads positional and keyword arguments', () => {
    expect(decodeCeleryMessage(sample('04-kwargs.json'))).toMatchObject({ task: 'app.greet', args: ['bob'], kwargs: { greeting: 'hi' } });
  });

  it('reads the retry count of a message a worker re-published with self.retry()', () => {
    expect(decodeCeleryMessage(sample('05-retry.json'))).toMatchObject({ task: 'app.retry_once_to_capture', args: [42], retries: 1 });
  });

  it.each(['v2-json-zlib', 'v2-json-gzip'])('inflates a %s body (kombu writes a zlib stream for both)', (name) => {
    expect(decodeCeleryMessage(variant(name))).toMatchObject({ task: 'app.add', args: [2, 3], kwargs: {} });
  });

  it('inflates a real gzip stream under the gzip content type', () => {
    const body = rawEnvelope({
      body: gzipSync('[[1],{},null]').toString('base64'),
      headers: { task: 'app.add', id: 'g-1', compression: 'application/x-gzip' },
      properties: { body_encoding: 'base64' },
    });
    expect(decodeCeleryMessage(body).args).toEqual([1]);
  });

  it('refuses bzip2, which Node cannot inflate, saying what is allowed', () => {
    expect(problemOf(variant('v2-json-bzip2'))).toEqual({
      problem: 'unsupported-compression',
      message: expect.stringMatching(/compression "application\/x-bz2" is not supported \(allowed: application\/x-gzip \(zlib\), application\/x-brotli/) as string,
    });
  });

  it('refuses a compressed body that inflates beyond the limit', () => {
    const bomb = deflateSync(Buffer.alloc(MAX_DECOMPRESSED_BYTES + 1, 0x20));
    const body = rawEnvelope({ body: bomb.toString('base64'), headers: { task: 'app.add', id: 'b-1', compression: 'application/x-gzip' }, properties: { body_encoding: 'base64' } });
    expect(problemOf(body).problem).toBe('undecodable-body');
  });

  it('refuses pickle without decoding it', () => {
    const { problem, message } = problemOf(variant('v2-pickle'));
    expect(problem).toBe('unsupported-serializer');
    expect(message).toMatch(/"application\/x-python-serialize" \(pickle, which Bosun never decodes/);
    expect(message).toMatch(/Bosun reads only application\/json/);
  });

  it.each([
    ['v2-msgpack', /"application\/x-msgpack" \(msgpack\)/],
    ['v2-yaml', /"application\/x-yaml" \(YAML\)/],
  ])('refuses %s', (name, pattern) => {
    const { problem, message } = problemOf(variant(name));
    expect(problem).toBe('unsupported-serializer');
    expect(message).toMatch(pattern);
  });

  it('turns kombu typed values into plain JSON text', () => {
    expect(decodeCeleryMessage(variant('v2-json-typed-args'))).toMatchObject({
      task: 'app.greet',
      args: ['2026-01-02T03:04:05+00:00'],
      kwargs: { greeting: '00000000-0000-0000-0000-000000000001' },
    });
  });

  it('converts date, time and decimal typed values to their text and refuses an unknown type', () => {
    const typed = (value: unknown): string => rawEnvelope({ body: JSON.stringify([[value], {}, {}]) });
    expect(decodeCeleryMessage(typed({ __type__: 'date', __value__: '2026-01-02' })).args).toEqual(['2026-01-02']);
    expect(decodeCeleryMessage(typed({ __type__: 'time', __value__: '03:04:05.123456' })).args).toEqual(['03:04:05.123456']);
    expect(decodeCeleryMessage(typed({ __type__: 'decimal', __value__: '12345678901234567890.01' })).args).toEqual(['12345678901234567890.01']);
    expect(problemOf(typed({ __type__: 'set', __value__: [1] }))).toEqual({
      problem: 'unsupported-typed-value',
      message: expect.stringMatching(/typed value at args\[0\] has type "set", which Bosun does not convert \(allowed: datetime, date, time, decimal, uuid\)/) as string,
    });
  });

  it('keeps an object that merely has a __type__ key among others', () => {
    const body = rawEnvelope({ body: JSON.stringify([[], { shape: { __type__: 'circle', r: 1 } }, {}]) });
    expect(decodeCeleryMessage(body).kwargs).toEqual({ shape: { __type__: 'circle', r: 1 } });
  });

  it('refuses a chain, naming the workflow part', () => {
    const { problem, message } = problemOf(variant('v2-chain'));
    expect(problem).toBe('workflow-unsupported');
    expect(message).toMatch(/Celery task app\.add \(id f0d66496-2d1d-4c13-96c4-bd9e5c1f4486\) carries chain: Bosun runs single tasks/);
  });

  it.each(['callbacks', 'errbacks', 'chord'])('refuses %s', (part) => {
    const body = rawEnvelope({ body: JSON.stringify([[], {}, { [part]: [{ task: 'app.x' }] }]) });
    expect(problemOf(body)).toMatchObject({ problem: 'workflow-unsupported', message: expect.stringContaining(`carries ${part}`) as string });
  });

  it('reads expires', () => {
    expect(decodeCeleryMessage(variant('v2-expires')).expires).toBe('2026-11-29T04:47:26.296Z');
  });

  it('reads protocol 1, with its eta and expires', () => {
    expect(decodeCeleryMessage(variant('v1-countdown'))).toEqual({
      protocol: 1,
      task: 'app.add',
      id: 'ac5c90c6-6287-4d6d-a095-8f1ffe9a786e',
      args: [2, 3],
      kwargs: {},
      eta: '2026-11-29T04:46:49.893Z',
      retries: 0,
      routingKey: 'celery-capture',
    });
    expect(decodeCeleryMessage(variant('v1-expires'))).toMatchObject({ args: [4, 5], expires: '2026-11-29T04:47:39.976Z' });
  });

  it('reads the minimal raw-JSON message a Celery worker runs, and an eta without offset as UTC', () => {
    expect(decodeCeleryMessage(rawEnvelope({}))).toMatchObject({ task: 'app.add', id: 'task-1', args: [2, 3] });
    const naive = rawEnvelope({ headers: { task: 'app.add', id: 't', eta: '2026-01-02T03:04:05.5' } });
    expect(decodeCeleryMessage(naive).eta).toBe('2026-01-02T03:04:05.500Z');
  });

  it.each([
    ['no content-type (crashes a Celery worker)', rawEnvelope({ contentType: null }), 'invalid-field', /content-type must be application\/json \(given nothing\)/],
    ['no headers.id (crashes a Celery worker)', rawEnvelope({ headers: { task: 'app.add' } }), 'invalid-field', /headers\.id must be a non-empty string \(given nothing\)/],
    ['no properties', rawEnvelope({ properties: null }), 'invalid-field', /properties must be an object \(given nothing\)/],
    ['a 2-element body (crashes a Celery worker)', rawEnvelope({ body: '[[2,3],{}]' }), 'invalid-field', /must be a list of 3, \[args, kwargs, embed\] \(given an array of 2\)/],
    ['a body that is not a string', rawEnvelope({ body: [[2, 3], {}, {}] }), 'invalid-field', /body must be a string \(given an array of 3\)/],
    ['a body that is not JSON', rawEnvelope({ body: '[[2,3' }), 'undecodable-body', /body is not valid JSON/],
    ['args that are not a list', rawEnvelope({ body: '[{"a":1},{},{}]' }), 'invalid-field', /args must be a list \(given object\)/],
    ['an eta that is not a time', rawEnvelope({ headers: { task: 'app.add', id: 't', eta: 'soon' } }), 'invalid-field', /headers\.eta must be an ISO 8601 time or null \(given "soon"\)/],
    ['negative retries', rawEnvelope({ headers: { task: 'app.add', id: 't', retries: -1 } }), 'invalid-field', /retries must be a whole number ≥ 0/],
    ['text that is neither JSON nor base64', 'hello, world!', 'not-celery', /not a Celery \(kombu\) message/],
    ['a Bosun envelope', JSON.stringify({ v: 1, id: 'x', task: 'a', payload: {} }), 'not-celery', /none of body, headers and properties/],
  ])('refuses %s', (_name, body, problem, pattern) => {
    const result = problemOf(body);
    expect(result.problem).toBe(problem);
    expect(result.message).toMatch(pattern);
  });

  it('names neither argument values nor payload in its errors', () => {
    const body = rawEnvelope({ body: JSON.stringify([['secret-value'], {}, { chain: [{ task: 'x', args: ['secret-value'] }] }]) });
    expect(problemOf(body).message).not.toContain('secret-value');
  });
});

describe('encodeCeleryMessage', () => {
  const task = { task: 'app.greet', id: '01JABCDEF', args: ['bob'], kwargs: { greeting: 'hi' }, queue: 'celery' };

  it('writes what a Celery worker requires: base64 envelope, JSON content type, task and id headers, a 3-element body, delivery_info', () => {
    const envelope = JSON.parse(Buffer.from(encodeCeleryMessage({ ...task, retries: 2 }), 'base64').toString('utf8')) as Record<string, Record<string, unknown>>;
    expect(envelope['content-type']).toBe('application/json');
    expect(envelope['headers']).toMatchObject({ task: 'app.greet', id: '01JABCDEF', eta: null, retries: 2, root_id: '01JABCDEF' });
    expect(envelope['properties']).toMatchObject({ body_encoding: 'base64', delivery_info: { exchange: '', routing_key: 'celery' }, correlation_id: '01JABCDEF' });
    const body = JSON.parse(Buffer.from(envelope['body'] as unknown as string, 'base64').toString('utf8')) as unknown[];
    expect(body).toEqual([['bob'], { greeting: 'hi' }, { callbacks: null, errbacks: null, chain: null, chord: null }]);
  });

  it('shows Celery monitors how many arguments there are, never their values', () => {
    const text = Buffer.from(encodeCeleryMessage({ ...task, args: ['s3cr3t'], kwargs: { token: 'x' } }), 'base64').toString('utf8');
    const headers = (JSON.parse(text) as { headers: Record<string, unknown> }).headers;
    expect([headers['argsrepr'], headers['kwargsrepr']]).toEqual(['<1 positional argument>', '<1 keyword argument>']);
  });

  it('round-trips any JSON arguments, id, task name and retry count through decodeCeleryMessage', () => {
    const jsonValue = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    fc.assert(
      fc.property(
        fc.record({
          task: fc.stringMatching(/^[a-z_][a-z0-9_.]{0,40}$/),
          id: fc.string({ minLength: 1, maxLength: 60 }),
          args: fc.array(jsonValue, { maxLength: 5 }),
          kwargs: fc.dictionary(fc.string({ maxLength: 12 }), jsonValue, { maxKeys: 5 }),
          retries: fc.nat({ max: 1000 }),
          queue: fc.stringMatching(/^[a-z0-9-]{1,40}$/),
        }),
        (outgoing) => {
          const decoded = decodeCeleryMessage(encodeCeleryMessage(outgoing));
          expect(decoded).toEqual({
            protocol: 2,
            task: outgoing.task,
            id: outgoing.id,
            args: outgoing.args,
            kwargs: outgoing.kwargs,
            retries: outgoing.retries,
            routingKey: outgoing.queue,
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
