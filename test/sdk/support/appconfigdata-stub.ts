import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The identifiers a stub serves one configuration profile under. */
export interface StubProfile {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
}

interface Session {
  readonly id: number;
  lastVersionSent: number | undefined;
}

/** A call the stub received, for assertions. */
export interface StubCall {
  readonly operation: 'StartConfigurationSession' | 'GetLatestConfiguration';
  readonly session?: number;
  readonly status: number;
  readonly bodyBytes?: number;
}

/**
 * A small HTTP server speaking the AppConfigData REST protocol, the way `@aws-sdk/client-appconfigdata` calls it:
 * `POST /configurationsessions` (JSON body with the three identifiers and `RequiredMinimumPollIntervalInSeconds`,
 * 201 with `InitialConfigurationToken`) and `GET /configuration?configuration_token=…` (200 with the
 * `Next-Poll-Configuration-Token`, `Next-Poll-Interval-In-Seconds`, `Content-Type` and `Version-Label` headers and the
 * document as the body, empty when the session already received this version). Tokens are single-use: a reused
 * token is rejected with a `BadRequestException`, as AppConfigData does. Errors use the REST-JSON shape
 * (`x-amzn-errortype` header and a `Message`).
 */
export class AppConfigDataStub {
  public readonly calls: StubCall[] = [];
  /** Tokens that were presented a second time (a client bug the real service rejects). */
  public readonly reusedTokens: string[] = [];
  /** Poll interval the stub asks clients to respect. */
  public pollIntervalSeconds = 15;
  /** The next N calls fail with this status and error type. */
  private failures: { remaining: number; status: number; type: string } | undefined;
  private document: { body: Buffer; contentType: string; version: number } | undefined;
  private readonly tokens = new Map<string, { session: Session; used: boolean }>();
  private sessionCount = 0;
  private server: Server | undefined;

  public constructor(private readonly profile: StubProfile) {}

  /** Starts listening on a free port of 127.0.0.1 and returns the endpoint URL. */
  public async start(): Promise<string> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  /** Deploys a new version of the configuration (any text, valid or not). */
  public deploy(content: unknown, contentType = 'application/json'): void {
    const body = Buffer.from(typeof content === 'string' ? content : JSON.stringify(content), 'utf8');
    this.document = { body, contentType, version: (this.document?.version ?? 0) + 1 };
  }

  /** Makes the next `count` calls fail with `status` and the error `type`. */
  public failNext(count: number, status = 500, type = 'InternalServerException'): void {
    this.failures = { remaining: count, status, type };
  }

  public get sessionsStarted(): number {
    return this.sessionCount;
  }

  public callsOf(operation: StubCall['operation']): StubCall[] {
    return this.calls.filter((call) => call.operation === operation);
  }

  private issueToken(session: Session): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { session, used: false });
    return token;
  }

  private error(response: ServerResponse, status: number, type: string, message: string): void {
    response.statusCode = status;
    response.setHeader('content-type', 'application/json');
    response.setHeader('x-amzn-errortype', type);
    response.end(JSON.stringify({ Message: message }));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://stub');
    const operation = request.method === 'POST' && url.pathname === '/configurationsessions'
      ? 'StartConfigurationSession'
      : request.method === 'GET' && url.pathname === '/configuration'
        ? 'GetLatestConfiguration'
        : undefined;
    if (operation === undefined) {
      this.error(response, 404, 'UnknownOperationException', `no such operation: ${request.method} ${url.pathname}`);
      return;
    }
    if (this.failures !== undefined && this.failures.remaining > 0) {
      this.failures.remaining -= 1;
      this.calls.push({ operation, status: this.failures.status });
      this.error(response, this.failures.status, this.failures.type, 'injected failure');
      return;
    }
    if (operation === 'StartConfigurationSession') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const interval = body['RequiredMinimumPollIntervalInSeconds'];
      if (interval !== undefined && (typeof interval !== 'number' || interval < 15 || interval > 86_400)) {
        this.calls.push({ operation, status: 400 });
        this.error(response, 400, 'BadRequestException', 'RequiredMinimumPollIntervalInSeconds must be between 15 and 86400');
        return;
      }
      if (
        body['ApplicationIdentifier'] !== this.profile.applicationId ||
        body['EnvironmentIdentifier'] !== this.profile.environmentId ||
        body['ConfigurationProfileIdentifier'] !== this.profile.profileId
      ) {
        this.calls.push({ operation, status: 404 });
        this.error(response, 404, 'ResourceNotFoundException', 'no such application, environment or profile');
        return;
      }
      this.sessionCount += 1;
      const session: Session = { id: this.sessionCount, lastVersionSent: undefined };
      if (typeof interval === 'number') this.pollIntervalSeconds = Math.max(this.pollIntervalSeconds, interval);
      this.calls.push({ operation, session: session.id, status: 201 });
      response.statusCode = 201;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ InitialConfigurationToken: this.issueToken(session) }));
      return;
    }
    const token = url.searchParams.get('configuration_token') ?? '';
    const entry = this.tokens.get(token);
    if (entry === undefined || entry.used) {
      if (entry?.used === true) this.reusedTokens.push(token);
      this.calls.push({ operation, status: 400 });
      this.error(response, 400, 'BadRequestException', 'the configuration token is invalid or was already used');
      return;
    }
    entry.used = true;
    const { session } = entry;
    const document = this.document;
    const fresh = document !== undefined && session.lastVersionSent !== document.version;
    response.statusCode = 200;
    response.setHeader('Next-Poll-Configuration-Token', this.issueToken(session));
    response.setHeader('Next-Poll-Interval-In-Seconds', String(this.pollIntervalSeconds));
    if (fresh) {
      session.lastVersionSent = document.version;
      response.setHeader('Content-Type', document.contentType);
      response.setHeader('Version-Label', `v${document.version}`);
      this.calls.push({ operation, session: session.id, status: 200, bodyBytes: document.body.length });
      response.end(document.body);
    } else {
      this.calls.push({ operation, session: session.id, status: 200, bodyBytes: 0 });
      response.end();
    }
  }
}
