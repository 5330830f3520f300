/**
 * What reading and writing Celery messages costs the consumer and the producer, per message, against the Bosun
 * envelope the same task would be, in the same run (in-process, no emulator: the CPU cost of the codec only).
 *
 * Read (the consumer's first step, `readMessage`): a Bosun envelope (baseline); the same task as a Celery 5.6
 * protocol-2 message (base64 envelope and body); the same, zlib-compressed; a protocol-1 message.
 * Write: `serializeEnvelope` (baseline) against `encodeCeleryMessage` (what `celeryDestination` sends).
 *
 *   npx tsx bench/celery-codec.ts [--messages 50000] [--payload-bytes 200]
 */
import { deflateSync } from 'node:zlib';
import type { SQSRecord } from 'aws-lambda';
import { CeleryTaskMap, encodeCeleryMessage } from '../lib/celery';
import { ENVELOPE_VERSION, serializeEnvelope, type TaskEnvelope } from '../lib/contract';
import { readMessage } from '../lib/runtime/steps';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1 (given ${process.argv[at + 1]})`);
  return value;
}

const messages = option('messages', 50_000);
const payloadBytes = option('payload-bytes', 200);
const tasks = new CeleryTaskMap([{ task: 'email.send', celeryTask: 'app.send_email', args: ['to'] }]);
const payload = { to: 'a@example.com', subject: 'Hello', body: 'x'.repeat(Math.max(0, payloadBytes - 60)) };
const id = '2f03463e-d12e-43f1-a34c-ff42f7b83b34';
const envelope: TaskEnvelope = { v: ENVELOPE_VERSION, id, task: 'email.send', payload, attempts: 0, route: { destination: 'default', ruleId: null }, publishedAt: new Date().toISOString() };
const runtime = { celery: tasks, queueName: 'default', now: Date.now };

function record(body: string): SQSRecord {
  return {
    messageId: 'm',
    receiptHandle: 'r',
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 's', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
    awsRegion: 'us-east-1',
  };
}

function kombu(body: Buffer, headers: Record<string, unknown>): string {
  const outer = { body: body.toString('base64'), 'content-encoding': 'utf-8', 'content-type': 'application/json', headers, properties: { body_encoding: 'base64', delivery_info: { exchange: '', routing_key: 'default' } } };
  return Buffer.from(JSON.stringify(outer)).toString('base64');
}

const { to, ...kwargs } = payload;
const taskBody = JSON.stringify([[to], kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }]);
const bodies = {
  'Bosun envelope (baseline)': serializeEnvelope(envelope),
  'Celery protocol 2': encodeCeleryMessage({ task: 'app.send_email', id, args: [to], kwargs, queue: 'default' }),
  'Celery protocol 2, zlib': kombu(deflateSync(taskBody), { task: 'app.send_email', id, retries: 0, compression: 'application/x-gzip' }),
  'Celery protocol 1': kombu(Buffer.from(JSON.stringify({ task: 'app.send_email', id, args: [to], kwargs, retries: 0, eta: null })), {}),
};

function measure(run: () => void): number {
  for (let i = 0; i < Math.min(messages, 5_000); i += 1) run();
  const started = process.hrtime.bigint();
  for (let i = 0; i < messages; i += 1) run();
  return Number(process.hrtime.bigint() - started) / 1e3 / messages;
}

console.log(`Celery codec, ${messages} messages of a ~${payloadBytes}-byte payload (Node ${process.version})`);
console.log('\nread (the consumer\'s readMessage step)');
let baseline = 0;
for (const [name, body] of Object.entries(bodies)) {
  const read = readMessage(record(body), runtime);
  if ('poison' in read) throw new Error(`${name} was not read: ${read.poison.detail}`);
  const us = measure(() => readMessage(record(body), runtime));
  if (baseline === 0) baseline = us;
  console.log(`  ${name.padEnd(28)} ${us.toFixed(2).padStart(7)} µs/msg  ${Math.round(1e6 / us).toString().padStart(9)} msg/s  ×${(us / baseline).toFixed(2)}  (${Buffer.byteLength(body)} bytes)`);
}
console.log('\nwrite (the SQS body)');
const serialize = measure(() => serializeEnvelope(envelope));
const encode = measure(() => encodeCeleryMessage({ task: 'app.send_email', id, args: [to], kwargs, queue: 'default' }));
console.log(`  ${'serializeEnvelope (baseline)'.padEnd(28)} ${serialize.toFixed(2).padStart(7)} µs/msg  ${Math.round(1e6 / serialize).toString().padStart(9)} msg/s  ×1.00`);
console.log(`  ${'encodeCeleryMessage'.padEnd(28)} ${encode.toFixed(2).padStart(7)} µs/msg  ${Math.round(1e6 / encode).toString().padStart(9)} msg/s  ×${(encode / serialize).toFixed(2)}`);
