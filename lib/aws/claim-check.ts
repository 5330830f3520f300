import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { CLAIM_CHECK_KEY_PREFIX, type ClaimCheckReference } from '../contract';
import { AwsCallFailedError, ClaimCheckCorruptError, ClaimCheckMissingError } from './errors';

/** Key prefix of every claim-check object; the platform's lifecycle rule expires objects under it. */
export const CLAIM_CHECK_PREFIX = CLAIM_CHECK_KEY_PREFIX;

/** Bytes of randomness in a claim-check key: 128 bits, so a key cannot be guessed or enumerated. */
const KEY_RANDOM_BYTES = 16;

/** Options of {@link ClaimCheckStore}. */
export interface ClaimCheckStoreOptions {
  /** S3 client (share one per process; see `createAwsClients`). */
  readonly s3: S3Client;
  /** Claim-check bucket name. */
  readonly bucket: string;
}

/** Size in bytes and lower-case hex SHA-256 of a UTF-8 text. */
export function measurePayload(payloadJson: string): { bytes: number; sha256: string } {
  const data = Buffer.from(payloadJson, 'utf8');
  return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
}

/**
 * Stores payloads too large for an SQS message in S3 and reads them back verified. Keys are
 * `claim-checks/<taskId>/<128-bit random hex>`: unguessable, and grouped per task for operators. The reference
 * records the byte size and SHA-256, and `fetch` refuses an object that does not match both.
 *
 * Objects are not deleted by the consumer; the bucket's lifecycle rule expires them (longer than the DLQ retention,
 * so a redriven task still finds its payload). A producer whose SQS send fails after the put deletes the object
 * best-effort; if that delete fails too, the lifecycle rule removes the orphan.
 *
 * @example
 * const store = new ClaimCheckStore({ s3, bucket: 'bosun-dev-claim-checks' });
 * const ref = await store.put(taskId, JSON.stringify(payload));
 * const text = await store.fetch(ref, { taskId, taskName: 'report.render' });
 */
export class ClaimCheckStore {
  private readonly s3: S3Client;
  private readonly bucket: string;

  public constructor(options: ClaimCheckStoreOptions) {
    this.s3 = options.s3;
    this.bucket = options.bucket;
  }

  /**
   * Writes a payload (its JSON text) under a new unguessable key and returns the reference to put in the envelope.
   *
   * @throws AwsCallFailedError when S3 rejects the write.
   */
  public async put(taskId: string, payloadJson: string): Promise<ClaimCheckReference> {
    const data = Buffer.from(payloadJson, 'utf8');
    const sha256 = createHash('sha256').update(data).digest('hex');
    const key = `${CLAIM_CHECK_PREFIX}${taskId}/${randomBytes(KEY_RANDOM_BYTES).toString('hex')}`;
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: data,
          ContentType: 'application/json',
          ContentLength: data.length,
          Metadata: { 'bosun-task-id': taskId, 'bosun-sha256': sha256 },
        }),
      );
    } catch (error) {
      throw new AwsCallFailedError('S3', 'PutObject', taskId, error);
    }
    return { bucket: this.bucket, key, bytes: data.length, sha256 };
  }

  /**
   * Reads a claim-checked payload and returns its JSON text once its size and SHA-256 match the reference.
   *
   * @throws ClaimCheckMissingError when the object does not exist.
   * @throws ClaimCheckCorruptError when its size or SHA-256 differs from the reference.
   * @throws AwsCallFailedError for any other S3 failure (worth a retry).
   */
  public async fetch(ref: ClaimCheckReference, ctx: { taskId: string; taskName: string }): Promise<string> {
    let data: Uint8Array;
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      if (response.Body === undefined) throw Object.assign(new Error('empty response body'), { name: 'NoSuchKey' });
      data = await response.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) {
        throw new ClaimCheckMissingError({ ...ctx, bucket: ref.bucket, key: ref.key }, { cause: error });
      }
      throw new AwsCallFailedError('S3', 'GetObject', ctx.taskId, error);
    }
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (data.length !== ref.bytes || sha256 !== ref.sha256) {
      throw new ClaimCheckCorruptError({
        ...ctx,
        bucket: ref.bucket,
        key: ref.key,
        expectedBytes: ref.bytes,
        actualBytes: data.length,
        expectedSha256: ref.sha256,
        actualSha256: sha256,
      });
    }
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  }

  /**
   * Deletes a claim-check object. Deleting an object that is already gone succeeds.
   *
   * @throws AwsCallFailedError when S3 rejects the delete.
   */
  public async delete(ref: ClaimCheckReference): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw new AwsCallFailedError('S3', 'DeleteObject', undefined, error);
    }
  }
}
