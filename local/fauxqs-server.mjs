// Runs the fauxqs SQS + S3 emulator in its own process: fauxqs is ESM-only and resolves only under `import`.
// Usage: node local/fauxqs-server.mjs <port> <region>
//
// fauxqs' own `startFauxqs` always listens on 0.0.0.0 (its `host` option only names the host in queue URLs), which
// would let anyone on the network read and write the queues and buckets. `buildApp` is the same server without the
// listen call, so it is listened on here, on loopback only.
//
// fauxqs speaks only SQS's JSON protocol (a form-urlencoded POST goes to its SNS router). SQS's query protocol, which
// botocore 1.29 and kombu (Celery) speak, is translated here, in front of fauxqs' router, so it applies to every way a
// request reaches the emulator: directly, through the IAM gateway, through a fault proxy.
import { randomUUID } from 'node:crypto';
import { buildApp } from 'fauxqs';
import sqsQuery from './sqs-query-protocol.js';
import { enforceSqsLimits } from './sqs-limits.mjs';

const LOOPBACK = '127.0.0.1';
const port = Number(process.argv[2]);
const region = process.argv[3] ?? 'us-east-1';
const app = buildApp({ logger: false, defaultRegion: region });
enforceSqsLimits(app);

function readAll(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request's own headers for a call fauxqs makes in process: its signature (region) and host (queue URLs). */
function forwardedHeaders(req) {
  const headers = { ...req.headers };
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  delete headers['content-type'];
  return headers;
}

/** Queue name → fauxqs' URL of the queue, for query requests (see answerSqsQuery). */
const queueUrls = new Map();

async function answer(req, res) {
  const body = await readAll(req);
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const params = sqsQuery.queryParametersOf(method, url, req.headers['content-type'], body);
  let reply;
  if (params !== undefined && sqsQuery.isSqsQuery(params)) {
    const callJson = async (action, input) => {
      const response = await app.inject({
        method: 'POST',
        url: '/',
        headers: { ...forwardedHeaders(req), 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
        payload: JSON.stringify(input),
      });
      return { statusCode: response.statusCode, headers: response.headers, body: response.body };
    };
    reply = await sqsQuery.answerSqsQuery(params, url, callJson, randomUUID(), queueUrls);
  } else {
    // Not SQS (SNS, STS): the body has been read, so fauxqs gets it in process.
    const response = await app.inject({ method, url, headers: req.headers, payload: body });
    reply = { statusCode: response.statusCode, headers: response.headers, body: response.rawPayload };
  }
  const headers = { ...reply.headers };
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  delete headers['connection'];
  res.writeHead(reply.statusCode, headers);
  res.end(reply.body);
}

// Every other request (the JSON protocol, S3's streams) goes to fauxqs untouched.
const routeToFauxqs = app.routing;
app.server.removeAllListeners('request');
app.server.on('request', (req, res) => {
  if (!sqsQuery.mayBeQueryRequest(req.method ?? 'GET', req.url ?? '/', req.headers['content-type'])) {
    routeToFauxqs(req, res);
    return;
  }
  answer(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/xml' });
    res.end(sqsQuery.errorXml({ code: 'InternalFailure', type: 'Receiver', message: 'The request could not be translated.' }, randomUUID()));
  });
});

await app.listen({ port, host: LOOPBACK });
const address = app.server.address();
process.stdout.write(`fauxqs listening on ${LOOPBACK}:${typeof address === 'object' && address !== null ? address.port : port}\n`);
const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
