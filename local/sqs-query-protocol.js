'use strict';
// SQS's query protocol (form-urlencoded `Action=…` requests, XML answers) translated to and from the JSON protocol
// fauxqs speaks. botocore 1.29 and kombu 5.2 (Celery's SQS transport) speak only the query protocol; AWS accepts both.
// Plain CommonJS (.js in a CommonJS package) so the fauxqs process (ESM), the IAM gateway and jest all load it as is.

const SQS_API_VERSION = '2012-11-05';
const SNS_API_VERSION = '2010-03-31';
const XML_NAMESPACE = `http://queue.amazonaws.com/doc/${SQS_API_VERSION}/`;

/** Every action of SQS's API (2012-11-05): a query request naming one of them is an SQS request. */
const SQS_ACTIONS = new Set([
  'AddPermission',
  'CancelMessageMoveTask',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'CreateQueue',
  'DeleteMessage',
  'DeleteMessageBatch',
  'DeleteQueue',
  'GetQueueAttributes',
  'GetQueueUrl',
  'ListDeadLetterSourceQueues',
  'ListMessageMoveTasks',
  'ListQueueTags',
  'ListQueues',
  'PurgeQueue',
  'ReceiveMessage',
  'RemovePermission',
  'SendMessage',
  'SendMessageBatch',
  'SetQueueAttributes',
  'StartMessageMoveTask',
  'TagQueue',
  'UntagQueue',
]);

/** Actions whose answer has a `<…Result>` element (the others answer with their metadata only). */
const ACTIONS_WITH_RESULT = new Set([
  'ChangeMessageVisibilityBatch',
  'CreateQueue',
  'DeleteMessageBatch',
  'GetQueueAttributes',
  'GetQueueUrl',
  'ListDeadLetterSourceQueues',
  'ListMessageMoveTasks',
  'ListQueueTags',
  'ListQueues',
  'ReceiveMessage',
  'SendMessage',
  'SendMessageBatch',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
]);

/** Actions that name no queue URL (a query request to a queue's path is still about the queue its parameters name). */
const ACTIONS_WITHOUT_QUEUE_URL = new Set(['CreateQueue', 'GetQueueUrl', 'ListQueues', 'StartMessageMoveTask', 'CancelMessageMoveTask', 'ListMessageMoveTasks']);

/** Request parameters that are integers in the JSON protocol (strings on the wire of the query protocol). */
const INTEGER_PARAMETERS = new Set(['DelaySeconds', 'MaxNumberOfMessages', 'VisibilityTimeout', 'WaitTimeSeconds', 'MaxResults']);

/** Flattened request lists: `AttributeName.1=All` is `AttributeNames: ['All']`. */
const REQUEST_LISTS = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  TagKey: 'TagKeys',
  AWSAccountId: 'AWSAccountIds',
  ActionName: 'Actions',
};

/** Flattened request maps: `Attribute.1.Name=…&Attribute.1.Value=…` is `Attributes: { …: … }`. */
const REQUEST_MAPS = {
  Attribute: { key: 'Name', value: 'Value' },
  Tag: { key: 'Key', value: 'Value' },
  MessageAttribute: { key: 'Name', value: 'Value', struct: true },
  MessageSystemAttribute: { key: 'Name', value: 'Value', struct: true },
};

/** Batch entries: `SendMessageBatchRequestEntry.1.Id=…` is `Entries: [{ Id: … }]`. */
const REQUEST_ENTRIES = new Set(['SendMessageBatchRequestEntry', 'DeleteMessageBatchRequestEntry', 'ChangeMessageVisibilityBatchRequestEntry']);

/** Parameters of the protocol itself, not of the action. */
const PROTOCOL_PARAMETERS = new Set(['Action', 'Version', 'Signature', 'SignatureMethod', 'SignatureVersion', 'Timestamp', 'Expires', 'AWSAccessKeyId']);

/** Flattened lists of an answer, by their JSON name: the element each member is written as. */
const RESPONSE_LIST_ELEMENTS = {
  Messages: 'Message',
  QueueUrls: 'QueueUrl',
  queueUrls: 'QueueUrl',
  Failed: 'BatchResultErrorEntry',
  StringListValues: 'StringListValue',
  BinaryListValues: 'BinaryListValue',
  Results: 'ListMessageMoveTasksResultEntry',
};

