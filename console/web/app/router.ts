/** The pages of the console and their parameters, parsed from the URL's hash. */
export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'dlq'; readonly queue?: string; readonly query: URLSearchParams }
  | { readonly page: 'tasks'; readonly taskId?: string }
  | { readonly page: 'flags' }
  | { readonly page: 'not-found'; readonly hash: string };

/** Parses `#/dlq/default?task=x`, `#/tasks/<id>`, `#/flags`, `#/` … into a route. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?', 2);
  const segments = pathPart.split('/').filter((segment) => segment !== '').map(decodeURIComponent);
  const [first, second] = segments;
  if (first === undefined || first === 'overview') return { page: 'overview' };
  if (first === 'dlq') return { page: 'dlq', ...(second === undefined ? {} : { queue: second }), query: new URLSearchParams(queryPart) };
  if (first === 'tasks') return { page: 'tasks', ...(second === undefined ? {} : { taskId: second }) };
  if (first === 'flags') return { page: 'flags' };
  return { page: 'not-found', hash };
}

/** The hash for a DLQ page with its filter, for links and for keeping the filter in the address bar. */
export function dlqHash(queue: string, filter: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value !== undefined && value !== '') params.set(key, value);
  const query = params.toString();
  return `#/dlq/${encodeURIComponent(queue)}${query === '' ? '' : `?${query}`}`;
}

/** The hash of a task's lookup page. */
export function taskHash(taskId: string): string {
  return `#/tasks/${encodeURIComponent(taskId)}`;
}
