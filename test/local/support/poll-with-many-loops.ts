import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { LOCAL_CREDENTIALS } from '../../../local/emulators';
import { EventSourcePoller } from '../../../local/event-source-poller';

// Runs an event-source poller with <loops> poll loops against the SQS endpoint in argv, in a process of its own so
// that Node's process warnings can be observed (jest's `process` never sees them). Prints one JSON line:
// { warnings: ["<name>: <message>", ...], processed, stopMs }.
async function main(): Promise<void> {
  const [endpoint, region, loops] = process.argv.slice(2) as [string, string, string];
  const warnings: string[] = [];
  process.on('warning', (warning) => {
    if (!warning.message.includes('NodeVersionSupportWarning')) warnings.push(`${warning.name}: ${warning.message}`);
  });
  const sqs = new SQSClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bosun-it-loops-${randomBytes(4).toString('hex')}` }));
  const queueUrl = QueueUrl!;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  let processed = 0;
  const poller = new EventSourcePoller({
    sqs,
    queueUrl,
    queueArn: Attributes!.QueueArn!,
    region,
    batchSize: 1,
    maxConcurrency: Number(loops),
    waitTimeSeconds: 20,
    invoke: async (event) => {
      processed += event.Records.length;
      return null;
    },
  });
  poller.start();
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}' }));
  while (processed === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const stopping = Date.now();
  await poller.stop();
  const stopMs = Date.now() - stopping;
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  sqs.destroy();
  // Warnings are emitted on a later tick than the call that caused them.
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.stdout.write(`${JSON.stringify({ warnings, processed, stopMs })}\n`);
}

void main();