/** Maps of an answer, by their JSON name: the element of each entry and the names of its key and value. */
const RESPONSE_MAPS = {
  Attributes: { element: 'Attribute', key: 'Name', value: 'Value' },
  Tags: { element: 'Tag', key: 'Key', value: 'Value' },
  MessageAttributes: { element: 'MessageAttribute', key: 'Name', value: 'Value' },
};

/**
 * The query-protocol error code of each JSON-protocol error whose code differs (from botocore's SQS model); any other
 * error keeps its code (`InvalidParameterValue`, `MissingParameter`, `ReceiptHandleIsInvalid`, …).
 */
const QUERY_ERROR_CODES = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  QueueNameExists: 'QueueAlreadyExists',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  BatchRequestTooLong: 'AWS.SimpleQueueService.BatchRequestTooLong',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
  PurgeQueueInProgress: 'AWS.SimpleQueueService.PurgeQueueInProgress',
  QueueDeletedRecently: 'AWS.SimpleQueueService.QueueDeletedRecently',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
  AccessDeniedException: 'AccessDenied',
};

/** A query request that cannot be translated: answered as SQS answers it, with this code and HTTP status. */
class SqsQueryError extends Error {
  constructor(code, message, statusCode = 400) {
    super(message);
    this.name = 'SqsQueryError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * The parameters of a request that may be in the query protocol (a form POST, or a GET with `Action` in its URL):
 * the URL's query (a presigned GET carries them there) merged with the form body. Undefined for any other request.
 */
function queryParametersOf(method, url, contentType, body) {
  const queryStart = url.indexOf('?');
  const params = new Map(new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1)));
  const isForm = method === 'POST' && typeof contentType === 'string' && contentType.toLowerCase().startsWith(FORM_CONTENT_TYPE);
  if (isForm) for (const [key, value] of new URLSearchParams(body === undefined ? '' : body.toString('utf8'))) params.set(key, value);
  if (!isForm && !params.has('Action')) return undefined;
  return params;
}

/** Whether a request may be in the query protocol, before its body is read: a form POST, or `Action=` in its URL. */
function mayBeQueryRequest(method, url, contentType) {
  if (method === 'POST' && typeof contentType === 'string' && contentType.toLowerCase().startsWith(FORM_CONTENT_TYPE)) return true;
  return /[?&]Action=/.test(url);
}

/**
 * Whether query parameters are an SQS request: an SQS action, and SQS's API version or none (kombu sends none). SNS
 * shares the form encoding (and two action names) and always sends its own version.
 */
function isSqsQuery(params) {
  const action = params.get('Action');
  const version = params.get('Version');
  return action !== undefined && SQS_ACTIONS.has(action) && version !== SNS_API_VERSION && (version === undefined || version === SQS_API_VERSION);
}

/** `{ Attribute: { 1: { Name: … } } }` from `Attribute.1.Name=…`: the flat parameters as a tree. */
function treeOf(params) {
  const root = {};
  for (const [name, value] of params) {
    if (PROTOCOL_PARAMETERS.has(name) || name.startsWith('X-Amz-')) continue;
    const parts = name.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      // `AttributeName=All` and `AttributeName.1=…` together: the unnumbered one is the first member.
      if (typeof node[part] === 'string') node[part] = { 0: node[part] };
      if (node[part] === undefined) node[part] = {};
      node = node[part];
    }
    const last = parts[parts.length - 1];
    if (typeof node[last] === 'object') node[last][0] = value;
    else node[last] = value;
  }
  return root;
}

/** The members of a flattened list node, in order of their index (a lone value is a list of one). */
function membersOf(node) {
  if (typeof node !== 'object') return [node];
  return Object.keys(node)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => node[key]);
}

function integerOf(name, value) {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim())) {
    throw new SqsQueryError('InvalidParameterValue', `Value ${String(value)} for parameter ${name} is invalid. Reason: must be an integer.`);
  }
  return Number(value);
}

function stringOf(name, value) {
  if (typeof value !== 'string') throw new SqsQueryError('MalformedQueryString', `Parameter ${name} must be a single value, not a structure.`);
  return value;
}

function messageAttributeValueOf(name, node) {
  if (typeof node !== 'object') throw new SqsQueryError('InvalidParameterValue', `The message attribute '${name}' must have a Value.DataType.`);
  const value = {};
  for (const [field, member] of Object.entries(node)) {
    if (field === 'StringListValue') value.StringListValues = membersOf(member);
    else if (field === 'BinaryListValue') value.BinaryListValues = membersOf(member);
    else value[field] = stringOf(`${name}.Value.${field}`, member);
  }
  return value;
}

