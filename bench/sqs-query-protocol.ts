/**
 * SQS query-protocol benchmark: what the translation in `local/fauxqs-server.mjs` (form request → fauxqs' JSON call,
 * made in process after a `GetQueueUrl` by name → XML) costs per request, against the same request in the JSON
 * protocol on the same emulator in the same run (the baseline). Each round sends N messages one after another, then
 * receives and deletes them one by one, with the same raw HTTP client (keep-alive fetch) for both protocols, so the
 * difference is the server's. Prints the median and p95 latency of each call and the ratio to the baseline.
 *
 * Run: `npm run bench:sqs-query` (options: `--messages N` (500), `--rounds R` (3)).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import Table from 'cli-table3';
import { LOOPBACK_HOST, reservePort } from '../local/emulators';

const ROOT = path.resolve(__dirname, '..');
const REGION = 'us-east-1';
const AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=local/20260101/${REGION}/sqs/aws4_request, SignedHeaders=host, Signature=0`;

type Protocol = 'json' | 'query';

interface Endpoint {
  readonly url: string;
}

async function jsonCall(endpoint: Endpoint, action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${endpoint.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}`, authorization: AUTHORIZATION },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${action} answered ${response.status}: ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

async function queryCall(endpoint: Endpoint, queuePath: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(`${endpoint.url}${queuePath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization: AUTHORIZATION },
    body: new URLSearchParams(params).toString(),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${params['Action']} answered ${response.status}: ${text}`);
  return text;
}

async function startFauxqs(): Promise<{ endpoint: Endpoint; child: ChildProcess }> {
  const port = await reservePort(0, 'fauxqs');
  const child = spawn(process.execPath, [path.join(ROOT, 'local', 'fauxqs-server.mjs'), String(port), REGION], { stdio: 'ignore' });
  const url = `http://${LOOPBACK_HOST}:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fauxqs exited with ${child.exitCode}`);
    try {
      await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      return { endpoint: { url }, child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Latencies (ms) of each call of one round: N sends, then N receive + delete pairs. */
async function round(endpoint: Endpoint, protocol: Protocol, messages: number, queueName: string): Promise<Record<string, number[]>> {
  const { QueueUrl } = (await jsonCall(endpoint, 'CreateQueue', { QueueName: queueName })) as { QueueUrl: string };
  const queuePath = new URL(QueueUrl).pathname;
  const body = JSON.stringify({ task: 'tasks.add', args: [2, 3], padding: 'x'.repeat(400) });
  const times: Record<string, number[]> = { SendMessage: [], ReceiveMessage: [], DeleteMessage: [] };
  const timed = async <T>(name: string, call: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    const result = await call();
    times[name]!.push(Number(process.hrtime.bigint() - started) / 1e6);
    return result;
  };
  for (let i = 0; i < messages; i += 1) {
    if (protocol === 'json') await timed('SendMessage', () => jsonCall(endpoint, 'SendMessage', { QueueUrl, MessageBody: body }));
    else await timed('SendMessage', () => queryCall(endpoint, queuePath, { Action: 'SendMessage', MessageBody: body }));
  }
  for (let i = 0; i < messages; i += 1) {
    let receiptHandle: string;
    if (protocol === 'json') {
      const received = (await timed('ReceiveMessage', () =>
        jsonCall(endpoint, 'ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 1, AttributeNames: ['ApproximateReceiveCount'] }),
      )) as { Messages?: Array<{ ReceiptHandle: string }> };
      receiptHandle = received.Messages![0]!.ReceiptHandle;
      await timed('DeleteMessage', () => jsonCall(endpoint, 'DeleteMessage', { QueueUrl, ReceiptHandle: receiptHandle }));
    } else {
      const xml = await timed('ReceiveMessage', () =>
        queryCall(endpoint, queuePath, { Action: 'ReceiveMessage', MaxNumberOfMessages: '1', 'AttributeName.1': 'ApproximateReceiveCount' }),
      );
      receiptHandle = /<ReceiptHandle>([^<]+)<\/ReceiptHandle>/.exec(xml)![1]!;
      await timed('DeleteMessage', () => queryCall(endpoint, queuePath, { Action: 'DeleteMessage', ReceiptHandle: receiptHandle }));
    }
  }
  await jsonCall(endpoint, 'DeleteQueue', { QueueUrl });
  return times;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
};

async function main(): Promise<void> {
  const option = (name: string, fallback: number): number => {
    const index = process.argv.indexOf(name);
    return index === -1 ? fallback : Number(process.argv[index + 1]);
  };
  const messages = option('--messages', 500);
  const rounds = option('--rounds', 3);
  const { endpoint, child } = await startFauxqs();
  const all: Record<Protocol, Record<string, number[]>> = { json: {}, query: {} };
  try {
    await round(endpoint, 'json', 50, 'bench-warm-json');
    await round(endpoint, 'query', 50, 'bench-warm-query');
    for (let r = 0; r < rounds; r += 1) {
      // Alternate which protocol goes first, so neither always runs on a warmer process.
      for (const protocol of (r % 2 === 0 ? ['json', 'query'] : ['query', 'json']) as Protocol[]) {
        const times = await round(endpoint, protocol, messages, `bench-${protocol}-${r}`);
        for (const [call, values] of Object.entries(times)) all[protocol][call] = [...(all[protocol][call] ?? []), ...values];
      }
    }
  } finally {
    child.kill('SIGTERM');
  }
  const table = new Table({ head: ['call', 'JSON p50', 'query p50', 'JSON p95', 'query p95', 'query / JSON (p50)'] });
  for (const call of ['SendMessage', 'ReceiveMessage', 'DeleteMessage']) {
    const json = all.json[call]!;
    const query = all.query[call]!;
    table.push([
      call,
      `${percentile(json, 50).toFixed(3)} ms`,
      `${percentile(query, 50).toFixed(3)} ms`,
      `${percentile(json, 95).toFixed(3)} ms`,
      `${percentile(query, 95).toFixed(3)} ms`,
      `${(percentile(query, 50) / percentile(json, 50)).toFixed(2)}×`,
    ]);
  }
  console.log(`SQS query protocol vs JSON protocol on the local fauxqs: ${rounds} rounds × ${messages} messages each, sequential, keep-alive`);
  console.log(table.toString());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
