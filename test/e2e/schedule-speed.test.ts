import * as path from 'node:path';
import { createTaskClient } from '../../lib/sdk/task-client';
import { taskClientOptionsFromPlatform } from '../../lib/sdk/platform-options';
import { runLocalPlatform } from '../../local/run-local-platform';

// `npm start -- --schedule-speed 300`: five minutes of schedule time pass in a second, so the default platform's
// heartbeat (rate(5 minutes)) fires about once a second, and each firing runs as its own task.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'e2e-schedule-speed');

jest.setTimeout(180_000);

describe('npm start --schedule-speed', () => {
  it('says how fast the schedule clock runs, and the heartbeat fires and runs within seconds', async () => {
    const lines: string[] = [];
    let stop!: () => void;
    const until = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = runLocalPlatform({ projectRoot: PROJECT_ROOT, dataDir: DATA_DIR, demo: false, scheduleSpeed: 300, until, print: (text) => lines.push(text) });
    try {
      const firedHeartbeat = /^\[bosun\] scheduler: fired bosun-local-periodic\/heartbeat for (\S+)$/;
      const deadline = Date.now() + 120_000;
      while (lines.filter((line) => firedHeartbeat.test(line)).length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(lines).toContain('schedule clock: 300× real time (a minute of schedule time passes in 0.2 s): nightly-digest (cron(0 3 * * ? *)), heartbeat every 1 s');
      const fired = lines.map((line) => firedHeartbeat.exec(line)?.[1]).filter((time) => time !== undefined);
      expect(fired.length).toBeGreaterThanOrEqual(2);
      // Consecutive firings are five schedule minutes apart.
      expect(Date.parse(fired[1]!) - Date.parse(fired[0]!)).toBe(5 * 60 * 1000);

      const client = createTaskClient(taskClientOptionsFromPlatform({ dataDir: DATA_DIR }));
      const taskId = `heartbeat@${fired[0]!}`;
      let status: string | undefined;
      while (status !== 'succeeded' && Date.now() < deadline) {
        status = (await client.getTask(taskId))?.status;
        if (status !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(status).toBe('succeeded');
    } finally {
      stop();
      await running;
    }
  });
});
