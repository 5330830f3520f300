import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalTemplateError } from './errors';
import type { CfnResource, CfnTemplate, IntrinsicResolver } from './intrinsics';

/** One SQS queue of the template. */
export interface QueueDefinition {
  readonly logicalId: string;
  readonly queueName: string;
  /** SQS attributes to create it with (strings, as CreateQueue takes them), without the redrive policy. */
  readonly attributes: Readonly<Record<string, string>>;
  /** The redrive policy, by logical id of the DLQ. */
  readonly redrive?: { readonly deadLetterQueueLogicalId: string; readonly maxReceiveCount: number };
}

/** One S3 bucket of the template. */
export interface BucketDefinition {
  readonly logicalId: string;
  readonly bucketName: string;
}

/** One DynamoDB table of the template (`AWS::DynamoDB::Table` or `AWS::DynamoDB::GlobalTable`). */
export interface TableDefinition {
  readonly logicalId: string;
  readonly tableName: string;
  readonly keySchema: ReadonlyArray<{ readonly AttributeName: string; readonly KeyType: string }>;
  readonly attributeDefinitions: ReadonlyArray<{ readonly AttributeName: string; readonly AttributeType: string }>;
  readonly globalSecondaryIndexes: ReadonlyArray<{
    readonly IndexName: string;
    readonly KeySchema: ReadonlyArray<{ readonly AttributeName: string; readonly KeyType: string }>;
    readonly Projection: { readonly ProjectionType?: string; readonly NonKeyAttributes?: readonly string[] };
  }>;
  readonly ttlAttribute?: string;
}

/** One Lambda function of the template. */
export interface FunctionDefinition {
  readonly logicalId: string;
  readonly functionName: string;
  /** Absolute path of the handler module inside the bundled asset directory. */
  readonly modulePath: string;
  /** Exported handler name, from `Handler` (`index.handler` → `handler`). */
  readonly exportName: string;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  /** Environment variables, still holding intrinsics (resolved once the local resources exist). */
  readonly environment: Readonly<Record<string, unknown>>;
}

/** One SQS event source mapping of the template. */
export interface EventSourceMappingDefinition {
  readonly logicalId: string;
  readonly functionLogicalId: string;
  readonly queueLogicalId: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  /** `ScalingConfig.MaximumConcurrency`, when set. */
  readonly maxConcurrency?: number;
  readonly reportBatchItemFailures: boolean;
  readonly enabled: boolean;
}

/** One EventBridge Scheduler schedule of the template that sends to a queue of the template. */
export interface ScheduleDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly groupName: string;
  /** `cron(...)`, `rate(...)` or `at(...)`. */
  readonly expression: string;
  /** IANA time zone of the expression. */
  readonly timeZone: string;
  readonly enabled: boolean;
  /** Flexible window in minutes, when the schedule has one. */
  readonly flexibleWindowMinutes?: number;
  /** Logical id of the queue the schedule sends to. */
  readonly queueLogicalId: string;
  /** The message body it sends, with Scheduler's context keywords still in it. */
  readonly input: string;
  /** Logical id of the queue undeliverable firings go to, when it has one. */
  readonly deadLetterQueueLogicalId?: string;
  readonly description?: string;
}

