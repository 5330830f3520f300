import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { reservePort } from '../../local/emulators';

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
