import { queryToJson } from '../sqs-query-protocol';
import type { ConditionContext } from './policy-evaluator';

/** The AWS service an HTTP request to the local platform is for. */
export type GatewayService = 'sqs' | 's3' | 'dynamodb';

/** One permission a request needs: IAM checks each one, and the request goes ahead only if every one is allowed. */
export interface RequiredPermission {
  /** For example `sqs:SendMessage`. */
  readonly action: string;
  /** The resource ARN, or `*` when the action names no resource (`ListQueues`, `ListTables`). */
  readonly resource: string;
  /** Condition keys of the request (lower-case keys). */
  readonly context?: ConditionContext;
}

/** What a request asks for. */
export interface RequestPermissions {
  readonly service: GatewayService;
  /** The API operation, for example `SendMessageBatch` or `GetObject`. */
  readonly operation: string;
  readonly permissions: readonly RequiredPermission[];
  /** For S3 `GetObject`/`HeadObject`: the object, so a 404 from the emulator can become AWS's 403. */
  readonly s3Object?: { readonly bucket: string; readonly key: string };
}

/** Where the local resources live, to build ARNs. */
export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

/** The service of a request: SQS and DynamoDB by their JSON protocol's `X-Amz-Target`, S3 otherwise. */
export function serviceOfRequest(target: string | undefined): GatewayService {
  if (target?.startsWith('AmazonSQS.') === true) return 'sqs';
  if (target?.startsWith('DynamoDB_') === true) return 'dynamodb';
  return 's3';
}

/** SQS operations authorized as another action (batch calls need the single action's permission). */
const SQS_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** `arn:aws:sqs:<region>:<account>:<name>` of a queue URL (`http://host/<account>/<name>`). */
export function queueArnOfUrl(queueUrl: string, scope: ArnScope): string {
  let pathname = queueUrl;
  try {
    pathname = new URL(queueUrl).pathname;
  } catch {
    // Not a URL: read it as a path.
  }
  const segments = pathname.split('/').filter((segment) => segment !== '');
  const name = segments[segments.length - 1] ?? '';
  const account = segments.length >= 2 ? segments[segments.length - 2]! : scope.accountId;
  return `arn:aws:sqs:${scope.region}:${account}:${name}`;
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The permissions of an SQS JSON-protocol request (`X-Amz-Target: AmazonSQS.<Operation>`): `sqs:<Operation>` (batch
 * operations as their single action) on the queue its `QueueUrl` (or `QueueName`) names, else on `*`.
 *
 * @example
 * sqsPermissions('AmazonSQS.SendMessageBatch', body, scope); // [{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:…:q' }]
 */
export function sqsPermissions(target: string, body: Buffer, scope: ArnScope): RequestPermissions {
  return sqsPermissionsOf(target.slice('AmazonSQS.'.length), parseJson(body), scope);
}

/**
 * The permissions of an SQS query-protocol request (`Action=<Operation>&…`, form-encoded or in the URL), the same as
 * its JSON-protocol form's: `sqs:<Operation>` on the queue its `QueueUrl` — or the queue URL it was sent to, as kombu
 * does — or its `QueueName` names.
 *
 * @example
 * sqsQueryPermissions(new Map([['Action', 'ReceiveMessage']]), '/000000000000/q', scope); // [{ action: 'sqs:ReceiveMessage', resource: 'arn:aws:sqs:…:q' }]
 */
export function sqsQueryPermissions(params: ReadonlyMap<string, string>, path: string, scope: ArnScope): RequestPermissions {
  let request: Record<string, unknown>;
  try {
    request = queryToJson(params, path).input;
  } catch {
    // Parameters SQS refuses to parse: the queue they name still decides the permission (the emulator answers the error).
    request = Object.fromEntries(params);
  }
  return sqsPermissionsOf(params.get('Action') ?? '', request, scope);
}

function sqsPermissionsOf(operation: string, request: Record<string, unknown>, scope: ArnScope): RequestPermissions {
  const queueUrl = request['QueueUrl'];
  const queueName = request['QueueName'];
  const sourceArn = request['SourceArn'];
  const resource =
    typeof queueUrl === 'string'
      ? queueArnOfUrl(queueUrl, scope)
      : typeof queueName === 'string'
        ? `arn:aws:sqs:${scope.region}:${typeof request['QueueOwnerAWSAccountId'] === 'string' ? request['QueueOwnerAWSAccountId'] : scope.accountId}:${queueName}`
        : typeof sourceArn === 'string'
          ? sourceArn
          : '*';
  return { service: 'sqs', operation, permissions: [{ action: `sqs:${SQS_ACTIONS[operation] ?? operation}`, resource }] };
}

/** The action each item of a `TransactWriteItems` needs, by its kind. */
const TRANSACT_WRITE_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/**
 * The permissions of a DynamoDB request (`X-Amz-Target: DynamoDB_20120810.<Operation>`): `dynamodb:<Operation>` on
 * its table (a `Query` or `Scan` of an index: on `table/<t>/index/<i>`); a `BatchWriteItem` or `BatchGetItem` needs its
 * action on every table it names; a `TransactWriteItems` needs `PutItem`/`UpdateItem`/`DeleteItem`/`ConditionCheckItem`
 * on each item's table, and a `TransactGetItems` `GetItem` on each, as in AWS (there is no transact action).
 *
 * @example
 * dynamoDbPermissions('DynamoDB_20120810.UpdateItem', body, scope); // [{ action: 'dynamodb:UpdateItem', resource: 'arn:aws:dynamodb:…:table/t' }]
 */
export function dynamoDbPermissions(target: string, body: Buffer, scope: ArnScope): RequestPermissions {
  const operation = target.slice(target.indexOf('.') + 1);
  const request = parseJson(body);
  const tableArn = (table: unknown): string =>
    typeof table === 'string' && table.startsWith('arn:') ? table : `arn:aws:dynamodb:${scope.region}:${scope.accountId}:table/${String(table)}`;
  const permissions: Array<{ action: string; resource: string }> = [];
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    const items = Array.isArray(request['TransactItems']) ? (request['TransactItems'] as Array<Record<string, unknown>>) : [];
    for (const item of items) {
      for (const [kind, detail] of Object.entries(item ?? {})) {
        const action = operation === 'TransactGetItems' ? 'dynamodb:GetItem' : TRANSACT_WRITE_ACTIONS[kind];
        const table = (detail as { TableName?: unknown } | null)?.TableName;
        if (action !== undefined) permissions.push({ action, resource: tableArn(table) });
      }
    }
  } else if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
    const tables = request['RequestItems'];
    for (const table of Object.keys(typeof tables === 'object' && tables !== null ? tables : {})) {
      permissions.push({ action: `dynamodb:${operation}`, resource: tableArn(table) });
    }
  } else {
    const table = request['TableName'];
    const index = request['IndexName'];
    const resource =
      table === undefined ? '*' : typeof index === 'string' ? `${tableArn(table)}/index/${index}` : tableArn(table);
    permissions.push({ action: `dynamodb:${operation}`, resource });
  }
  const unique = [...new Map(permissions.map((p) => [`${p.action} ${p.resource}`, p])).values()];
  return { service: 'dynamodb', operation, permissions: unique };
}

