import { createHash } from 'node:crypto';
import { GetObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KeyRing } from '../../platform/key-ring';
import { collectPages } from '../aws/calls';
import { classify } from '../errors';
import { sealedStore } from './sealed-store';
import { checkKey, type BlobStore, type EvidenceStore } from './store';

export interface S3EvidenceSettings {
  bucket: string;
  prefix: string;
  /** every object is locked in COMPLIANCE mode this long: nobody, root included, can delete it */
  retentionDays: number;
  /** SSE-KMS with this key on every object, on top of Tourniquet's own encryption */
  kmsKeyId?: string;
}

/**
 * S3 with Object Lock. The bucket must have Object Lock enabled (it can only be turned on at
 * creation). Each object is written once with a compliance-mode retention date, a SHA-256
 * checksum S3 verifies on receipt, and `If-None-Match: *`, so a racing writer cannot replace it.
 */
export function s3BlobStore(s3: S3Client, settings: S3EvidenceSettings, now: () => Date = () => new Date()): BlobStore {
  const prefix = settings.prefix ? `${settings.prefix.replace(/\/$/, '')}/` : '';
  const objectKey = (key: string) => `${prefix}${checkKey(key)}`;
  const store: BlobStore = {
    location: `s3://${settings.bucket}/${prefix}`,
    async create(key, body) {
      if (await store.get(key)) return 'exists';
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: settings.bucket,
            Key: objectKey(key),
            Body: body,
            ChecksumAlgorithm: 'SHA256',
            ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
            ObjectLockMode: 'COMPLIANCE',
            ObjectLockRetainUntilDate: new Date(now().getTime() + settings.retentionDays * 86_400_000),
            ...(settings.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: settings.kmsKeyId } : {}),
            IfNoneMatch: '*',
          }),
        );
        return 'created';
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412) return 'exists';
        classify(err, `s3 PutObject ${key}`);
      }
    },
    async get(key) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: objectKey(key) }));
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
        classify(err, `s3 GetObject ${key}`);
      }
    },
    async list(under) {
      const objects = await collectPages(`s3 ListObjectsV2 ${under}`, paginateListObjectsV2({ client: s3 }, { Bucket: settings.bucket, Prefix: `${prefix}${under}` }), (page) => page.Contents);
      return objects.flatMap((o) => (o.Key ? [o.Key.slice(prefix.length)] : [])).sort();
    },
  };
  return store;
}

/** The S3 evidence store: Object Lock, SSE-KMS when configured, and Tourniquet's encryption at rest. */
export function s3EvidenceStore(s3: S3Client, settings: S3EvidenceSettings, keys: KeyRing, now: () => Date = () => new Date()): EvidenceStore {
  return sealedStore(s3BlobStore(s3, settings, now), keys);
}
