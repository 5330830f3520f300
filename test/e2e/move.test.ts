import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { createCliClients } from '../../cli/clients';
import type { MoveResult } from '../../cli/move';
import { MessageAttribute, matchesGlob, parseEnvelope, serializeEnvelope } from '../../lib/contract';
import { dedupTaskId } from '../../lib/sdk';
import { anEnvelope, bosun, createTestPlatform, getTaskState, type TestPlatform } from '../cli/support';
import { uniqueName } from '../support/emulator-env';

const MESSAGES = 10_000;
const CONCURRENCY = 8;
/** `SendMessageBatch` calls the first run makes before it is killed: about a fifth of the move. */
const SENDS_BEFORE_CRASH = 150;
/** Hold of the first run: what it had received and not deleted comes back this long after the kill. */
const CRASHED_HOLD_SECONDS = 5;
const NEAR_ETA_MS = 25_000;
const FAR_ETA_MS = 2 * 3_600_000;
const WRAP_AS = 'orders.legacy';

/** One source message as the test wrote it, and what the move should make of it. */
interface Planned {
  readonly index: number;
  readonly kind: 'envelope' | 'plain';
  readonly taskName: string;
  readonly tenant: string;
  readonly eta: 'none' | 'near' | 'far';
  readonly envelopeId?: string;
}

function plan(index: number, nowMs: number): { planned: Planned; entry: Omit<SendMessageBatchRequestEntry, 'Id'> } {
  const kind = index % 10 < 6 ? 'envelope' : 'plain';
  const taskName = kind === 'plain' ? WRAP_AS : index % 2 === 0 ? 'orders.sync' : 'reports.build';
  const tenant = index % 7 === 0 ? 'other' : 'acme';
  const eta = index % 4 === 0 ? 'near' : index % 4 === 1 ? 'far' : 'none';
  const etaIso = eta === 'none' ? undefined : new Date(nowMs + (eta === 'near' ? NEAR_ETA_MS : FAR_ETA_MS)).toISOString();
  const attributes = { tenant: { DataType: 'String', StringValue: tenant } };
  if (kind === 'plain') {
    return {
      planned: { index, kind, taskName, tenant, eta },
      entry: { MessageBody: JSON.stringify({ n: index, ...(etaIso === undefined ? {} : { eta: etaIso }) }), MessageAttributes: attributes },
    };
  }
  const envelope = anEnvelope({ id: `01JE${String(index).padStart(22, '0')}`, task: taskName, payload: { n: index }, ...(etaIso === undefined ? {} : { eta: etaIso }) });
  return {
    planned: { index, kind, taskName, tenant, eta, envelopeId: envelope.id },
    entry: {
      MessageBody: serializeEnvelope(envelope),
      MessageAttributes: { ...attributes, [MessageAttribute.TASK_NAME]: { DataType: 'String', StringValue: taskName } },
    },
  };
}

/** The filters of the move: `--task 'orders.*' --attribute tenant=acme`. */
function selected(planned: Planned): boolean {
  return matchesGlob(planned.taskName, 'orders.*') && planned.tenant === 'acme';
}

async function drain(platform: TestPlatform, url: string): Promise<Message[]> {
  const messages: Message[] = [];
  let empty = 0;
  while (empty < 2) {
    const received = await platform.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 600, MessageAttributeNames: ['All'] }),
    );
    const batch = received.Messages ?? [];
    empty = batch.length === 0 ? empty + 1 : 0;
    messages.push(...batch);
  }
  return messages;
}

