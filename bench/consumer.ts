/**
 * Consumer benchmark (`npm run bench:consumer`).
 *
 * 1. CPU per message (process.cpuUsage, user + system) of `createTaskHandler` running a no-op task — state tracking
 *    off, state tracking on, and state off with the route re-check — against a bare async SQS handler that
 *    does nothing, all in one child process with stdout discarded (so logs and EMF metrics cost what writing them
 *    costs, without flooding the terminal). AWS calls are served by aws-sdk-client-mock: no network, and no SDK
 *    middleware either, so "state on" measures the runtime's own work around its two DynamoDB writes.
 * 2. The esbuild bundle of each `lambdas/` entry (the platform's CONSUMER_BUNDLING options: CJS, minified, AWS SDK
 *    bundled) and its cold import time in a fresh `node` process (median of 5).
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import Table from 'cli-table3';
import * as esbuild from 'esbuild';
import { z } from 'zod';
import { ENVELOPE_VERSION, defaultRoutingDocument, serializeEnvelope } from '../lib/contract';
import { createTaskHandler, defineTask } from '../lib/runtime';

type Handler = (event: SQSEvent, context: Context) => Promise<unknown>;

const ROOT = path.resolve(__dirname, '..');
/** Messages per measured round and variant. */
const MESSAGES_PER_ROUND = 20_000;
/** Messages per SQS batch, the event source mapping's default. */
const BATCH_SIZE = 10;
/** Measured rounds; variants are interleaved per round and the median round is reported. */
const ROUNDS = 5;
/** Target of the issue: runtime overhead with state tracking off, µs per message over the bare handler. */
const OVERHEAD_BUDGET_MICROS = 150;
/** Target of the issue: cold import of a bundle, ms. */
const IMPORT_BUDGET_MS = 300;
const IMPORT_RUNS = 5;

interface CpuResult {
  readonly variant: string;
  readonly microsPerMessage: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function measureInChild(): Promise<void> {

  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const clients = {
    sqs: new SQSClient({ region: 'us-east-1', credentials }),
    s3: new S3Client({ region: 'us-east-1', credentials }),
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials })),
  };
  for (const client of Object.values(clients)) mockClient(client as never).onAnyCommand().resolves({});

  const noopOff = defineTask({ name: 'bench.noop', schema: z.object({ n: z.number() }), stateTracking: 'off', handler: () => undefined });
  const noopOn = defineTask({ name: 'bench.noop', schema: z.object({ n: z.number() }), handler: () => undefined });
  const common = { clients, queueName: 'default', queueUrl: 'https://sqs/q', dlqUrl: 'https://sqs/q-dlq', maxReceiveCount: 5 };
  const doc = Promise.resolve(defaultRoutingDocument('default'));
  const variants: Array<[string, Handler]> = [
    ['bare async handler', (async () => ({ batchItemFailures: [] })) as Handler],
    ['runtime, state tracking off', createTaskHandler({ ...common, tasks: [noopOff] })],
    ['runtime, state off + route re-check', createTaskHandler({ ...common, tasks: [noopOff], routing: { current: () => doc } })],
    ['runtime, state tracking on (mocked DynamoDB)', createTaskHandler({ ...common, tasks: [noopOn], tableName: 'bench-tasks' })],
  ];

  let sequence = 0;
  const makeEvent = (): SQSEvent => ({
    Records: Array.from({ length: BATCH_SIZE }, () => {
      sequence += 1;
      const id = `01JBENCH${String(sequence).padStart(18, '0')}`;
      return {
        messageId: id,
        receiptHandle: `rh-${id}`,
        body: serializeEnvelope({
          v: ENVELOPE_VERSION,
          id,
          task: 'bench.noop',
          payload: { n: sequence },
          attempts: 0,
          route: { destination: 'default', ruleId: null },
          publishedAt: new Date().toISOString(),
        }),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
        awsRegion: 'us-east-1',
      };
    }),
  });
  const context = { getRemainingTimeInMillis: () => 300_000 } as unknown as Context;

  const run = async (handler: Handler, messages: number): Promise<number> => {
    const events = Array.from({ length: messages / BATCH_SIZE }, makeEvent);
    const before = process.cpuUsage();
    for (const event of events) await handler(event, context);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / messages;
  };

  for (const [, handler] of variants) await run(handler, MESSAGES_PER_ROUND / 4);
  const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, handler] of variants) samples.get(name)?.push(await run(handler, MESSAGES_PER_ROUND));
  }
  const results: CpuResult[] = variants.map(([name]) => ({ variant: name, microsPerMessage: median(samples.get(name) ?? []) }));
  process.send?.(results);
}

