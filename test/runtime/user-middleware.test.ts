import type middyDefault from '@middy/core' with { 'resolution-mode': 'import' };
import type { SQSBatchResponse } from 'aws-lambda';
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { z } from 'zod';
import { serializeEnvelope } from '../../lib/contract';
import { createTaskHandler, defineTask } from '../../lib/runtime';
import { createResources, deleteResources, deliver, harnessClients, receive, sendBody, type RuntimeResources } from './support/emulator-harness';
import { envelope, quietTelemetry } from './support/factories';

// A CommonJS service loads middy 6 (ES modules only) the way Node >= 20.19 allows: with require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const middy = (require('@middy/core') as { default: typeof middyDefault }).default;

const { sdk, raw } = harnessClients();
let res: RuntimeResources;

beforeEach(async () => {
  res = await createResources(raw, 'middleware');
});

afterEach(async () => {
  await deleteResources(raw, res);
});

afterAll(() => {
  for (const client of [raw.sqs, raw.s3, raw.dynamodb, sdk.sqs, sdk.s3, sdk.dynamodb, sdk.appConfigData]) client.destroy();
});

describe('createTaskHandler wrapped in middy by its user', () => {
  it("runs the user's middlewares around the whole batch, and they see the partial batch response", async () => {
    // GIVEN a task that needs a key a user middleware loads before the batch, wrapped in middy without its early timeout
    let apiKey: string | undefined;
    const seen: { recordsBefore?: number; keyAtStart?: string | undefined; response?: SQSBatchResponse } = {};
    const notify = defineTask({
      name: 'test.notify',
      schema: z.object({ to: z.string() }),
      maxAttempts: 3,
      handler: (payload) => {
        if (apiKey === undefined) throw new Error('no api key');
        if (payload.to === 'nobody') throw new Error('no such recipient');
        return `sent to ${payload.to} with ${apiKey}`;
      },
    });
    const handler = middy(
      createTaskHandler({
        tasks: [notify],
        clients: sdk,
        queueUrl: res.queueUrl,
        dlqUrl: res.dlqUrl,
        tableName: res.tableName,
        maxReceiveCount: res.maxReceiveCount,
        ...quietTelemetry(),
      }),
      { timeoutEarlyInMillis: 0 },
    ).use({
      before: (request) => {
        seen.recordsBefore = request.event.Records.length;
        seen.keyAtStart = apiKey;
        apiKey = 'key-from-secrets-manager';
      },
      after: (request) => {
        seen.response = request.response as SQSBatchResponse;
      },
    });
    const good = envelope('test.notify', { to: 'ops@example.com' });
    const bad = envelope('test.notify', { to: 'nobody' });
    await sendBody(sdk, res.queueUrl, serializeEnvelope(good));
    await sendBody(sdk, res.queueUrl, serializeEnvelope(bad));
    const messages = [...(await receive(sdk, res.queueUrl, 1))];
    if (messages.length < 2) messages.push(...(await receive(sdk, res.queueUrl, 1)));
    expect(messages).toHaveLength(2);

    // WHEN the event source mapping delivers both in one batch
    const response = await deliver(sdk, res.queueUrl, messages, handler);

    // THEN the middleware ran before the batch (the task found its key), and after it with the runtime's response
    expect(seen.recordsBefore).toBe(2);
    expect(seen.keyAtStart).toBeUndefined();
    const badMessageId = messages.find((message) => message.Body === serializeEnvelope(bad))?.MessageId;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: badMessageId }] });
    expect(seen.response).toEqual(response);
  });
});

describe('the consumer bundle', () => {
  it('carries no middleware engine: a Lambda entry bundles without @middy', async () => {
    // GIVEN the example consumer entry WHEN esbuild bundles it as the platform does (CommonJS, AWS SDK included)
    const result = await esbuild.build({
      entryPoints: [path.resolve(__dirname, '../../lambdas/default-consumer.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });

    // THEN no file of any @middy package is in it
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.includes('node_modules/@aws-sdk/client-sqs/'))).toBe(true);
    expect(inputs.filter((input) => input.includes('@middy/'))).toEqual([]);
  }, 60_000);
});
