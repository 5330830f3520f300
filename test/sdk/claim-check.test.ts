import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { emulatorClients, uniqueName } from '../support/emulator-env';
import { ClaimCheckStore } from '../../lib/aws/claim-check';
import { ClaimCheckCorruptError, ClaimCheckMissingError } from '../../lib/sdk/errors';

const { s3 } = emulatorClients();
const bucket = uniqueName('claims');
const ctx = { taskId: '01JTESTTASK0000000000000000', taskName: 'report.render' };

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const object of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
});

describe('ClaimCheckStore', () => {
  const store = new ClaimCheckStore({ s3, bucket });

  it('stores a payload under an unguessable per-task key with its size and SHA-256', async () => {
    const text = JSON.stringify({ report: 'é'.repeat(1000) });
    const ref = await store.put(ctx.taskId, text);
    expect(ref.bucket).toBe(bucket);
    expect(ref.key).toMatch(new RegExp(`^claim-checks/${ctx.taskId}/[0-9a-f]{32}$`));
    expect(ref.bytes).toBe(Buffer.byteLength(text, 'utf8'));
    expect(ref.sha256).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: ref.key }));
    expect(await stored.Body?.transformToString()).toBe(text);
  });

  it('gives two puts of the same task different keys', async () => {
    const a = await store.put(ctx.taskId, '{}');
    const b = await store.put(ctx.taskId, '{}');
    expect(a.key).not.toBe(b.key);
  });

  it('returns the verified JSON text on fetch', async () => {
    const text = JSON.stringify({ rows: Array.from({ length: 50 }, (_, i) => ({ i, name: `row-${i}` })) });
    const ref = await store.put(ctx.taskId, text);
    await expect(store.fetch(ref, ctx)).resolves.toBe(text);
  });

  it('throws ClaimCheckMissingError when the object is gone', async () => {
    const ref = await store.put(ctx.taskId, '{"a":1}');
    await store.delete(ref);
    const error = await store.fetch(ref, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClaimCheckMissingError);
    expect((error as ClaimCheckMissingError).name).toBe('ClaimCheckMissingError');
    expect((error as Error).message).toBe(
      `claim-check object s3://${bucket}/${ref.key} of task ${ctx.taskId} (report.render) does not exist; it was deleted or expired by the bucket's lifecycle rule`,
    );
  });

  it('throws ClaimCheckCorruptError when the object was replaced by other bytes of another size', async () => {
    const ref = await store.put(ctx.taskId, '{"a":1}');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: ref.key, Body: '{"a":12}' }));
    await expect(store.fetch(ref, ctx)).rejects.toThrow(
      `claim-check object s3://${bucket}/${ref.key} of task ${ctx.taskId} (report.render) is 8 bytes but the envelope says 7`,
    );
  });

  it('throws ClaimCheckCorruptError when the object has the right size but other bytes', async () => {
    const ref = await store.put(ctx.taskId, '{"a":1}');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: ref.key, Body: '{"a":2}' }));
    const error = await store.fetch(ref, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClaimCheckCorruptError);
    expect((error as ClaimCheckCorruptError).expectedSha256).toBe(ref.sha256);
    expect((error as ClaimCheckCorruptError).actualSha256).toBe(createHash('sha256').update('{"a":2}').digest('hex'));
  });

  it('deletes idempotently', async () => {
    const ref = await store.put(ctx.taskId, '{}');
    await store.delete(ref);
    await expect(store.delete(ref)).resolves.toBeUndefined();
  });
});