/** A tree of query parameters (the request's or a batch entry's) as the JSON protocol's input. */
function inputOf(action, tree) {
  const input = {};
  for (const [name, node] of Object.entries(tree)) {
    if (REQUEST_LISTS[name] !== undefined) {
      input[REQUEST_LISTS[name]] = membersOf(node).map((member) => stringOf(name, member));
    } else if (REQUEST_MAPS[name] !== undefined) {
      const shape = REQUEST_MAPS[name];
      // CreateQueue's tags are `tags` in the JSON protocol; TagQueue's are `Tags`.
      const jsonName = name === 'Tag' ? (action === 'CreateQueue' ? 'tags' : 'Tags') : `${name}s`;
      const map = {};
      for (const entry of membersOf(node)) {
        const key = typeof entry === 'object' ? entry[shape.key] : undefined;
        if (typeof key !== 'string') throw new SqsQueryError('MissingParameter', `Each ${name}.N needs its ${name}.N.${shape.key}; an entry without one was given.`);
        map[key] = shape.struct === true ? messageAttributeValueOf(key, entry[shape.value]) : stringOf(`${name}.N.${shape.value}`, entry[shape.value] ?? '');
      }
      input[jsonName] = map;
    } else if (REQUEST_ENTRIES.has(name)) {
      input.Entries = membersOf(node).map((entry) => {
        if (typeof entry !== 'object') throw new SqsQueryError('MalformedQueryString', `${name}.N must have fields (${name}.N.Id, …).`);
        return inputOf(action, entry);
      });
    } else if (INTEGER_PARAMETERS.has(name)) {
      input[name] = integerOf(name, node);
    } else {
      input[name] = stringOf(name, node);
    }
  }
  return input;
}

/**
 * Translates the parameters of an SQS query request into its action and JSON-protocol input. A request that names no
 * `QueueUrl` takes its queue from the path it was sent to (kombu posts to the queue URL).
 *
 * @throws SqsQueryError for parameters SQS would refuse to parse (an integer that is not one, a map entry without a key)
 */
function queryToJson(params, path) {
  const action = params.get('Action');
  if (action === undefined || !SQS_ACTIONS.has(action)) {
    throw new SqsQueryError('InvalidAction', `The action ${String(action)} is not valid for this endpoint.`);
  }
  const input = inputOf(action, treeOf(params));
  const pathname = (path ?? '/').split('?')[0];
  if (input.QueueUrl === undefined && !ACTIONS_WITHOUT_QUEUE_URL.has(action) && pathname !== '/' && pathname !== '') input.QueueUrl = pathname;
  return { action, input };
}

/** The queue name of a queue URL or path (`http://host/000000000000/name`, `/000000000000/name`). */
function queueNameOf(queueUrl) {
  let pathname = queueUrl;
  try {
    pathname = new URL(queueUrl).pathname;
  } catch {
    // A path, not a URL.
  }
  const segments = pathname.split('/').filter((segment) => segment !== '');
  return segments[segments.length - 1];
}

const XML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' };

/** Escapes text for an XML element; a carriage return is escaped too, as XML parsers would turn `\r\n` into `\n`. */
function escapeXml(text) {
  return String(text).replace(/[&<>"'\r]/g, (char) => XML_ESCAPES[char]);
}

function elementsOf(action, name, value) {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const element = name === 'Successful' ? `${action}ResultEntry` : (RESPONSE_LIST_ELEMENTS[name] ?? name);
    return value.map((member) => elementOf(action, element, member)).join('');
  }
  if (RESPONSE_MAPS[name] !== undefined && typeof value === 'object') {
    const shape = RESPONSE_MAPS[name];
    return Object.entries(value)
      .map(([key, entry]) => `<${shape.element}><${shape.key}>${escapeXml(key)}</${shape.key}>${elementOf(action, shape.value, entry)}</${shape.element}>`)
      .join('');
  }
  return elementOf(action, name, value);
}

function elementOf(action, name, value) {
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value).map(([field, member]) => elementsOf(action, field, member)).join('');
    return `<${name}>${fields}</${name}>`;
  }
  return `<${name}>${escapeXml(value)}</${name}>`;
}

