import type { ConsoleAssetMap } from './console-server';

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <title>Bosun console</title>
  </head>
  <body>
    <main>
      <h1>Bosun console</h1>
      <p>The console's web app is not built into this copy of Bosun. Its JSON API answers here; every request needs the
      console token (header <code>X-Bosun-Token</code>, or <code>?token=</code>).</p>
      <ul>
        <li><code>GET /api/platform</code>, <code>GET /api/overview</code>, <code>GET /api/events</code></li>
        <li><code>GET /api/dlq/&lt;queue&gt;</code>, <code>GET /api/dlq/&lt;queue&gt;/messages/&lt;id&gt;/payload</code></li>
        <li><code>POST /api/dlq/&lt;queue&gt;/redrive</code>, <code>POST /api/dlq/&lt;queue&gt;/delete</code>, <code>GET /api/jobs/&lt;id&gt;</code></li>
        <li><code>GET /api/tasks/&lt;id&gt;</code></li>
        <li><code>GET /api/flags</code>, <code>POST /api/flags/validate</code>, <code>POST /api/flags/explain</code></li>
      </ul>
    </main>
  </body>
</html>
`;

/**
 * The page the console serves when it is given no web app: what the console is and where its API is. No script, so
 * it works under the console's Content-Security-Policy as it is.
 *
 * @example
 * const server = await startConsoleServer({ platform, clients, actionsAllowed: true, assets: fallbackAssets });
 */
export function fallbackAssets(): Promise<ConsoleAssetMap> {
  return Promise.resolve(new Map([['/', { contentType: 'text/html; charset=utf-8', body: Buffer.from(PAGE, 'utf8') }]]));
}