/** Everything the local platform runs, read from one synthesized stack template. */
export interface PlatformTemplate {
  readonly queues: readonly QueueDefinition[];
  readonly buckets: readonly BucketDefinition[];
  readonly tables: readonly TableDefinition[];
  /** Functions an SQS event source mapping drives (other functions, such as CDK's custom-resource handlers, are not run). */
  readonly functions: readonly FunctionDefinition[];
  readonly eventSourceMappings: readonly EventSourceMappingDefinition[];
  /** Schedules that target a queue of the template (periodic tasks). */
  readonly schedules: readonly ScheduleDefinition[];
  /** Content of the AppConfig hosted configuration version (the initial routing document), still holding intrinsics. */
  readonly routingDocumentContent?: unknown;
  /** Stack outputs, still holding intrinsics. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** Lambda's defaults for properties a template may leave out. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;
const LAMBDA_DEFAULT_MEMORY_MB = 128;
const ESM_DEFAULT_BATCH_SIZE = 10;

/** Template queue properties that map one-to-one to SQS queue attributes. */
const QUEUE_ATTRIBUTE_PROPERTIES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'FifoQueue',
  'ContentBasedDeduplication',
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function props(resource: CfnResource): Readonly<Record<string, unknown>> {
  return resource.Properties ?? {};
}

/** The logical id a `Ref` or `Fn::GetAtt` value points at, or `undefined` if it is not a reference. */
export function referencedLogicalId(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const ref = value['Ref'];
  if (typeof ref === 'string') return ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

function numberProperty(value: unknown, where: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new LocalTemplateError(where, `must be a number (given ${JSON.stringify(value)})`);
  }
  return number;
}

function physicalName(
  resolver: IntrinsicResolver,
  stackName: string,
  logicalId: string,
  value: unknown,
  where: string,
  maxLength: number,
): string {
  if (value !== undefined) return resolver.resolveString(value, where);
  // CloudFormation would generate `<stack>-<logicalId>-<random>`; locally a stable name is more useful.
  return `${stackName}-${logicalId}`.slice(0, maxLength);
}

function readQueue(
  id: string,
  resource: CfnResource,
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  stackName: string,
): QueueDefinition {
  const where = `Resources.${id}.Properties`;
  const p = props(resource);
  const attributes: Record<string, string> = {};
  for (const name of QUEUE_ATTRIBUTE_PROPERTIES) {
    if (p[name] !== undefined) attributes[name] = resolver.resolveString(p[name], `${where}.${name}`);
  }
  const fifo = attributes['FifoQueue'] === 'true';
  const queueName = physicalName(resolver, stackName, id, p['QueueName'], `${where}.QueueName`, fifo ? 75 : 80);
  const policy = p['RedrivePolicy'];
  if (policy === undefined) return { logicalId: id, queueName: fifo ? `${queueName}.fifo` : queueName, attributes };
  const parsed = typeof policy === 'string' ? (JSON.parse(policy) as unknown) : policy;
  if (!isRecord(parsed)) throw new LocalTemplateError(`${where}.RedrivePolicy`, 'must be an object');
  const dlq = referencedLogicalId(parsed['deadLetterTargetArn']);
  if (dlq === undefined || template.Resources[dlq]?.Type !== 'AWS::SQS::Queue') {
    throw new LocalTemplateError(
      `${where}.RedrivePolicy.deadLetterTargetArn`,
      'must reference a queue of the same template with Fn::GetAtt (a DLQ outside the stack cannot be created locally)',
    );
  }
  return {
    logicalId: id,
    queueName,
    attributes,
    redrive: {
      deadLetterQueueLogicalId: dlq,
      maxReceiveCount: numberProperty(parsed['maxReceiveCount'], `${where}.RedrivePolicy.maxReceiveCount`, 10),
    },
  };
}

function readTable(id: string, resource: CfnResource, resolver: IntrinsicResolver, stackName: string): TableDefinition {
  const where = `Resources.${id}.Properties`;
  const p = resolver.resolve(props(resource), where) as Record<string, unknown>;
  const ttl = p['TimeToLiveSpecification'];
  const keySchema = p['KeySchema'];
  if (!Array.isArray(keySchema) || keySchema.length === 0) {
    throw new LocalTemplateError(`${where}.KeySchema`, 'is required to create the table locally');
  }
  const indexes = Array.isArray(p['GlobalSecondaryIndexes']) ? p['GlobalSecondaryIndexes'] : [];
  return {
    logicalId: id,
    tableName: physicalName(resolver, stackName, id, props(resource)['TableName'], `${where}.TableName`, 255),
    keySchema: keySchema as TableDefinition['keySchema'],
    attributeDefinitions: (p['AttributeDefinitions'] ?? []) as TableDefinition['attributeDefinitions'],
    globalSecondaryIndexes: indexes.map((index: Record<string, unknown>) => ({
      IndexName: index['IndexName'] as string,
      KeySchema: index['KeySchema'] as TableDefinition['keySchema'],
      Projection: (index['Projection'] ?? { ProjectionType: 'ALL' }) as TableDefinition['globalSecondaryIndexes'][number]['Projection'],
    })),
    ...(isRecord(ttl) && ttl['Enabled'] !== false && typeof ttl['AttributeName'] === 'string'
      ? { ttlAttribute: ttl['AttributeName'] }
      : {}),
  };
}

function readFunction(
  id: string,
  resource: CfnResource,
  resolver: IntrinsicResolver,
  stackName: string,
  assemblyDir: string,
): FunctionDefinition {
  const where = `Resources.${id}`;
  const p = props(resource);
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') {
    throw new LocalTemplateError(
      `${where}.Metadata`,
      'has no "aws:asset:path": synthesize with asset metadata enabled (context aws:cdk:enable-asset-metadata) so the local platform can find the bundle',
    );
  }
  const handler = resolver.resolveString(p['Handler'] ?? 'index.handler', `${where}.Properties.Handler`);
  const dot = handler.lastIndexOf('.');
  const moduleBase = path.resolve(assemblyDir, assetPath, handler.slice(0, dot));
  const modulePath = ['.js', '.cjs', '.mjs'].map((ext) => `${moduleBase}${ext}`).find((file) => fs.existsSync(file));
  if (modulePath === undefined) {
    throw new LocalTemplateError(
      `${where}.Properties.Handler`,
      `handler "${handler}" has no module ${path.relative(assemblyDir, moduleBase)}.js/.cjs/.mjs in the asset directory`,
    );
  }
  const environment = p['Environment'];
  const variables = isRecord(environment) && isRecord(environment['Variables']) ? environment['Variables'] : {};
  return {
    logicalId: id,
    functionName: physicalName(resolver, stackName, id, p['FunctionName'], `${where}.Properties.FunctionName`, 64),
    modulePath,
    exportName: handler.slice(dot + 1),
    timeoutSeconds: numberProperty(p['Timeout'], `${where}.Properties.Timeout`, LAMBDA_DEFAULT_TIMEOUT_SECONDS),
    memorySizeMb: numberProperty(p['MemorySize'], `${where}.Properties.MemorySize`, LAMBDA_DEFAULT_MEMORY_MB),
    environment: variables,
  };
}

