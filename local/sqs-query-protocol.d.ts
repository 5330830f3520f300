/** Types of `sqs-query-protocol.js`: SQS's query protocol (form requests, XML answers) to and from its JSON protocol. */

/** The SQS API version query requests carry (`Version=2012-11-05`). */
export declare const SQS_API_VERSION: '2012-11-05';

/** A query request that cannot be translated: answered with this query-protocol error code and HTTP status. */
export declare class SqsQueryError extends Error {
  readonly name: 'SqsQueryError';
  readonly code: string;
  readonly statusCode: number;
  constructor(code: string, message: string, statusCode?: number);
}

/** A query-protocol error as SQS writes it in `<ErrorResponse>`. */
export interface SqsQueryErrorFields {
  readonly code: string;
  readonly type: 'Sender' | 'Receiver';
  readonly message: string;
}

/** One HTTP answer: of a JSON-protocol call, or the XML answer of a query request. */
export interface SqsHttpAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** Makes one JSON-protocol call (`X-Amz-Target: AmazonSQS.<action>`) and resolves to its answer. */
export type SqsJsonCall = (action: string, input: Record<string, unknown>) => Promise<SqsHttpAnswer>;

/**
 * The parameters of a request that may be in the query protocol (a form POST, or `Action` in its URL's query), the
 * URL's query merged with the form body; undefined for any other request.
 *
 * @example
 * queryParametersOf('POST', '/', 'application/x-www-form-urlencoded', Buffer.from('Action=ListQueues'))?.get('Action'); // 'ListQueues'
 */
export declare function queryParametersOf(method: string, url: string, contentType: string | undefined, body: Buffer | undefined): Map<string, string> | undefined;

/**
 * Whether a request may be in the query protocol, from its method, URL and content type (before its body is read).
 *
 * @example
 * mayBeQueryRequest('POST', '/000000000000/q', 'application/x-www-form-urlencoded; charset=utf-8'); // true
 */
export declare function mayBeQueryRequest(method: string, url: string, contentType: string | undefined): boolean;

/**
 * Whether query parameters are an SQS request (an SQS action; SQS's API version or none) rather than SNS's.
 *
 * @example
 * isSqsQuery(new Map([['Action', 'ReceiveMessage']])); // true
 */
export declare function isSqsQuery(params: ReadonlyMap<string, string>): boolean;

/**
 * The action and JSON-protocol input of an SQS query request; without a `QueueUrl` parameter, the queue is the path
 * the request was sent to.
 *
 * @throws {@link SqsQueryError} for parameters SQS would refuse (an integer that is not one, a map entry without a key)
 * @example
 * queryToJson(new Map([['Action', 'ReceiveMessage'], ['AttributeName.1', 'All'], ['WaitTimeSeconds', '1']]), '/000000000000/q');
 * // { action: 'ReceiveMessage', input: { AttributeNames: ['All'], WaitTimeSeconds: 1, QueueUrl: '/000000000000/q' } }
 */
export declare function queryToJson(params: ReadonlyMap<string, string>, path?: string): { action: string; input: Record<string, unknown> };

/**
 * The XML answer of an action from its JSON-protocol output.
 *
 * @example
 * jsonToXml('GetQueueUrl', { QueueUrl: 'http://…/q' }, 'id'); // '<?xml …?>\n<GetQueueUrlResponse …><GetQueueUrlResult><QueueUrl>…'
 */
export declare function jsonToXml(action: string, output: unknown, requestId: string): string;

/**
 * SQS's XML error document.
 *
 * @example
 * errorXml({ code: 'AccessDenied', type: 'Sender', message: 'User: … is not authorized …' }, requestId);
 */
export declare function errorXml(error: SqsQueryErrorFields, requestId: string): string;

/**
 * The query-protocol error of a JSON-protocol error answer (its status, `x-amzn-query-error` header and body).
 *
 * @example
 * queryErrorOf(400, 'AWS.SimpleQueueService.NonExistentQueue;Sender', '{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"…"}');
 * // { code: 'AWS.SimpleQueueService.NonExistentQueue', type: 'Sender', message: '…' }
 */
export declare function queryErrorOf(statusCode: number, queryErrorHeader: string | undefined, body: string): SqsQueryErrorFields;

/**
 * Escapes text for an XML element (a carriage return too, which XML parsers would otherwise normalize away).
 *
 * @example
 * escapeXml('a<b\r\n'); // 'a&lt;b&#xD;\n'
 */
export declare function escapeXml(text: string): string;

/**
 * Answers one SQS query request with XML, making its JSON-protocol call through `callJson`, after resolving the queue
 * URL it names by the queue's name (`GetQueueUrl`, remembered in `queueUrls` across requests: dropped when the queue is
 * deleted, and resolved afresh when a call under a remembered URL finds no queue).
 *
 * @example
 * const queueUrls = new Map<string, string>();
 * const answer = await answerSqsQuery(params, req.url, (action, input) => inject(action, input), randomUUID(), queueUrls);
 */
export declare function answerSqsQuery(
  params: ReadonlyMap<string, string>,
  path: string,
  callJson: SqsJsonCall,
  requestId: string,
  queueUrls?: Map<string, string>,
): Promise<SqsHttpAnswer>;
