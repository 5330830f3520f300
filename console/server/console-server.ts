import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from '../../lib/aws/queue-mover';
import type { CliClients } from '../../cli/clients';
import type { Platform } from '../../cli/platform';
import { type ConsoleEventName, type ConsoleEvents, OVERVIEW_EVENT_INTERVAL_SECONDS, type OverviewResponse, TOKEN_QUERY_PARAMETER } from './api-types';
import { ConsoleApi } from './console-api';
import { ConsoleApiError, toConsoleApiError } from './errors';
import { CONSOLE_HOST, SECURITY_HEADERS, checkRequest, createConsoleToken, pageCookie } from './security';
import type { ConsoleAssets } from '../web/assets';
import { fallbackAssets } from './fallback-page';

/** Largest request body the API reads (a routing document draft is far smaller), bytes. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/** The web app's files by URL path (`/`, `/app.js`, `/app.css`, …), as `console/web/assets.ts` builds them. */
export type ConsoleAssetMap = ConsoleAssets;

/** Options of {@link startConsoleServer}. */
export interface ConsoleServerOptions {
  /** The platform, as the CLI loads it. */
  readonly platform: Platform;
  /** The CLI's clients for it; the server does not close them. */
  readonly clients: CliClients;
  /** Whether redrive and delete are allowed (always locally; against AWS only with `--allow-actions`). */
  readonly actionsAllowed: boolean;
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** The web app's files (`loadConsoleAssets` of `console/web/assets.ts`). @default - a minimal page that lists the API */
  readonly assets?: () => Promise<ConsoleAssetMap>;
  /** Where the server reports failures it answered with a 500 (error name and message only). @default - nowhere */
  readonly log?: (line: string) => void;
  /** Milliseconds between two `overview` events. @default 5000 */
  readonly overviewIntervalMs?: number;
}

/** A running console server. */
export interface RunningConsoleServer {
  /** The URL to open, with the token: `http://127.0.0.1:<port>/?token=<token>`. */
  readonly url: string;
  readonly port: number;
  /** The token every request must carry. */
  readonly token: string;
  /** The API behind the server (its jobs, for a clean stop). */
  readonly api: ConsoleApi;
  /** Stops accepting requests, ends the event streams, waits for running jobs, and closes the server. */
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, contentType: string, body: string | Buffer, head = false): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  response.end(head ? undefined : body);
}