function readMapping(id: string, resource: CfnResource, template: CfnTemplate): EventSourceMappingDefinition | undefined {
  const where = `Resources.${id}.Properties`;
  const p = props(resource);
  const queueId = referencedLogicalId(p['EventSourceArn']);
  if (queueId === undefined || template.Resources[queueId]?.Type !== 'AWS::SQS::Queue') return undefined;
  const functionId = referencedLogicalId(p['FunctionName']);
  if (functionId === undefined || template.Resources[functionId]?.Type !== 'AWS::Lambda::Function') {
    throw new LocalTemplateError(`${where}.FunctionName`, 'must reference a function of the same template');
  }
  const scaling = p['ScalingConfig'];
  const maxConcurrency = isRecord(scaling) ? scaling['MaximumConcurrency'] : undefined;
  const responseTypes = p['FunctionResponseTypes'];
  return {
    logicalId: id,
    functionLogicalId: functionId,
    queueLogicalId: queueId,
    batchSize: numberProperty(p['BatchSize'], `${where}.BatchSize`, ESM_DEFAULT_BATCH_SIZE),
    maximumBatchingWindowSeconds: numberProperty(
      p['MaximumBatchingWindowInSeconds'],
      `${where}.MaximumBatchingWindowInSeconds`,
      0,
    ),
    ...(maxConcurrency === undefined
      ? {}
      : { maxConcurrency: numberProperty(maxConcurrency, `${where}.ScalingConfig.MaximumConcurrency`, 0) }),
    reportBatchItemFailures: Array.isArray(responseTypes) && responseTypes.includes('ReportBatchItemFailures'),
    enabled: p['Enabled'] !== false && p['Enabled'] !== 'false',
  };
}

