import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_HEADER, TOKEN_QUERY_PARAMETER } from './api-types';
import { ConsoleApiError } from './errors';

/** Bytes of randomness in a console token: 256 bits, base64url-encoded. */
const TOKEN_BYTES = 32;

/** The only interface the console listens on. */
export const CONSOLE_HOST = '127.0.0.1';

/**
 * Headers of every answer: never cached, never sniffed, never framed, no referrer, and a Content-Security-Policy
 * that allows the console's own scripts, styles and connections only.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * A new random console token (256 bits, URL-safe).
 *
 * @example
 * const token = createConsoleToken();
 */
export function createConsoleToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The `host:port` values a request to the console may name: the loopback address or `localhost`, on its port. */
function allowedHosts(port: number): readonly string[] {
  return [`${CONSOLE_HOST}:${port}`, `localhost:${port}`];
}

/** Shows a header value people can read in an error, bounded, without control characters. */
function shown(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 100 ? `${printable.slice(0, 100)}…` : printable);
}

/**
 * Name of the cookie that lets a reload fetch the page and its files: `bosun_console_<port>` (cookies are per host, not
 * per port, so two consoles on one machine keep theirs apart).
 *
 * @example
 * const name = pageCookieName(4312); // 'bosun_console_4312'
 */
export function pageCookieName(port: number): string {
  return `bosun_console_${port}`;
}

/**
 * The `Set-Cookie` value the page is served with: the token, `HttpOnly` (no script reads it), `SameSite=Strict` (no
 * other site's request carries it), for the page and its files only — the API never accepts it, so it cannot stand in
 * for the header a cross-site request could not set.
 *
 * @example
 * response.setHeader('Set-Cookie', pageCookie(port, token));
 */
export function pageCookie(port: number, token: string): string {
  return `${pageCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The page cookie's token, for a GET or HEAD of the page or its files; never for the API. */
function pageCookieToken(request: IncomingMessage, url: URL, port: number): string | undefined {
  if (url.pathname.startsWith('/api/') || (request.method !== 'GET' && request.method !== 'HEAD')) return undefined;
  const prefix = `${pageCookieName(port)}=`;
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const cookie = part.trim();
    if (cookie.startsWith(prefix)) return cookie.slice(prefix.length);
  }
  return undefined;
}

/**
 * Checks a request before anything else reads it:
 * - the `Host` header names the console's own address and port (a DNS-rebinding page sends its own host name);
 * - an `Origin`, when the browser sends one, is the console's own (no cross-site requests);
 * - the token, from the `X-Bosun-Token` header or the `token` query parameter (or, for the page and its files only,
 *   the page cookie a reload sends), is the console's;
 * - a POST has `Content-Type: application/json` (a cross-site form cannot send it without a preflight).
 * The token is never echoed in an error.
 *
 * @throws ConsoleApiError (403, code `forbidden` or `unsupported-media-type`) saying which check failed.
 * @example
 * checkRequest(request, url, { port, token });
 */
export function checkRequest(request: IncomingMessage, url: URL, expected: { readonly port: number; readonly token: string }): void {
  const hosts = allowedHosts(expected.port);
  const host = request.headers.host;
  if (host === undefined || !hosts.includes(host.toLowerCase())) {
    throw new ConsoleApiError(
      403,
      'forbidden',
      `the Host header must be ${hosts.join(' or ')} (given ${host === undefined ? 'none' : shown(host)}): the console answers on the loopback address only`,
    );
  }
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const origins = hosts.map((allowed) => `http://${allowed}`);
    if (!origins.includes(origin.toLowerCase())) {
      throw new ConsoleApiError(403, 'forbidden', `cross-origin requests are refused: Origin must be ${origins.join(' or ')} (given ${shown(origin)})`);
    }
  }
  const header = request.headers[TOKEN_HEADER.toLowerCase()];
  const given =
    (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get(TOKEN_QUERY_PARAMETER) ?? pageCookieToken(request, url, expected.port);
  if (given === undefined || given === '') {
    throw new ConsoleApiError(
      403,
      'forbidden',
      `the console token is missing: send it in the ${TOKEN_HEADER} header or the ?${TOKEN_QUERY_PARAMETER}= query parameter (open the URL \`bosun console\` printed)`,
    );
  }
  if (!sameToken(given, expected.token)) {
    throw new ConsoleApiError(403, 'forbidden', 'the console token is wrong: open the URL `bosun console` printed (each run has a new token)');
  }
  if (request.method === 'POST') {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new ConsoleApiError(
        403,
        'unsupported-media-type',
        `a POST must have Content-Type: application/json (given ${request.headers['content-type'] === undefined ? 'none' : shown(request.headers['content-type'])})`,
      );
    }
  }
}
