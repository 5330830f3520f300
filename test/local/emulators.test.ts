import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import * as path from 'node:path';
import { reservePort } from '../../local/emulators';
import { emulatorEndpoints } from '../support/emulator-env';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

describe('startEmulators', () => {
  it('leaves no emulator running when the process that started them is killed with SIGKILL', async () => {
    // `node --import tsx` (not the tsx CLI, which runs the script in a second process) so the SIGKILL hits the owner.
    const owner = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support', 'start-emulators-and-wait.ts')], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const endpoints = await new Promise<{ sqs: string; dynamodb: string }>((resolve, reject) => {
      let text = '';
      owner.stdout.setEncoding('utf8');
      owner.stdout.on('data', (chunk: string) => {
        text += chunk;
        const line = text.split('\n').find((l) => l.startsWith('{'));
        if (line !== undefined) resolve(JSON.parse(line) as { sqs: string; dynamodb: string });
      });
      owner.once('exit', (code) => reject(new Error(`the owner process exited (${code}) before the emulators started`)));
    });
    expect(await answers(endpoints.sqs)).toBe(true);
    expect(await answers(endpoints.dynamodb)).toBe(true);

    owner.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    let up = true;
    while (up && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      up = (await answers(endpoints.sqs)) || (await answers(endpoints.dynamodb));
    }

    expect(up).toBe(false);
    // Starting both emulators (DynamoDB Local's launcher is compiled on start) and the 15 s wait above, on a busy machine.
  }, 60_000);
});

/** Connects to host:port; resolves `connected` or the error code (ECONNREFUSED when nothing listens there). */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Every non-loopback address of this machine (IPv6 link-local ones need a scope and are left to the kernel check). */
function nonLoopbackAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal && !(entry.family === 'IPv6' && entry.address.startsWith('fe80')))
    .map((entry) => entry.address);
}

/** The local addresses the kernel has a listening TCP socket on for `port` (Linux: /proc/net/tcp and tcp6). */
function listeningAddresses(port: number): string[] | undefined {
  if (!existsSync('/proc/net/tcp')) return undefined;
  const LISTEN = '0A';
  const addresses: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local === undefined || state !== LISTEN) continue;
      const [hexAddress, hexPort] = local.split(':') as [string, string];
      if (parseInt(hexPort, 16) !== port) continue;
      // Addresses are 32-bit words in host (little-endian) byte order; the last word of a v4-mapped v6 is the v4.
      const lastWord = hexAddress.slice(-8);
      const v4 = (lastWord.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)).join('.');
      const mapped = hexAddress.length === 32 && hexAddress.slice(0, 24) === '0000000000000000FFFF0000';
      addresses.push(hexAddress.length === 8 || mapped ? v4 : `v6:${hexAddress}`);
    }
  }
  return addresses;
}

describe('emulators', () => {
  const endpoints = emulatorEndpoints();
  const ports = {
    'fauxqs (SQS/S3)': Number(new URL(endpoints.sqsEndpoint).port),
    'DynamoDB Local': Number(new URL(endpoints.dynamoDbEndpoint).port),
  };

  it.each(Object.entries(ports))('%s listens on 127.0.0.1 only', async (_label, port) => {
    expect(await tryConnect('127.0.0.1', port)).toBe('connected');
    const kernel = listeningAddresses(port);
    const outside = nonLoopbackAddresses();
    // At least one of the two checks must apply: a machine with no other interface still has /proc on Linux.
    expect(kernel !== undefined || outside.length > 0).toBe(true);

    if (kernel !== undefined) expect(kernel).toEqual(['127.0.0.1']);
    for (const address of outside) {
      expect(`${address}: ${await tryConnect(address, port)}`).toBe(`${address}: ECONNREFUSED`);
    }
  });
});

describe('reservePort', () => {
  it('names the port and says it is taken when something already listens on it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(reservePort(port, 'DynamoDB Local')).rejects.toThrow(
        `DynamoDB Local port ${port} on 127.0.0.1 is already in use; choose another port or stop what is using it`,
      );
    } finally {
      server.close();
    }
  });
});