function readSchedule(id: string, resource: CfnResource, template: CfnTemplate, resolver: IntrinsicResolver): ScheduleDefinition {
  const where = `Resources.${id}.Properties`;
  const p = props(resource);
  const target = p['Target'];
  if (!isRecord(target)) throw new LocalTemplateError(`${where}.Target`, 'is required');
  const queueId = referencedLogicalId(target['Arn']);
  if (queueId === undefined || template.Resources[queueId]?.Type !== 'AWS::SQS::Queue') {
    throw new LocalTemplateError(`${where}.Target.Arn`, 'must reference a queue of the same template (the local platform fires only schedules that send to its queues)');
  }
  const groupRef = referencedLogicalId(p['GroupName']);
  const group = groupRef === undefined ? undefined : template.Resources[groupRef];
  const groupName =
    group?.Type === 'AWS::Scheduler::ScheduleGroup'
      ? resolver.resolveString(props(group)['Name'], `Resources.${groupRef}.Properties.Name`)
      : p['GroupName'] === undefined
        ? 'default'
        : resolver.resolveString(p['GroupName'], `${where}.GroupName`);
  const window = p['FlexibleTimeWindow'];
  const dlq = isRecord(target['DeadLetterConfig']) ? referencedLogicalId(target['DeadLetterConfig']['Arn']) : undefined;
  const input = target['Input'];
  return {
    logicalId: id,
    name: p['Name'] === undefined ? id : resolver.resolveString(p['Name'], `${where}.Name`),
    groupName,
    expression: resolver.resolveString(p['ScheduleExpression'], `${where}.ScheduleExpression`),
    timeZone: p['ScheduleExpressionTimezone'] === undefined ? 'UTC' : resolver.resolveString(p['ScheduleExpressionTimezone'], `${where}.ScheduleExpressionTimezone`),
    enabled: p['State'] !== 'DISABLED',
    ...(isRecord(window) && window['Mode'] === 'FLEXIBLE'
      ? { flexibleWindowMinutes: numberProperty(window['MaximumWindowInMinutes'], `${where}.FlexibleTimeWindow.MaximumWindowInMinutes`, 0) }
      : {}),
    queueLogicalId: queueId,
    input: input === undefined ? '' : resolver.resolveString(input, `${where}.Target.Input`),
    ...(dlq === undefined ? {} : { deadLetterQueueLogicalId: dlq }),
    ...(typeof p['Description'] === 'string' ? { description: p['Description'] } : {}),
  };
}

/**
 * Reads what the local platform runs from a synthesized stack template: queues with their attributes and redrive
 * policies, buckets, tables with their indexes and TTL, the functions SQS event source mappings drive (with their
 * bundled asset, handler, timeout, memory and environment), the mappings' settings, the schedules that send to its queues, the AppConfig hosted
 * configuration content (the initial routing document) and the outputs. Nothing is hand-kept: change the stack and
 * the local platform follows.
 *
 * @example
 * const platform = readPlatformTemplate(template, { assemblyDir: 'cdk.out', resolver, stackName: 'Bosun-local' });
 */
export function readPlatformTemplate(
  template: CfnTemplate,
  options: { readonly assemblyDir: string; readonly resolver: IntrinsicResolver; readonly stackName: string },
): PlatformTemplate {
  const { resolver, stackName, assemblyDir } = options;
  const queues: QueueDefinition[] = [];
  const buckets: BucketDefinition[] = [];
  const tables: TableDefinition[] = [];
  const mappings: EventSourceMappingDefinition[] = [];
  const schedules: ScheduleDefinition[] = [];
  let routingDocumentContent: unknown;
  const entries = Object.entries(template.Resources);
  for (const [id, resource] of entries) {
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        queues.push(readQueue(id, resource, template, resolver, stackName));
        break;
      case 'AWS::S3::Bucket':
        buckets.push({
          logicalId: id,
          bucketName: physicalName(
            resolver,
            stackName,
            id,
            props(resource)['BucketName'],
            `Resources.${id}.Properties.BucketName`,
            63,
          ).toLowerCase(),
        });
        break;
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        tables.push(readTable(id, resource, resolver, stackName));
        break;
      case 'AWS::Lambda::EventSourceMapping': {
        const mapping = readMapping(id, resource, template);
        if (mapping !== undefined) mappings.push(mapping);
        break;
      }
      case 'AWS::Scheduler::Schedule':
        schedules.push(readSchedule(id, resource, template, resolver));
        break;
      case 'AWS::AppConfig::HostedConfigurationVersion':
        routingDocumentContent = props(resource)['Content'];
        break;
      default:
        break;
    }
  }
  const driven = new Set(mappings.map((mapping) => mapping.functionLogicalId));
  const functions = entries
    .filter(([id, resource]) => resource.Type === 'AWS::Lambda::Function' && driven.has(id))
    .map(([id, resource]) => readFunction(id, resource, resolver, stackName, assemblyDir));
  const outputs: Record<string, unknown> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) outputs[key] = output.Value;
  return {
    queues,
    buckets,
    tables,
    functions,
    eventSourceMappings: mappings,
    schedules,
    ...(routingDocumentContent === undefined ? {} : { routingDocumentContent }),
    outputs,
  };
}