async function counts(platform: TestPlatform, url: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const response = await platform.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(response.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(response.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

describe('bosun move, end to end on the emulators', () => {
  let platform: TestPlatform;
  let legacyUrl: string;

  beforeAll(async () => {
    platform = await createTestPlatform('move-e2e');
    legacyUrl = (await platform.clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('legacy') }))).QueueUrl!;
  });

  afterAll(async () => {
    await platform.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: legacyUrl })).catch(() => undefined);
    await platform.destroy();
  });

  it('moves 10,000 messages with filters and ETAs, killed part-way and run again, with every message accounted for', async () => {
    // GIVEN a legacy queue of 10,000 messages: Bosun envelopes of two tasks and plain JSON bodies, two tenants, and
    // ETAs near (within one SQS delay) and far (beyond it)
    const nowMs = Date.now();
    const plans = Array.from({ length: MESSAGES }, (_, index) => plan(index, nowMs));
    const sourceIds = new Map<string, Planned>();
    for (let start = 0; start < plans.length; start += 10) {
      const chunk = plans.slice(start, start + 10);
      const sent = await platform.clients.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: legacyUrl, Entries: chunk.map(({ entry }, index) => ({ ...entry, Id: String(index) })) }),
      );
      for (const success of sent.Successful ?? []) sourceIds.set(success.MessageId!, chunk[Number(success.Id)]!.planned);
    }
    expect(sourceIds.size).toBe(MESSAGES);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const move = ['move', legacyUrl, '--to', 'bulk', '--task', 'orders.*', '--attribute', 'tenant=acme', '--wrap-as', WRAP_AS, '--eta-field', 'eta', '--concurrency', String(CONCURRENCY)];

    // WHEN the first run is killed after 150 send calls: from then on none of its SQS calls gets through, so it
    // neither deletes what it sent last nor puts back what it held
    let sendCalls = 0;
    const killedPartWay = (target: Parameters<typeof createCliClients>[0]): ReturnType<typeof createCliClients> => {
      const clients = createCliClients(target);
      clients.sqs.middlewareStack.add(
        (next, context) => async (args) => {
          if (sendCalls >= SENDS_BEFORE_CRASH) throw Object.assign(new Error('the process was killed'), { name: 'Killed' });
          if (context.commandName === 'SendMessageBatchCommand') sendCalls += 1;
          return next(args);
        },
        { step: 'initialize', name: 'killPartWay' },
      );
      return clients;
    };
    const first = await bosun([...move, '--hold-seconds', String(CRASHED_HOLD_SECONDS), '--data-dir', platform.dataDir], { createClients: killedPartWay });
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('the process was killed');
    const afterCrash = await counts(platform, platform.queues.bulk.url);
    const movedBeforeCrash = afterCrash.visible + afterCrash.delayed;
    expect(movedBeforeCrash).toBeGreaterThan(0);

    // AND a second run once the first one's hold ran out
    await new Promise((resolve) => setTimeout(resolve, CRASHED_HOLD_SECONDS * 1000 + 500));
    const second = await bosun([...move, '--hold-seconds', '300', '--data-dir', platform.dataDir, '--json']);

    // THEN the second run ends cleanly
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as MoveResult;
    expect(report).toMatchObject({ failed: 0, unknownOutcomes: [], deleteFailures: [], leftForNextRun: 0, notSeen: 0 });

    // AND the source holds exactly the messages the filters left, visible again
    const expected = [...sourceIds.values()].filter(selected);
    const filteredOut = MESSAGES - expected.length;
    expect(report.filteredOut).toBe(filteredOut);
    const remaining = await drain(platform, legacyUrl);
    expect(remaining).toHaveLength(filteredOut);
    expect(remaining.every((message) => !selected(sourceIds.get(message.MessageId!)!))).toBe(true);

    // AND every selected message reached the destination at least once, each as the task it stands for; a copy twice
    // only where the kill left a message sent but not deleted (at most one batch per loop)
    const taskIdOf = (messageId: string, planned: Planned): string => planned.envelopeId ?? dedupTaskId(WRAP_AS, `move:${messageId}`);
    const expectedIds = new Map<string, Planned>([...sourceIds].filter(([, planned]) => selected(planned)).map(([messageId, planned]) => [taskIdOf(messageId, planned), planned]));
    const far = [...expectedIds.values()].filter((planned) => planned.eta === 'far').length;
    const landed = await counts(platform, platform.queues.bulk.url);
    const maxDuplicates = CONCURRENCY * 10;
    expect(landed.delayed + landed.visible).toBeGreaterThanOrEqual(expected.length);
    expect(landed.delayed + landed.visible).toBeLessThanOrEqual(expected.length + maxDuplicates);
    expect(report.moved + report.alreadyMoved + movedBeforeCrash).toBeGreaterThanOrEqual(expected.length);
    expect(report.scheduled).toBeLessThanOrEqual(far);

    // ETAs: the near ones arrive after their delay, the far ones wait on the scheduled path (the longest delay; the
    // wrapped ones with the `scheduled` record a publish gives them)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nowMs + NEAR_ETA_MS + 1_000 - Date.now())));
    const arrived = await drain(platform, platform.queues.bulk.url);
    const arrivedIds = new Set(arrived.map((message) => parseEnvelope(message.Body!).id));
    const notFar = [...expectedIds].filter(([, planned]) => planned.eta !== 'far').map(([id]) => id);
    expect([...arrivedIds].sort()).toEqual(notFar.sort());
    expect(arrived.length - arrivedIds.size).toBeLessThanOrEqual(maxDuplicates);
    for (const message of arrived) {
      const envelope = parseEnvelope(message.Body!);
      expect(envelope.task).toBe(expectedIds.get(envelope.id)!.taskName);
    }
    const stillDelayed = (await counts(platform, platform.queues.bulk.url)).delayed;
    expect(stillDelayed).toBeGreaterThanOrEqual(far);
    expect(stillDelayed).toBeLessThanOrEqual(far + maxDuplicates);
    const farWrapped = [...expectedIds].filter(([, planned]) => planned.eta === 'far' && planned.kind === 'plain').slice(0, 50);
    for (const [id] of farWrapped) expect(await getTaskState(platform, id)).toMatchObject({ status: 'scheduled', taskName: WRAP_AS });
  }, 240_000);
});