/** Bucket sub-resources (the query parameter without a value) and the action each needs, by HTTP method. */
const S3_BUCKET_SUBRESOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  GET: {
    location: 'GetBucketLocation',
    versions: 'ListBucketVersions',
    uploads: 'ListBucketMultipartUploads',
    policy: 'GetBucketPolicy',
    lifecycle: 'GetLifecycleConfiguration',
    versioning: 'GetBucketVersioning',
    tagging: 'GetBucketTagging',
    acl: 'GetBucketAcl',
    cors: 'GetBucketCORS',
    encryption: 'GetEncryptionConfiguration',
    notification: 'GetBucketNotification',
  },
  PUT: {
    policy: 'PutBucketPolicy',
    lifecycle: 'PutLifecycleConfiguration',
    versioning: 'PutBucketVersioning',
    tagging: 'PutBucketTagging',
    acl: 'PutBucketAcl',
    cors: 'PutBucketCORS',
    encryption: 'PutEncryptionConfiguration',
    notification: 'PutBucketNotification',
  },
  DELETE: { policy: 'DeleteBucketPolicy', lifecycle: 'PutLifecycleConfiguration', tagging: 'PutBucketTagging', cors: 'PutBucketCORS' },
};

const S3_OBJECT_SUBRESOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  GET: { tagging: 'GetObjectTagging', acl: 'GetObjectAcl', uploadId: 'ListMultipartUploadParts', attributes: 'GetObjectAttributes' },
  PUT: { tagging: 'PutObjectTagging', acl: 'PutObjectAcl', uploadId: 'PutObject' },
  DELETE: { tagging: 'DeleteObjectTagging', uploadId: 'AbortMultipartUpload' },
  POST: { uploads: 'PutObject', uploadId: 'PutObject', restore: 'RestoreObject' },
};

function decodeKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** Keys of a `DeleteObjects` request body (`<Delete><Object><Key>…</Key></Object>…</Delete>`). */
function deleteObjectsKeys(body: Buffer | undefined): string[] {
  const text = body?.toString('utf8') ?? '';
  const unescape = (value: string): string =>
    value.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  return [...text.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((match) => unescape(match[1]!));
}

/**
 * The permissions of a path-style S3 REST request, from its method, path and query: `GET /b` is `s3:ListBucket` with
 * the `s3:prefix`, `s3:delimiter` and `s3:max-keys` condition keys, `HEAD /b` `s3:ListBucket`, `GET`/`HEAD /b/k`
 * `s3:GetObject` (`versionId`: `s3:GetObjectVersion`), `PUT /b/k` `s3:PutObject` (a copy also `s3:GetObject` on its
 * source), `DELETE /b/k` `s3:DeleteObject`, `POST /b?delete` `s3:DeleteObject` on every key, multipart parts as
 * `s3:PutObject`, and the common sub-resources (`?tagging`, `?acl`, `?policy`, …) as their own actions.
 *
 * @example
 * s3Permissions('PUT', '/bucket/task-results/1.json', {}); // [{ action: 's3:PutObject', resource: 'arn:aws:s3:::bucket/task-results/1.json' }]
 */
export function s3Permissions(
  method: string,
  url: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body?: Buffer,
): RequestPermissions {
  const queryStart = url.indexOf('?');
  const pathPart = queryStart < 0 ? url : url.slice(0, queryStart);
  const query = new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1));
  const slash = pathPart.indexOf('/', 1);
  const bucket = decodeKey(slash < 0 ? pathPart.slice(1) : pathPart.slice(1, slash));
  const key = slash < 0 ? '' : decodeKey(pathPart.slice(slash + 1));
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  const named = (table: Readonly<Record<string, Readonly<Record<string, string>>>>): string | undefined => {
    const forMethod = table[method] ?? {};
    for (const name of query.keys()) if (forMethod[name] !== undefined) return forMethod[name];
    return undefined;
  };
  const one = (operation: string, resource: string, context?: ConditionContext): RequestPermissions => ({
    service: 's3',
    operation,
    permissions: [{ action: `s3:${operation}`, resource, ...(context === undefined ? {} : { context }) }],
  });

  if (bucket === '') return one('ListAllMyBuckets', '*');
  if (key === '') {
    const sub = named(S3_BUCKET_SUBRESOURCES);
    if (sub !== undefined) return one(sub, bucketArn);
    if (method === 'GET' || method === 'HEAD') {
      const context = new Map<string, string[]>();
      for (const [param, conditionKey] of [['prefix', 's3:prefix'], ['delimiter', 's3:delimiter'], ['max-keys', 's3:max-keys']] as const) {
        const value = query.get(param);
        if (value !== null) context.set(conditionKey, [value]);
      }
      const listing = method === 'HEAD' ? 'HeadBucket' : query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      return { service: 's3', operation: listing, permissions: [{ action: 's3:ListBucket', resource: bucketArn, context }] };
    }
    if (method === 'PUT') return one('CreateBucket', bucketArn);
    if (method === 'DELETE') return one('DeleteBucket', bucketArn);
    if (method === 'POST' && query.has('delete')) {
      const keys = deleteObjectsKeys(body);
      return {
        service: 's3',
        operation: 'DeleteObjects',
        permissions: keys.map((objectKey) => ({ action: 's3:DeleteObject', resource: `${bucketArn}/${objectKey}` })),
      };
    }
    return one(`${method}Bucket`, bucketArn);
  }
  const sub = named(S3_OBJECT_SUBRESOURCES);
  if (sub !== undefined) return one(sub, objectArn);
  if (method === 'GET' || method === 'HEAD') {
    const operation = method === 'HEAD' ? 'HeadObject' : 'GetObject';
    return {
      service: 's3',
      operation,
      permissions: [{ action: query.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject', resource: objectArn }],
      s3Object: { bucket, key },
    };
  }
  if (method === 'PUT') {
    const copySource = headers['x-amz-copy-source'];
    const permissions = [{ action: 's3:PutObject', resource: objectArn }];
    if (typeof copySource === 'string') {
      const source = decodeKey(copySource.split('?')[0]!.replace(/^\//, ''));
      permissions.push({ action: 's3:GetObject', resource: `arn:aws:s3:::${source}` });
    }
    return { service: 's3', operation: typeof copySource === 'string' ? 'CopyObject' : 'PutObject', permissions };
  }
  if (method === 'DELETE') return one('DeleteObject', objectArn);
  return one(`${method}Object`, objectArn);
}
