/**
 * What a far ETA costs, hop chain against one-time schedule, from requests counted in a local run.
 *
 * Runs the local platform behind the counting proxy of the chaos bench (no faults) with a 1 s hop cap standing in
 * for SQS's 900 s, and measures per task:
 *   - a chain of H hops (ETA = H s, no schedules), for two values of H: the difference is the price of one hop;
 *   - a one-time schedule (ETA beyond the threshold): its SQS/DynamoDB/Lambda requests plus one Scheduler invocation.
 * Then prices ETAs of 10 min, 1 h, 1 day and 30 days with the real 900 s cap at us-east-1 list prices.
 *
 *   npx tsx bench/eta-cost.ts [--tasks 20]
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { emailSend } from '../lambdas/tasks';
import { LOCAL_CREDENTIALS, etaScheduleGroupName, etaScheduleName } from '../lib/contract';
import { createAwsClients } from '../lib/aws/clients';
import { createTaskClient, taskClientOptionsFromOutputs } from '../lib/sdk/task-client';
import { LOCAL_STAGE, type RunningLocalPlatform, startLocalPlatform } from '../local/local-platform';
import { PRICES, priceRun } from './chaos/cost';
import { FaultProxy, type RequestCount } from './chaos/fault-proxy';

/** EventBridge Scheduler: $1.00 per million invocations (after 14 M free a month); API calls are not billed. */
const SCHEDULER_PER_INVOCATION = 1.0 / 1e6;
/** SQS's longest delay: the hop of a chain in AWS. */
const HOP_SECONDS = 900;
const ETAS: ReadonlyArray<[string, number]> = [
  ['10 min', 600],
  ['1 h', 3600],
  ['1 day', 86_400],
  ['30 days', 30 * 86_400],
];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Measured {
  readonly dollarsPerMillion: number;
  readonly requestsPerTask: number;
  /** Re-sends per task (the task state's last link number). */
  readonly hopsPerTask: number;
}

/** Requests and dollars per task between two snapshots of the proxy's counts. */
function since(before: readonly RequestCount[], after: readonly RequestCount[], tasks: number, invocations: number): Measured {
  const key = (c: RequestCount): string => `${c.caller}|${c.service}|${c.operation}`;
  const base = new Map(before.map((c) => [key(c), c]));
  // The event source polls an empty queue all the time, in AWS as here: a fixed cost per queue, not per task. Count one
  // ReceiveMessage per delivered batch (per invocation) instead of the polls.
  const delta = after
    .map((c) => {
      const b = base.get(key(c));
      return { ...c, forwarded: c.forwarded - (b?.forwarded ?? 0), billedUnits: c.billedUnits - (b?.billedUnits ?? 0) };
    })
    .filter((c) => !(c.caller === 'esm' && c.operation === 'ReceiveMessage'));
  delta.push({ caller: 'esm', service: 'sqs', operation: 'ReceiveMessage', forwarded: invocations, billedUnits: invocations, rejected: 0, upstreamErrors: 0 });
  const priced = priceRun(delta, { tasks, lambdaInvocations: invocations, logBytes: 0 });
  if (process.argv.includes('--verbose')) {
    for (const c of delta.filter((d) => d.forwarded > 0)) console.log(`    ${c.caller} ${c.service} ${c.operation}: ${(c.forwarded / tasks).toFixed(2)}/task`);
    console.log(`    lambda invocations: ${(invocations / tasks).toFixed(2)}/task`);
  }
  const requests = delta.reduce((sum, c) => sum + c.forwarded, 0) + invocations;
  return { dollarsPerMillion: priced.totalDollarsPerMillionTasks, requestsPerTask: requests / tasks, hopsPerTask: 0 };
}

