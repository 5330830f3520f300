// Runs the fauxqs SQS + S3 emulator in its own process: fauxqs is ESM-only and resolves only under `import`.
// Usage: node local/fauxqs-server.mjs <port> <region>
//
// fauxqs' own `startFauxqs` always listens on 0.0.0.0 (its `host` option only names the host in queue URLs), which
// would let anyone on the network read and write the queues and buckets. `buildApp` is the same server without the
// listen call, so it is listened on here, on loopback only.
import { buildApp } from 'fauxqs';
import { enforceSqsLimits } from './sqs-limits.mjs';

const LOOPBACK = '127.0.0.1';
const port = Number(process.argv[2]);
const region = process.argv[3] ?? 'us-east-1';
const app = buildApp({ logger: false, defaultRegion: region });
enforceSqsLimits(app);
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