/** The XML answer of an action from its JSON-protocol output, as SQS writes it (flattened lists and maps). */
function jsonToXml(action, output, requestId) {
  const fields = Object.entries(output ?? {}).map(([name, value]) => elementsOf(action, name, value)).join('');
  const result = ACTIONS_WITH_RESULT.has(action) ? `<${action}Result>${fields}</${action}Result>` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${XML_NAMESPACE}">${result}` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** SQS's XML error document: `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message>…`. */
function errorXml(error, requestId) {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${escapeXml(error.type)}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message><Detail/></Error>` +
    `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}

/**
 * The query-protocol error of a JSON-protocol error answer: its code (by `__type`, translated where the two protocols
 * name it differently, else the code `x-amzn-query-error` gives), `Sender` or `Receiver`, and its message.
 */
function queryErrorOf(statusCode, queryErrorHeader, body) {
  let parsed = {};
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not JSON: the code falls back to the header or the status.
  }
  const type = typeof parsed.__type === 'string' ? parsed.__type.slice(parsed.__type.lastIndexOf('#') + 1) : undefined;
  const [headerCode, headerFault] = typeof queryErrorHeader === 'string' ? queryErrorHeader.split(';') : [];
  let code = type !== undefined ? QUERY_ERROR_CODES[type] : undefined;
  if (code === undefined && headerCode !== undefined && !headerCode.startsWith('AWS.SimpleQueueService.')) code = headerCode;
  if (code === undefined) code = type ?? headerCode?.replace('AWS.SimpleQueueService.', '') ?? (statusCode >= 500 ? 'InternalFailure' : 'InvalidRequest');
  const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : '';
  const fault = headerFault === 'Sender' || headerFault === 'Receiver' ? headerFault : statusCode >= 500 ? 'Receiver' : 'Sender';
  return { code, type: fault, message };
}

function isNonExistentQueue(answer) {
  return answer.statusCode === 400 && /QueueDoesNotExist|NonExistentQueue/.test(answer.body + String(answer.headers['x-amzn-query-error'] ?? ''));
}

/**
 * Answers one SQS query request through `callJson(action, input)`, which makes the JSON-protocol call and resolves to
 * its `{ statusCode, headers, body }`. Every queue URL (a `QueueUrl` parameter or the request's path) is resolved by
 * its queue name with `GetQueueUrl` first, as SQS accepts a queue's URL under any of its hosts (kombu is given
 * `http://127.0.0.1:<port>/…`, fauxqs names queues `http://sqs.<region>.localhost:<port>/…`). `queueUrls` remembers
 * each name's URL across requests; an entry is dropped when its queue is deleted, and a call the emulator answers
 * with "does not exist" under a remembered URL is resolved afresh and made once more (nothing happened the first time).
 */
async function answerSqsQuery(params, path, callJson, requestId, queueUrls = new Map()) {
  const xml = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body });
  let call;
  try {
    call = queryToJson(params, path);
  } catch (error) {
    if (!(error instanceof SqsQueryError)) throw error;
    return xml(error.statusCode, errorXml({ code: error.code, type: 'Sender', message: error.message }, requestId));
  }
  const { action, input } = call;
  const name = typeof input.QueueUrl === 'string' && action !== 'GetQueueUrl' ? queueNameOf(input.QueueUrl) : undefined;
  const resolve = async () => {
    const found = await callJson('GetQueueUrl', { QueueName: name });
    if (found.statusCode !== 200) {
      queueUrls.delete(name);
      return undefined;
    }
    const url = JSON.parse(found.body).QueueUrl;
    queueUrls.set(name, url);
    return url;
  };
  let remembered = false;
  if (name !== undefined) {
    remembered = queueUrls.has(name);
    input.QueueUrl = (remembered ? queueUrls.get(name) : await resolve()) ?? input.QueueUrl;
  }
  let answer = await callJson(action, input);
  if (remembered && isNonExistentQueue(answer)) {
    const url = await resolve();
    if (url !== undefined) answer = await callJson(action, { ...input, QueueUrl: url });
  }
  if (action === 'DeleteQueue' && name !== undefined) queueUrls.delete(name);
  if (answer.statusCode !== 200) {
    const header = answer.headers['x-amzn-query-error'];
    return xml(answer.statusCode, errorXml(queryErrorOf(answer.statusCode, Array.isArray(header) ? header[0] : header, answer.body), requestId));
  }
  return xml(200, jsonToXml(action, answer.body === '' ? {} : JSON.parse(answer.body), requestId));
}

module.exports = {
  SQS_API_VERSION,
  SqsQueryError,
  answerSqsQuery,
  errorXml,
  escapeXml,
  isSqsQuery,
  jsonToXml,
  mayBeQueryRequest,
  queryErrorOf,
  queryParametersOf,
  queryToJson,
};
