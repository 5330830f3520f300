import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CLAIM_CHECK_KEY_PREFIX, type TaskStateItem, type TaskStatus } from '../lib/contract';

/** The part of the SDK's task client the demo uses. */
export interface DemoTaskClient {
  publish(
    task: string,
    payload: unknown,
    options?: { readonly delaySeconds?: number },
  ): Promise<{ readonly taskId: string; readonly destination: string; readonly ruleId: string | null; readonly status: string }>;
  getTask(taskId: string): Promise<TaskStateItem | undefined>;
}

/** One task of the demo workload and where it should end. */
export interface DemoTask {
  /** What the row shows, for example `300 KiB payload (claim check)`. */
  readonly label: string;
  readonly task: string;
  readonly payload: unknown;
  readonly delaySeconds?: number;
  /** The status the task must end in. */
  readonly expected: TaskStatus;
  /** Whether the payload is claim-checked, so the demo checks its S3 object is gone afterwards. */
  readonly claimChecked?: boolean;
}

/** What became of one demo task. */
export interface DemoResult {
  readonly label: string;
  readonly task: string;
  readonly taskId: string;
  readonly destination: string;
  readonly expected: TaskStatus;
  /** Final status, or `undefined` if the task never reached a terminal status in time. */
  readonly status?: TaskStatus;
  readonly attempts: number;
  /** Milliseconds from publish until the final status was seen. */
  readonly elapsedMs: number;
  /** Why the task is dead, for dead tasks. */
  readonly deadReason?: string;
  /**
   * For claim-checked payloads: whether the S3 object is still there after the task finished. It must be: consumers
   * never delete payloads (a late copy of the message may still arrive); the bucket's lifecycle rule expires them.
   */
  readonly claimCheckKept?: boolean;
  /** Whether the task ended where it should. */
  readonly ok: boolean;
}

/** Size of the large demo payload: above the 256 KiB claim-check threshold. */
export const LARGE_PAYLOAD_BYTES = 300 * 1024;
/** Delay of the delayed demo task, in seconds. */
export const DEMO_DELAY_SECONDS = 5;

const FINAL: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['succeeded', 'dead', 'rerouted', 'cancelled']);

/**
 * The demo workload: ordinary tasks, one with a 300 KiB payload (claim-checked through S3), one that fails into the
 * DLQ, and one delayed.
 *
 * @example
 * const results = await runDemo(client, { s3, bucketName });
 */
export function demoTasks(): DemoTask[] {
  return [
    { label: 'ordinary task', task: 'email.send', payload: { to: 'ada@example.com', subject: 'Welcome' }, expected: 'succeeded' },
    { label: 'ordinary task', task: 'email.send', payload: { to: 'grace@example.com', subject: 'Your report' }, expected: 'succeeded' },
    {
      label: 'retries, then succeeds',
      task: 'demo.flaky',
      payload: { failAttempts: 2 },
      expected: 'succeeded',
    },
    {
      label: '300 KiB payload (claim check)',
      task: 'report.render',
      payload: { title: 'Quarterly report', rows: ['x'.repeat(LARGE_PAYLOAD_BYTES)] },
      expected: 'succeeded',
      claimChecked: true,
    },
    { label: 'fails into the DLQ', task: 'demo.reject', payload: { reason: 'demo' }, expected: 'dead' },
    {
      label: `delayed ${DEMO_DELAY_SECONDS} s`,
      task: 'email.send',
      payload: { to: 'linus@example.com', subject: 'Later' },
      delaySeconds: DEMO_DELAY_SECONDS,
      expected: 'succeeded',
    },
  ];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function claimCheckKept(s3: S3Client, bucketName: string, taskId: string): Promise<boolean> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucketName, Prefix: `${CLAIM_CHECK_KEY_PREFIX}${taskId}/` }));
  return (listed.KeyCount ?? listed.Contents?.length ?? 0) > 0;
}

/**
 * Publishes the demo workload and waits (up to `timeoutMs`) until every task reached a final status.
 *
 * @example
 * const results = await runDemo(client, { s3, bucketName, timeoutMs: 90_000 });
 * const allOk = results.every((r) => r.ok);
 */
export async function runDemo(
  client: DemoTaskClient,
  options: { readonly s3: S3Client; readonly bucketName: string; readonly timeoutMs?: number; readonly tasks?: DemoTask[] },
): Promise<DemoResult[]> {
  const tasks = options.tasks ?? demoTasks();
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  const published = [];
  for (const task of tasks) {
    const started = Date.now();
    const receipt = await client.publish(
      task.task,
      task.payload,
      task.delaySeconds === undefined ? {} : { delaySeconds: task.delaySeconds },
    );
    published.push({ task, receipt, started });
  }
  return Promise.all(
    published.map(async ({ task, receipt, started }): Promise<DemoResult> => {
      let item: TaskStateItem | undefined;
      while (Date.now() < deadline) {
        item = await client.getTask(receipt.taskId);
        if (item !== undefined && FINAL.has(item.status)) break;
        await sleep(250);
      }
      const status = item !== undefined && FINAL.has(item.status) ? item.status : undefined;
      const kept =
        task.claimChecked === true && status !== undefined
          ? await claimCheckKept(options.s3, options.bucketName, receipt.taskId)
          : undefined;
      return {
        label: task.label,
        task: task.task,
        taskId: receipt.taskId,
        destination: receipt.destination,
        expected: task.expected,
        ...(status === undefined ? {} : { status }),
        attempts: item?.attempts ?? 0,
        elapsedMs: Date.now() - started,
        ...(item?.deadReason === undefined ? {} : { deadReason: item.deadReason }),
        ...(kept === undefined ? {} : { claimCheckKept: kept }),
        ok: status === task.expected && kept !== false,
      };
    }),
  );
}
