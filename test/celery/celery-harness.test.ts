import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { emulatorClients, emulatorEndpoints, uniqueName } from '../support/emulator-env';
import { type CeleryPlatform, type CeleryWorker, runCeleryProducer, startCeleryWorker } from '../support/celery/celery-harness';
import { requirePythonModules } from '../support/python';

// A real Celery 5.2 worker and producer (Debian's /usr/bin/python3, kombu's SQS transport, botocore 1.29 and pycurl,
// all in SQS's query protocol) on the local SQS: fauxqs behind local/fauxqs-server.mjs, the process every local
// platform runs. One worker for the suite, on a queue of its own.
const endpoints = emulatorEndpoints();
const platform: CeleryPlatform = { region: endpoints.region, endpoints: { sqs: endpoints.sqsEndpoint } };
const { sqs } = emulatorClients();
const queueName = uniqueName('celery');
/** A message a real Celery 5.6 producer sent for `add.delay(2, 3)` (task `app.add`), byte for byte. */
const capturedDelay = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'celery-delay-message.json'), 'utf8')) as {
  task: string;
  id: string;
  MessageBody: string;
};

let queueUrl: string;
let worker: CeleryWorker;

jest.setTimeout(60_000);

beforeAll(async () => {
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: { VisibilityTimeout: '30' } }))).QueueUrl!;
  worker = await startCeleryWorker({
    platform,
    queueName,
    tasks: { 'tasks.add': 'add', 'tasks.greet': 'greet', 'tasks.flaky': 'flaky', [capturedDelay.task]: 'add' },
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  if (queueUrl !== undefined) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  sqs.destroy();
});

/**
 * The captured message, its `properties.delivery_info.routing_key` (the capture's queue) replaced by this suite's queue
 * and nothing else changed. kombu 5.2 acknowledges a message through the predefined queue its routing key names: a
 * worker given a message whose routing key is not one of its predefined queues raises UndefinedQueueException at the
 * ack, cannot restore the message and exits.
 */
function addressedTo(messageBody: string, queue: string): string {
  const envelope = Buffer.from(messageBody, 'base64').toString('utf8');
  const readdressed = envelope.replace(/"routing_key": "[^"]*"/, `"routing_key": "${queue}"`);
  if (readdressed === envelope) throw new Error('the captured message has no routing_key');
  return Buffer.from(readdressed, 'utf8').toString('base64');
}

const runsOf = (id: string) => (run: { id: string }) => run.id === id;

describe('a real Celery worker and producer on the local SQS', () => {
  it("runs a Celery producer's add.delay(2, 3) once, with its id and arguments", async () => {
    const [id] = await runCeleryProducer({ platform, queueName, sends: [{ task: 'tasks.add', args: [2, 3], delay: true }] });

    const [run] = await worker.waitForRuns(1, { where: runsOf(id!) });

    expect(run).toMatchObject({ task: 'tasks.add', id, args: [2, 3], kwargs: {}, retries: 0, eta: null });
  });

  it('runs a message in the exact shape a Celery producer sends, sent with the AWS SDK v3 in the JSON protocol', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: addressedTo(capturedDelay.MessageBody, queueName) }));

    const [run] = await worker.waitForRuns(1, { where: runsOf(capturedDelay.id) });

    expect(run).toMatchObject({ task: 'app.add', id: capturedDelay.id, args: [2, 3], kwargs: {}, retries: 0, eta: null });
  });

  it('holds apply_async with a countdown or an ETA until its time, and passes keyword arguments', async () => {
    const sentAt = Date.now();
    const eta = new Date(sentAt + 3_000);
    const [countdownId, etaId] = await runCeleryProducer({
      platform,
      queueName,
      sends: [
        { task: 'tasks.greet', kwargs: { name: 'Ada' }, countdown: 2 },
        { task: 'tasks.greet', args: ['Grace'], eta },
      ],
    });

    const [byCountdown] = await worker.waitForRuns(1, { where: runsOf(countdownId!) });
    const [byEta] = await worker.waitForRuns(1, { where: runsOf(etaId!) });

    expect(byCountdown).toMatchObject({ task: 'tasks.greet', args: [], kwargs: { name: 'Ada' } });
    expect(Date.parse(byCountdown!.at)).toBeGreaterThanOrEqual(sentAt + 2_000);
    expect(Date.parse(byCountdown!.eta!)).toBeGreaterThanOrEqual(sentAt + 2_000);
    expect(byEta).toMatchObject({ task: 'tasks.greet', args: ['Grace'], kwargs: {} });
    expect(Date.parse(byEta!.eta!)).toBe(eta.getTime());
    expect(Date.parse(byEta!.at)).toBeGreaterThanOrEqual(eta.getTime());
  });

  it("records a task's retries under its id, with headers.retries counting up", async () => {
    const [id] = await runCeleryProducer({ platform, queueName, sends: [{ task: 'tasks.flaky', kwargs: { times: 2 }, delay: true }] });

    const runs = await worker.waitForRuns(2, { where: runsOf(id!) });

    expect(runs.map((run) => run.retries)).toEqual([0, 1]);
  });
});

describe('the Celery harness, misused', () => {
  it('refuses to start a worker on a queue that does not exist, naming it', async () => {
    const absent = uniqueName('celery-absent');

    await expect(startCeleryWorker({ platform, queueName: absent })).rejects.toThrow(
      `queue ${absent} does not exist on ${endpoints.sqsEndpoint}; create it before starting a Celery worker on it`,
    );
  });

  it('fails saying which modules are missing from Debian\'s Python and what to install, instead of skipping', () => {
    expect(() => requirePythonModules(['celery', 'bosun_no_such_module'])).toThrow(
      '/usr/bin/python3 cannot import bosun_no_such_module (needed: celery, bosun_no_such_module); install them with ' +
        '`apt-get install -y --no-install-recommends python3-bosun_no_such_module` (as .ci/run does)',
    );
  });
});
