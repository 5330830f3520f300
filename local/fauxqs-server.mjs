// Runs the fauxqs SQS + S3 emulator in its own process: fauxqs is ESM-only and resolves only under `import`.
// Usage: node local/fauxqs-server.mjs <port> <region>
import { startFauxqs } from 'fauxqs';

const port = Number(process.argv[2]);
const region = process.argv[3] ?? 'us-east-1';
const server = await startFauxqs({ port, defaultRegion: region, logger: false });
process.stdout.write(`fauxqs listening on ${server.port}\n`);
const stop = () => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
