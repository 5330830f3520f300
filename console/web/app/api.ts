import { TOKEN_HEADER, TOKEN_QUERY_PARAMETER } from '../../server/api-types';

const TOKEN_STORAGE_KEY = 'bosun-console-token';

/** An API answer that was not a success: the server's `{ error: { code, message } }`, or a network failure. */
export class ConsoleApiError extends Error {
  override readonly name = 'ConsoleApiError';
  constructor(
    message: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** The server's error code, for example `not_found`. */
    readonly code: string,
  ) {
    super(message);
  }
}

let token: string | undefined;

/**
 * Takes the console token from the address bar (`?token=`) into memory and sessionStorage, and removes it from the
 * address bar, so it does not end up in history, bookmarks or a screenshot. A reload finds it in sessionStorage.
 */
export function adoptToken(): string | undefined {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get(TOKEN_QUERY_PARAMETER);
  if (fromUrl !== null && fromUrl !== '') {
    token = fromUrl;
    try {
      window.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromUrl);
    } catch {
      // Storage can be disabled; the token then lives in memory only and a reload needs the printed URL again.
    }
    url.searchParams.delete(TOKEN_QUERY_PARAMETER);
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  } else {
    try {
      token = window.sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? undefined;
    } catch {
      token = undefined;
    }
  }
  return token;
}

function requireToken(): string {
  if (token === undefined) {
    throw new ConsoleApiError('No console token: open the URL that `bosun console` printed.', 403, 'no_token');
  }
  return token;
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { [TOKEN_HEADER]: requireToken(), Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'omit',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ConsoleApiError(`The console server did not answer (${(error as Error).message}). Is \`bosun console\` still running?`, 0, 'unreachable');
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const message = typeof error?.message === 'string' ? error.message : `${method} ${path} failed with HTTP ${response.status}`;
    const code = typeof error?.code === 'string' ? error.code : `http_${response.status}`;
    throw new ConsoleApiError(message, response.status, code);
  }
  return parsed as T;
}

/** GETs a JSON API path with the token. */
export function getJson<T>(path: string): Promise<T> {
  return request<T>('GET', path);
}

/** POSTs a JSON body to an API path with the token. */
export function postJson<T>(path: string, body: unknown): Promise<T> {
  return request<T>('POST', path, body);
}

/** Opens the server's event stream; EventSource cannot send headers, so the token goes in the query. */
export function openEvents(): EventSource {
  return new EventSource(`/api/events?${TOKEN_QUERY_PARAMETER}=${encodeURIComponent(requireToken())}`);
}

/** Builds `path?k=v&…` from the defined, non-empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** The message of an error for the page, never a stack. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
