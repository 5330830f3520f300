import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalFunction } from '../../local/local-function';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-crash-'));
const modulePath = path.join(dir, 'handler.js');
fs.writeFileSync(
  modulePath,
  "exports.handler = async (event) => { if (event.wait) await new Promise((r) => setTimeout(r, event.wait)); return { n: (event.Records || []).length }; };\n",
);

function sqsEvent(bodies: string[], wait: number): unknown {
  return { wait, Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) };
}

describe('LocalFunction.crashOne', () => {
  let fn: LocalFunction;
  beforeEach(() => {
    fn = new LocalFunction({ functionName: 'crash-test', modulePath, env: {}, timeoutMs: 10_000 });
  });
  afterEach(async () => {
    await fn.stop();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns undefined when no invocation is running', () => {
    expect(fn.crashOne()).toBeUndefined();
  });

  it('kills a running invocation with Runtime.ExitError and names the task ids of its records', async () => {
    const running = fn.invoke(sqsEvent([JSON.stringify({ id: 'T1' }), 'not json', JSON.stringify({ id: 'T2' }), '{"id":3}'], 5_000));
    await new Promise((resolve) => setTimeout(resolve, 300));

    const killed = fn.crashOne();

    expect(killed).toEqual(['T1', 'T2']);
    await expect(running).rejects.toMatchObject({ name: 'LocalFunctionError', errorType: 'Runtime.ExitError' });
    expect(fn.workerCount).toBe(0);
    await expect(fn.invoke(sqsEvent([JSON.stringify({ id: 'T3' })], 0))).resolves.toEqual({ n: 1 });
  });
});
