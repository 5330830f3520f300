import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { errorXml, isSqsQuery, mayBeQueryRequest, queryParametersOf } from '../sqs-query-protocol';
import { type ApplicablePolicies, type Decision, type DecisionReason, evaluatePolicies } from './policy-evaluator';
import {
  type ArnScope,
  type GatewayService,
  type RequestPermissions,
  type RequiredPermission,
  dynamoDbPermissions,
  s3Permissions,
  serviceOfRequest,
  sqsPermissions,
  sqsQueryPermissions,
} from './request-permissions';
import type { ResourcePolicy, RoleAccess } from './template-iam';

/** Upstream endpoint per service (fauxqs serves SQS and S3 on one port). */
export type ServiceEndpoints = Readonly<Record<GatewayService, string>>;

/** One caller the gateway enforces IAM on: an access key id bound to a role of the template. */
export interface GatewayCaller {
  /** The access key id the caller signs with (the SigV4 `Credential=` names it). */
  readonly accessKeyId: string;
  /** Who calls, for logs: a function name, or `event source mapping of <function>`. */
  readonly label: string;
  /** Session name of its assumed-role ARN in error messages (Lambda uses the function name). */
  readonly sessionName: string;
  readonly role: RoleAccess;
  /** Where its allowed calls go. @default - the gateway's default upstreams */
  readonly upstreams?: Partial<ServiceEndpoints>;
}

/** One denied call, as written to the denial log. Never carries a request body. */
export interface IamDenial {
  /** ISO-8601 time. */
  readonly at: string;
  readonly role: string;
  readonly roleArn: string;
  readonly caller: string;
  readonly service: GatewayService;
  readonly operation: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: DecisionReason | 'missing-object-without-list';
}

/** Options of {@link IamGateway.start}. */
export interface IamGatewayOptions {
  /** Upstreams of requests from callers without their own (and of operator requests, which are not enforced). */
  readonly upstreams: ServiceEndpoints;
  /** The callers to enforce IAM on; requests signed with any other key are forwarded as an operator's, unchecked. */
  readonly callers: readonly GatewayCaller[];
  readonly resourcePolicies: readonly ResourcePolicy[];
  readonly scope: ArnScope;
  /** JSON-lines file every denial is appended to. @default - denials are not written to a file */
  readonly denialLogFile?: string;
  /**
   * Access key id forwarded requests are signed with instead of the caller's (the emulators check no signature, and
   * DynamoDB Local keeps a separate database per key id). @default - the caller's own
   */
  readonly upstreamAccessKeyId?: string;
  /** Called once per denial (after it is logged). @default - nothing */
  readonly onDenial?: (denial: IamDenial) => void;
}

/** Condition context every request carries: a local platform is plain HTTP on loopback, treated as TLS (see docs/local.md). */
const SECURE_TRANSPORT: readonly [string, readonly string[]] = ['aws:securetransport', ['true']];

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** The access key id of a SigV4-signed request (`Authorization: … Credential=<key>/…`, or a presigned `X-Amz-Credential`). */
export function accessKeyIdOf(req: Pick<http.IncomingMessage, 'headers' | 'url'>): string | undefined {
  const authorization = req.headers['authorization'];
  const fromHeader = typeof authorization === 'string' ? /Credential=([^/,\s]+)\//.exec(authorization)?.[1] : undefined;
  if (fromHeader !== undefined) return fromHeader;
  const query = req.url?.split('?')[1];
  const credential = query === undefined ? null : new URLSearchParams(query).get('X-Amz-Credential');
  return credential === null ? undefined : credential.split('/')[0];
}

function because(decision: Decision, action: string): string {
  switch (decision.reason) {
    case 'explicit-deny-identity':
      return 'with an explicit deny in an identity-based policy';
    case 'explicit-deny-resource':
      return 'with an explicit deny in a resource-based policy';
    case 'explicit-deny-boundary':
      return 'with an explicit deny in a permissions boundary';
    case 'boundary-no-allow':
      return `because no permissions boundary allows the ${action} action`;
    default:
      return `because no identity-based policy allows the ${action} action`;
  }
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };

/**
 * The local platform's IAM: an HTTP gateway on 127.0.0.1 in front of fauxqs (SQS + S3) and DynamoDB Local. Each
 * consumer (and each event source mapping, which uses its function's role as in AWS) signs with its own access key
 * id; the gateway maps the key to the role, works out the actions and resource ARNs the request needs, evaluates them
 * against the role's identity policies and the resource policies of the template, and either forwards the request or
 * answers as AWS does: S3 `AccessDenied` 403, SQS `AccessDenied` (in XML for a query-protocol request, as botocore
 * and kombu send them: its action and queue come from the form or the path it is posted to), DynamoDB
 * `AccessDeniedException`. An S3 `GetObject`/`HeadObject` the emulator answers 404 becomes a 403 unless the role may
 * `s3:ListBucket` the key's prefix. Requests signed with any other key (the SDK in a test, the `bosun` CLI) are an operator's and go through
 * unchecked. Every denial is appended to the denial log (role, action, resource; never a body).
 *
 * @example
 * const gateway = await IamGateway.start({ upstreams, callers, resourcePolicies, scope: { region, accountId } });
 * const env = { AWS_ENDPOINT_URL_SQS: gateway.endpoint, AWS_ACCESS_KEY_ID: callers[0].accessKeyId };
 * await gateway.stop();
 */
export class IamGateway {
  private readonly callers: ReadonlyMap<string, GatewayCaller>;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private server: http.Server | undefined;
  private denied = 0;

  private constructor(private readonly options: IamGatewayOptions) {
    this.callers = new Map(options.callers.map((caller) => [caller.accessKeyId, caller]));
  }

