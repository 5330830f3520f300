import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { emailSend, reportRender } from '../../lambdas/tasks';
import { Limits } from '../../lib/contract';
import { validateRoutingDocument } from '../../lib/sdk';

async function docs(): Promise<string[]> {
  const pages = (await readdir('docs')).filter((file) => file.endsWith('.md')).map((file) => path.join('docs', file));
  return ['README.md', ...pages];
}

describe('the example files the docs name', () => {
  it('exist', async () => {
    const named = new Set<string>();
    for (const doc of await docs()) {
      for (const match of (await readFile(doc, 'utf8')).matchAll(/examples\/[\w/-]+(?:\.[\w.]*\w)?/g)) named.add(match[0]);
    }

    expect(named.size).toBeGreaterThanOrEqual(6);
    // an import names a module without its extension
    expect([...named].filter((file) => !existsSync(file) && !existsSync(`${file}.ts`))).toEqual([]);
  });

  it('hold payloads their tasks accept, the large one above the claim-check threshold', async () => {
    const mail = JSON.parse(await readFile('examples/payloads/mail.json', 'utf8')) as unknown;
    const reportText = await readFile('examples/payloads/big-report.json', 'utf8');

    expect(emailSend.schema.safeParse(mail).success).toBe(true);
    expect(reportRender.schema.safeParse(JSON.parse(reportText)).success).toBe(true);
    expect(Buffer.byteLength(reportText)).toBeGreaterThan(Limits.DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES);
  });

  it('hold a valid routing document', async () => {
    const doc = JSON.parse(await readFile('examples/routing/canary.json', 'utf8')) as unknown;

    expect(validateRoutingDocument(doc, { destinations: ['default', 'bulk'] })).toMatchObject({ defaultDestination: 'default' });
  });
});