async function main(): Promise<void> {
  const tasksArg = process.argv.indexOf('--tasks');
  const tasks = tasksArg > 0 ? Number(process.argv[tasksArg + 1]) : 20;
  const projectRoot = path.resolve(__dirname, '..');
  let virtualNow = Date.now();
  const sqsPort = await freePort();
  const dynamoDbPort = await freePort();
  const proxy = await FaultProxy.start({ sqsS3Upstream: `http://127.0.0.1:${sqsPort}`, dynamoDbUpstream: `http://127.0.0.1:${dynamoDbPort}` });
  let platform: RunningLocalPlatform | undefined;
  try {
    const consumer = proxy.endpoint('consumer');
    platform = await startLocalPlatform({
      projectRoot,
      dataDir: path.join(projectRoot, '.bosun', 'bench-eta'),
      sqsPort,
      dynamoDbPort,
      maxDelaySeconds: 1,
      visibilityTimeoutSeconds: 5,
      functionTimeoutSeconds: 20,
      scheduleClock: { now: () => virtualNow },
      eventSourceSqsEndpoint: proxy.endpoint('esm'),
      functionEnvironment: { AWS_ENDPOINT_URL_SQS: consumer, AWS_ENDPOINT_URL_S3: consumer, AWS_ENDPOINT_URL_DYNAMODB: consumer },
    });
    const live = platform;
    const producer = proxy.endpoint('producer');
    const clients = createAwsClients({
      env: { ...live.clientEnvironment, AWS_ENDPOINT_URL_SQS: producer, AWS_ENDPOINT_URL_S3: producer, AWS_ENDPOINT_URL_DYNAMODB: producer },
      credentials: LOCAL_CREDENTIALS,
    });
    const scheduler = new SchedulerClient({ region: live.description.region, endpoint: live.description.endpoints.scheduler!, credentials: LOCAL_CREDENTIALS });
    const { etaSchedules, ...options } = taskClientOptionsFromOutputs(live.description.outputs);
    const base = { ...options, clients, routingFile: live.routingFile, region: live.description.region, maxDelaySeconds: 1, tasks: [emailSend] };
    const chained = createTaskClient(base);
    const scheduled = createTaskClient({ ...base, etaSchedules: { ...etaSchedules!, client: scheduler } });
    const invocations = (): number => live.consumers.reduce((sum, c) => sum + c.stats().invocations, 0);

    const run = async (publish: (i: number) => Promise<string>, afterPublish?: (ids: string[]) => Promise<void>): Promise<Measured> => {
      const before = proxy.counts();
      const invocationsBefore = invocations();
      const ids = await Promise.all(Array.from({ length: tasks }, (_, i) => publish(i)));
      await afterPublish?.(ids);
      let hops = 0;
      for (const id of ids) hops += (await chained.waitForTask(id, { timeoutMs: 120_000 })).link ?? 0;
      await sleep(1500); // the last deletes of the event source
      return { ...since(before, proxy.counts(), tasks, invocations() - invocationsBefore), hopsPerTask: hops / tasks };
    };
    const payload = { to: 'bench@example.com', subject: 'eta' };
    const chain = (seconds: number) => (): Promise<string> =>
      chained.publish('email.send', payload, { eta: new Date(Date.now() + seconds * 1000) }).then((r) => r.taskId);

    // ETA within one SQS delay: sent with DelaySeconds, no record, no re-send.
    const single = await run(() => chained.publish('email.send', payload, { delaySeconds: 1 }).then((r) => r.taskId));
    const shortChain = await run(chain(3));
    const longChain = await run(chain(8));
    const hopDelta = longChain.hopsPerTask - shortChain.hopsPerTask;
    const perHop: Measured = {
      dollarsPerMillion: (longChain.dollarsPerMillion - shortChain.dollarsPerMillion) / hopDelta,
      requestsPerTask: (longChain.requestsPerTask - shortChain.requestsPerTask) / hopDelta,
      hopsPerTask: 1,
    };
    // A chained task without its re-sends: the record, the first delayed send and the run.
    const chainBase: Measured = {
      dollarsPerMillion: shortChain.dollarsPerMillion - shortChain.hopsPerTask * perHop.dollarsPerMillion,
      requestsPerTask: shortChain.requestsPerTask - shortChain.hopsPerTask * perHop.requestsPerTask,
      hopsPerTask: 0,
    };
    const viaSchedule = await run(
      () => scheduled.publish('email.send', payload, { eta: new Date(Date.now() + 3000) }).then((r) => r.taskId),
      async (ids) => {
        await sleep(3500); // fire on time, as Scheduler would within its minute
        virtualNow = Date.now();
        await live.scheduler.tick();
        const left = ids.filter((id) => live.scheduler.get(etaScheduleGroupName(LOCAL_STAGE), etaScheduleName(id)) !== undefined);
        if (left.length > 0) throw new Error(`${left.length} ETA schedules did not fire`);
      },
    );
    const schedule: Measured = {
      dollarsPerMillion: viaSchedule.dollarsPerMillion + SCHEDULER_PER_INVOCATION * 1e6,
      requestsPerTask: viaSchedule.requestsPerTask + 1,
      hopsPerTask: viaSchedule.hopsPerTask,
    };

    console.log(`measured over ${tasks} tasks per case (requests = SQS, DynamoDB, S3 calls + Lambda invocations + Scheduler invocations)`);
    console.log(`  one SQS delay, no record:  ${single.requestsPerTask.toFixed(1)} requests, $${single.dollarsPerMillion.toFixed(2)}/M tasks`);
    console.log(`  chained ETA without hops:  ${chainBase.requestsPerTask.toFixed(1)} requests, $${chainBase.dollarsPerMillion.toFixed(2)}/M tasks`);
    console.log(`  each hop:                  ${perHop.requestsPerTask.toFixed(1)} requests, $${perHop.dollarsPerMillion.toFixed(2)}/M tasks (from ${shortChain.hopsPerTask.toFixed(1)} and ${longChain.hopsPerTask.toFixed(1)} hops/task)`);
    console.log(`  one-time schedule:         ${schedule.requestsPerTask.toFixed(1)} requests, $${schedule.dollarsPerMillion.toFixed(2)}/M tasks (incl. $1.00 Scheduler)`);
    console.log('');
    console.log('| ETA | hops (900 s) | hop chain: requests | hop chain: $/M tasks | schedule: requests | schedule: $/M tasks |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [label, seconds] of ETAS) {
      const hops = Math.ceil(seconds / HOP_SECONDS) - 1;
      const first = hops === 0 ? single : chainBase;
      const chainRequests = first.requestsPerTask + hops * perHop.requestsPerTask;
      const chainDollars = first.dollarsPerMillion + hops * perHop.dollarsPerMillion;
      const useSchedule = hops > 0;
      console.log(
        `| ${label} | ${hops} | ${chainRequests.toFixed(0)} | ${chainDollars.toFixed(2)} | ${useSchedule ? schedule.requestsPerTask.toFixed(0) : '- (one SQS delay)'} | ${useSchedule ? schedule.dollarsPerMillion.toFixed(2) : '-'} |`,
      );
    }
    console.log('');
    console.log(`prices: SQS $${PRICES.sqsPerRequest * 1e6}/M, DynamoDB write $${PRICES.dynamoDbPerWrite * 1e6}/M, Lambda request $${PRICES.lambdaPerRequest * 1e6}/M, Scheduler $1.00/M invocations`);
    scheduler.destroy();
  } finally {
    await platform?.stop();
    await proxy.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