  /** Starts the gateway on a free port of 127.0.0.1. */
  public static async start(options: IamGatewayOptions): Promise<IamGateway> {
    const gateway = new IamGateway(options);
    if (options.denialLogFile !== undefined) fs.mkdirSync(path.dirname(options.denialLogFile), { recursive: true });
    const server = http.createServer({ keepAlive: true }, (req, res) => {
      // An upstream that fails mid-call (a reset, a refused connection) fails the caller's call the same way.
      gateway.handle(req, res).catch(() => req.socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    gateway.server = server;
    return gateway;
  }

  /** The gateway's endpoint, for example `http://127.0.0.1:41234`: every service is served on it. */
  public get endpoint(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (address === undefined || address === null) throw new Error('the IAM gateway is not running');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Calls denied since the gateway started. */
  public get denials(): number {
    return this.denied;
  }

  /** Closes the listener and every connection. */
  public async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    this.agent.destroy();
  }

  /** Decides one permission for a role: its identity policies, its boundary, and the resource policies of the resource. */
  public authorize(role: RoleAccess, permission: RequiredPermission): Decision {
    const resourceStatements = this.options.resourcePolicies
      .filter((policy) => policy.resourceArns.some((arn) => permission.resource === arn || permission.resource.startsWith(`${arn}/`)))
      .flatMap((policy) => policy.statements);
    const context = new Map(permission.context ?? []);
    context.set(SECURE_TRANSPORT[0], SECURE_TRANSPORT[1]);
    context.set('aws:requestedregion', [this.options.scope.region]);
    const policies: ApplicablePolicies = {
      identity: role.identity,
      resource: resourceStatements,
      ...(role.boundary === undefined ? {} : { boundary: role.boundary }),
    };
    return evaluatePolicies(
      { principalArn: role.arn, principalAccount: this.options.scope.accountId, action: permission.action, resource: permission.resource, context },
      policies,
    );
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = req.headers['x-amz-target'];
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    // SQS's query protocol (botocore 1.29, kombu) has no X-Amz-Target: its form body names the action and the queue.
    const maybeQuery = typeof target !== 'string' && mayBeQueryRequest(method, url, req.headers['content-type']);
    const formBody = maybeQuery ? await readAll(req) : undefined;
    const queryParams = maybeQuery ? queryParametersOf(method, url, req.headers['content-type'], formBody) : undefined;
    const sqsQuery = queryParams !== undefined && isSqsQuery(queryParams) ? queryParams : undefined;
    const service = sqsQuery !== undefined ? 'sqs' : serviceOfRequest(typeof target === 'string' ? target : undefined);
    const caller = this.callers.get(accessKeyIdOf(req) ?? '');
    const upstream = caller?.upstreams?.[service] ?? this.options.upstreams[service];
    // SQS and DynamoDB bodies are JSON that names the resources; S3 bodies stream through, except a DeleteObjects' key list.
    const needsBody = caller !== undefined && (service !== 's3' || (method === 'POST' && /[?&]delete(=|&|$)/.test(url)));
    const body = formBody ?? (needsBody ? await readAll(req) : undefined);
    if (caller === undefined) {
      await this.forward(upstream, req, res, body);
      return;
    }
    const permissions =
      sqsQuery !== undefined
        ? sqsQueryPermissions(sqsQuery, url, this.options.scope)
        : this.permissionsOf(service, typeof target === 'string' ? target : '', req, body);
    for (const permission of permissions.permissions) {
      const decision = this.authorize(caller.role, permission);
      if (!decision.allowed) {
        if (body === undefined) await readAll(req);
        this.deny(caller, permissions, permission.action, permission.resource, decision.reason, res, req, because(decision, permission.action), sqsQuery !== undefined);
        return;
      }
    }
    const object = permissions.s3Object;
    if (object === undefined) {
      await this.forward(upstream, req, res, body);
      return;
    }
    const answer = await this.send(upstream, req, body);
    if (answer.statusCode === 404) {
      // AWS answers a missing key with 403 unless the caller may list the bucket (at the key's prefix).
      const list = this.authorize(caller.role, {
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${object.bucket}`,
        context: new Map([['s3:prefix', [object.key]]]),
      });
      if (!list.allowed) {
        await readAll(answer);
        this.deny(
          caller,
          permissions,
          's3:ListBucket',
          `arn:aws:s3:::${object.bucket}`,
          'missing-object-without-list',
          res,
          req,
          because(list, 's3:ListBucket'),
        );
        return;
      }
    }
    this.relay(answer, res);
  }

  private permissionsOf(service: GatewayService, target: string, req: http.IncomingMessage, body: Buffer | undefined): RequestPermissions {
    const scope = this.options.scope;
    if (service === 'sqs') return sqsPermissions(target, body ?? Buffer.alloc(0), scope);
    if (service === 'dynamodb') return dynamoDbPermissions(target, body ?? Buffer.alloc(0), scope);
    return s3Permissions(req.method ?? 'GET', req.url ?? '/', req.headers, body);
  }

  private deny(
    caller: GatewayCaller,
    request: RequestPermissions,
    action: string,
    resource: string,
    reason: IamDenial['reason'],
    res: http.ServerResponse,
    req: http.IncomingMessage,
    explanation: string,
    queryProtocol = false,
  ): void {
    this.denied += 1;
    const denial: IamDenial = {
      at: new Date().toISOString(),
      role: caller.role.roleName,
      roleArn: caller.role.arn,
      caller: caller.label,
      service: request.service,
      operation: request.operation,
      action,
      resource,
      reason,
    };
    if (this.options.denialLogFile !== undefined) fs.appendFileSync(this.options.denialLogFile, `${JSON.stringify(denial)}\n`);
    this.options.onDenial?.(denial);
    const user = `arn:aws:sts::${this.options.scope.accountId}:assumed-role/${caller.role.roleName}/${caller.sessionName}`;
    const message = `User: ${user} is not authorized to perform: ${action} on resource: ${resource} ${explanation}`;
    const requestId = randomUUID();
    if (request.service === 's3') {
      const escaped = message.replace(/[<>&"']/g, (char) => XML_ESCAPES[char]!);
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escaped}</Message><RequestId>${requestId}</RequestId></Error>`;
      res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
      res.end(req.method === 'HEAD' ? undefined : xml);
    } else if (request.service === 'sqs' && queryProtocol) {
      res
        .writeHead(403, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId })
        .end(errorXml({ code: 'AccessDenied', type: 'Sender', message }, requestId));
    } else if (request.service === 'sqs') {
      // SQS's JSON protocol keeps its query-protocol error code in this header; the SDK names the error after it.
      res
        .writeHead(403, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-query-error': 'AccessDenied;Sender',
          'x-amzn-requestid': requestId,
        })
        .end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message }));
    } else {
      res
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId })
        .end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: message }));
    }
  }

  private send(upstream: string, req: http.IncomingMessage, body: Buffer | undefined): Promise<http.IncomingMessage> {
    const target = new URL(upstream);
    const headers = { ...req.headers };
    // DynamoDB Local keeps one database per access key id: every caller must reach it as the operator does.
    const authorization = headers['authorization'];
    if (this.options.upstreamAccessKeyId !== undefined && typeof authorization === 'string') {
      headers['authorization'] = authorization.replace(/Credential=[^/,\s]+\//, `Credential=${this.options.upstreamAccessKeyId}/`);
    }
    return new Promise((resolve, reject) => {
      const request = http.request(
        { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: this.agent },
        resolve,
      );
      request.on('error', reject);
      if (body === undefined) req.pipe(request);
      else request.end(body);
    });
  }

  private async forward(upstream: string, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer | undefined): Promise<void> {
    this.relay(await this.send(upstream, req, body), res);
  }

  private relay(answer: http.IncomingMessage, res: http.ServerResponse): void {
    answer.on('error', () => res.destroy());
    answer.on('aborted', () => res.destroy());
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  }
}
