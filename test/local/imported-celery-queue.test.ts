import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalTemplateError } from '../../local/errors';
import { type CfnTemplate, IntrinsicResolver, LOCAL_ACCOUNT_ID } from '../../local/intrinsics';
import { createImportedCeleryQueue } from '../../local/local-resources';
import type { PlatformTemplate } from '../../local/platform-template';

const region = 'us-east-1';
const pseudo = { region, accountId: LOCAL_ACCOUNT_ID, stackName: 'Bosun-local' };
// What CDK writes for `Queue.fromQueueArn(stack, 'CeleryQueue', stack.formatArn(...))`: URL and ARN built by Fn::Join.
const celeryUrl = { 'Fn::Join': ['', ['https://sqs.us-east-1.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: 'AWS::AccountId' }, '/celery']] };
const celeryArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:us-east-1:', { Ref: 'AWS::AccountId' }, ':celery']] };
const localUrl = 'http://sqs.us-east-1.localhost:4566/000000000000/celery';
const template: CfnTemplate = { Resources: {} };

function platformWith(outputs: Record<string, unknown>): PlatformTemplate {
  return { queues: [], buckets: [], tables: [], functions: [], eventSourceMappings: [], schedules: [], outputs };
}

const sqs = new SQSClient({ region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const sqsMock = mockClient(sqs);

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(CreateQueueCommand).resolves({ QueueUrl: localUrl });
  sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:000000000000:celery' } });
});

describe('createImportedCeleryQueue', () => {
  it('creates the queue the CeleryQueueUrl output names, and its AWS URL resolves to the local one from then on', async () => {
    const resolver = new IntrinsicResolver(template, pseudo);
    const platform = platformWith({ CeleryQueueUrl: celeryUrl });

    const queue = await createImportedCeleryQueue(platform, { sqs, resolver, region, accountId: LOCAL_ACCOUNT_ID });

    expect(queue).toEqual({ queueName: 'celery', url: localUrl, arn: 'arn:aws:sqs:us-east-1:000000000000:celery' });
    expect(sqsMock.commandCalls(CreateQueueCommand).map((call) => call.args[0].input.QueueName)).toEqual(['celery']);
    expect(resolver.resolve({ BOSUN_CELERY_QUEUE_URL: celeryUrl, QUEUES: { 'Fn::Join': [',', [celeryUrl, 'x']] } }, 'env')).toEqual({
      BOSUN_CELERY_QUEUE_URL: localUrl,
      // A value built from the URL (here a list of URLs) holds the local one too.
      QUEUES: `${localUrl},x`,
    });
    // The grant's resource stays the ARN the IAM gateway derives from the local URL.
    expect(resolver.resolve(celeryArn, 'policy')).toBe(queue?.arn);
  });

  it('creates nothing when the platform names no Celery queue', async () => {
    const queue = await createImportedCeleryQueue(platformWith({}), { sqs, resolver: new IntrinsicResolver(template, pseudo), region, accountId: LOCAL_ACCOUNT_ID });

    expect(queue).toBeUndefined();
    expect(sqsMock.commandCalls(CreateQueueCommand)).toHaveLength(0);
  });

  it('names the output and what it resolved to when it is not an SQS queue URL', async () => {
    const platform = platformWith({ CeleryQueueUrl: 'celery' });

    await expect(createImportedCeleryQueue(platform, { sqs, resolver: new IntrinsicResolver(template, pseudo), region, accountId: LOCAL_ACCOUNT_ID })).rejects.toThrow(
      new LocalTemplateError(
        'Outputs.CeleryQueueUrl.Value',
        'must resolve to an SQS queue URL https://sqs.<region>.amazonaws.com/<account>/<name> (resolved to "celery")',
      ),
    );
  });
});