async function measureCpu(): Promise<CpuResult[]> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, AWS_REGION: 'us-east-1', POWERTOOLS_SERVICE_NAME: 'bench', NODE_NO_WARNINGS: '1' },
    });
    child.once('message', (message) => resolve(message as CpuResult[]));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`benchmark child exited with ${code}`))));
  });
}

async function measureBundles(): Promise<Array<{ entry: string; bytes: number; importMs: number }>> {
  const out = mkdtempSync(path.join(tmpdir(), 'bosun-bench-'));
  const entries = readdirSync(path.join(ROOT, 'lambdas')).filter((file) => file.endsWith('-consumer.ts'));
  const results: Array<{ entry: string; bytes: number; importMs: number }> = [];
  try {
    for (const entry of entries) {
      const outfile = path.join(out, entry.replace(/\.ts$/, '.js'));
      await esbuild.build({
        entryPoints: [path.join(ROOT, 'lambdas', entry)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node22',
        mainFields: ['module', 'main'],
        minify: true,
        logLevel: 'warning',
      });
      const script =
        'const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
      const times: number[] = [];
      for (let i = 0; i < IMPORT_RUNS; i += 1) {
        const child = spawnSync(process.execPath, ['-e', script, outfile], {
          env: { PATH: process.env['PATH'], AWS_REGION: 'us-east-1', BOSUN_QUEUE_NAME: 'default', NODE_NO_WARNINGS: '1' },
          encoding: 'utf8',
        });
        if (child.status !== 0) throw new Error(`importing ${entry} failed: ${child.stderr}`);
        times.push(Number(child.stdout));
      }
      results.push({ entry: `lambdas/${entry}`, bytes: statSync(outfile).size, importMs: median(times) });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return results;
}

async function main(): Promise<void> {
  console.log(`Consumer benchmark: ${ROUNDS} rounds × ${MESSAGES_PER_ROUND} messages per variant, batches of ${BATCH_SIZE}, median round (node ${process.version})`);
  const cpu = await measureCpu();
  const bare = cpu[0]?.microsPerMessage ?? 0;
  const cpuTable = new Table({ head: ['variant', 'CPU µs / message', 'over bare handler'], style: { head: [], border: [] } });
  for (const result of cpu) {
    cpuTable.push([result.variant, result.microsPerMessage.toFixed(1), result === cpu[0] ? '—' : `+${(result.microsPerMessage - bare).toFixed(1)} µs`]);
  }
  console.log(cpuTable.toString());
  const off = cpu.find((result) => result.variant === 'runtime, state tracking off');
  const overhead = (off?.microsPerMessage ?? 0) - bare;
  console.log(`runtime overhead, state off: ${overhead.toFixed(1)} µs/message (target ≤ ${OVERHEAD_BUDGET_MICROS}) → ${overhead <= OVERHEAD_BUDGET_MICROS ? 'OK' : 'OVER'}`);

  const bundles = await measureBundles();
  const bundleTable = new Table({ head: ['entry', 'bundle (minified, SDK bundled)', `cold import (median of ${IMPORT_RUNS})`], style: { head: [], border: [] } });
  for (const bundle of bundles) {
    bundleTable.push([bundle.entry, `${(bundle.bytes / 1024).toFixed(0)} KiB`, `${bundle.importMs.toFixed(0)} ms`]);
  }
  console.log(bundleTable.toString());
  const slowest = Math.max(...bundles.map((bundle) => bundle.importMs));
  console.log(`slowest cold import: ${slowest.toFixed(0)} ms (target well under ${IMPORT_BUDGET_MS}) → ${slowest < IMPORT_BUDGET_MS ? 'OK' : 'OVER'}`);
}

if (process.argv.includes('--child')) {
  measureInChild().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