function sendJson(response: ServerResponse, status: number, value: unknown, head = false): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value), head);
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    if (bytes > MAX_REQUEST_BODY_BYTES) {
      throw new ConsoleApiError(413, 'payload-too-large', `the request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ConsoleApiError(400, 'bad-request', 'the request body is empty: send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConsoleApiError(400, 'bad-request', `the request body is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Adds the token to the page's references to its own files (`src="/app.js"` → `src="/app.js?token=…"`): a browser
 * fetches them without the `X-Bosun-Token` header, and every request needs the token.
 */
function withTokenInAssetUrls(html: string, token: string): string {
  // Only same-origin paths (`/x`), never `//host/x`, which is another origin: the token must not leave the console.
  return html.replace(/\b(src|href)="(\/(?!\/)[^"?#]*)"/g, (_match, attribute: string, path: string) => `${attribute}="${path}?${TOKEN_QUERY_PARAMETER}=${token}"`);
}

/** Writes one Server-Sent Event. */
function writeEvent<E extends ConsoleEventName>(response: ServerResponse, event: E, data: ConsoleEvents[E]): void {
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Splits `/api/dlq/default/messages/abc/payload` into decoded segments after `/api/`. */
function apiSegments(pathname: string): string[] | undefined {
  try {
    return pathname.slice('/api/'.length).split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/**
 * Starts the Bosun console's HTTP server on 127.0.0.1 (never another interface): the web app's files and the JSON API
 * of `api-types.ts`, every request checked by `checkRequest` (token, Host, Origin, content type), every answer with
 * the console's security headers. Nothing is written to the platform except by an explicit redrive or delete.
 *
 * @example
 * const server = await startConsoleServer({ platform, clients, actionsAllowed: true });
 * console.log(`Bosun console: ${server.url}`);
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<RunningConsoleServer> {
  const token = createConsoleToken();
  const api = new ConsoleApi({ platform: options.platform, clients: options.clients, actionsAllowed: options.actionsAllowed });
  const log = options.log ?? ((): void => undefined);
  const assets = await (options.assets ?? fallbackAssets)();
  const intervalMs = options.overviewIntervalMs ?? OVERVIEW_EVENT_INTERVAL_SECONDS * 1000;
  const streams = new Set<ServerResponse>();
  let port = 0;

  let latest: { readonly at: number; readonly overview: OverviewResponse } | undefined;
  let reading: Promise<OverviewResponse> | undefined;
  /** One overview reading at a time, shared by every stream and GET that asks meanwhile. */
  const readOverview = (): Promise<OverviewResponse> => {
    reading ??= api.overview().then(
      (overview) => {
        latest = { at: Date.now(), overview };
        reading = undefined;
        return overview;
      },
      (error: unknown) => {
        reading = undefined;
        throw error;
      },
    );
    return reading;
  };
  const broadcast = async (): Promise<void> => {
    if (streams.size === 0) return;
    try {
      const overview = await readOverview();
      for (const stream of streams) writeEvent(stream, 'overview', overview);
    } catch (error) {
      log(`console: the overview could not be read: ${describeError(error)}`);
    }
  };
  const timer = setInterval(() => void broadcast(), intervalMs);
  timer.unref();
  const unsubscribeJobs = api.jobs.subscribe((job) => {
    for (const stream of streams) writeEvent(stream, 'job', job);
  });

  const openStream = async (response: ServerResponse): Promise<void> => {
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    response.write(`retry: ${intervalMs}\n\n`);
    streams.add(response);
    response.on('close', () => streams.delete(response));
    const fresh = latest !== undefined && Date.now() - latest.at < intervalMs ? latest.overview : await readOverview().catch(() => undefined);
    if (fresh !== undefined && streams.has(response)) writeEvent(response, 'overview', fresh);
  };

  const routeApi = async (request: IncomingMessage, response: ServerResponse, url: URL, head: boolean): Promise<void> => {
    const segments = apiSegments(url.pathname);
    if (segments === undefined) throw new ConsoleApiError(400, 'bad-request', 'the path is not valid percent-encoding');
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const route = segments.join('/');
    const [first, second, third, fourth, fifth] = segments;
    const allow = (allowed: 'GET' | 'POST'): void => {
      if (method !== allowed) {
        throw new ConsoleApiError(405, 'method-not-allowed', `${request.method ?? '?'} is not allowed on /api/${route} (allowed: ${allowed})`);
      }
    };
    const answer = async (allowed: 'GET' | 'POST', status: number, produce: () => unknown): Promise<void> => {
      allow(allowed);
      sendJson(response, status, await produce(), head);
    };
    const body = (): Promise<unknown> => readJsonBody(request);
    if (route === 'platform') return answer('GET', 200, () => api.platformInfo());
    if (route === 'overview') return answer('GET', 200, readOverview);
    if (route === 'events') {
      allow('GET');
      return openStream(response);
    }
    if (route === 'flags') return answer('GET', 200, () => api.flags());
    if (route === 'flags/validate') return answer('POST', 200, async () => api.validateFlags(await body()));
    if (route === 'flags/explain') return answer('POST', 200, async () => api.explain(await body()));
    if (first === 'jobs' && second !== undefined && segments.length === 2) return answer('GET', 200, () => api.job(second));
    if (first === 'tasks' && second !== undefined && segments.length === 2) return answer('GET', 200, () => api.task(second));
    if (first === 'dlq' && second !== undefined) {
      if (segments.length === 2) return answer('GET', 200, () => api.listDlq(second, url.searchParams));
      if (segments.length === 3 && third === 'redrive') return answer('POST', 202, async () => api.redrive(second, await body()));
      if (segments.length === 3 && third === 'delete') return answer('POST', 202, async () => api.delete(second, await body()));
      if (segments.length === 5 && third === 'messages' && fourth !== undefined && fifth === 'payload') {
        return answer('GET', 200, () => api.payload(second, fourth));
      }
    }
    throw new ConsoleApiError(404, 'not-found', `no API endpoint /api/${route}`);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const head = request.method === 'HEAD';
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'POST') {
        throw new ConsoleApiError(405, 'method-not-allowed', `${request.method ?? '?'} is not allowed (allowed: GET, HEAD, POST)`);
      }
      const url = new URL(request.url ?? '/', `http://${CONSOLE_HOST}:${port}`);
      checkRequest(request, url, { port, token });
      if (url.pathname.startsWith('/api/')) {
        await routeApi(request, response, url, head);
        return;
      }
      const asset = assets.get(url.pathname);
      if (asset === undefined || request.method === 'POST') {
        throw new ConsoleApiError(404, 'not-found', `no page ${url.pathname} (the console's pages are under / and its API under /api/)`);
      }
      const page = asset.contentType.startsWith('text/html');
      // The page sets the cookie a reload fetches it with: the app has moved the token out of the address bar.
      if (page) response.setHeader('Set-Cookie', pageCookie(port, token));
      const body = page ? Buffer.from(withTokenInAssetUrls(asset.body.toString('utf8'), token)) : asset.body;
      send(response, 200, asset.contentType, body, head);
    } catch (error) {
      const answer = toConsoleApiError(error);
      if (answer.status >= 500) log(`console: ${request.method ?? '?'} ${(request.url ?? '').split('?')[0] ?? ''} failed: ${describeError(error)}`);
      if (response.headersSent) {
        response.end();
        return;
      }
      sendJson(response, answer.status, answer.body(), head);
    }
  };

  const server: Server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, CONSOLE_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${CONSOLE_HOST}:${port}/?${TOKEN_QUERY_PARAMETER}=${token}`;
  return {
    url,
    port,
    token,
    api,
    async close() {
      clearInterval(timer);
      unsubscribeJobs();
      for (const stream of streams) stream.end();
      streams.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await api.jobs.settle();
      server.closeAllConnections();
      await closed;
    },
  };
}
