import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { call } from '../aws/calls';
import { classify } from '../errors';
import { checkKey, EvidenceConflictError, type EvidenceStore } from './store';

export interface S3EvidenceSettings {
  bucket: string;
  prefix: string;
  /** every object is locked in COMPLIANCE mode this long: nobody, root included, can delete it */
  retentionDays: number;
}

/**
 * S3 with Object Lock. The bucket must have Object Lock enabled (it can only be turned on at
 * creation). Each object is written once with a compliance-mode retention date and a SHA-256
 * checksum S3 verifies on receipt.
 */
export function s3EvidenceStore(s3: S3Client, settings: S3EvidenceSettings, now: () => Date = () => new Date()): EvidenceStore {
  const prefix = settings.prefix ? `${settings.prefix.replace(/\/$/, '')}/` : '';
  const objectKey = (key: string) => `${prefix}${checkKey(key)}`;
  const store: EvidenceStore = {
    location: `s3://${settings.bucket}/${prefix}`,
    async put(key, body) {
      const existing = await store.get(key);
      if (existing) {
        if (!Buffer.from(existing).equals(Buffer.from(body))) {
          throw new EvidenceConflictError(`evidence ${key} already exists with other content; it is never overwritten`);
        }
        return;
      }
      await call(`s3 PutObject ${key}`, () =>
        s3.send(
          new PutObjectCommand({
            Bucket: settings.bucket,
            Key: objectKey(key),
            Body: body,
            ChecksumAlgorithm: 'SHA256',
            ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
            ObjectLockMode: 'COMPLIANCE',
            ObjectLockRetainUntilDate: new Date(now().getTime() + settings.retentionDays * 86_400_000),
            // a second writer racing us fails instead of replacing the object
            IfNoneMatch: '*',
          }),
        ),
      );
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
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await call(`s3 ListObjectsV2 ${under}`, () =>
          s3.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: `${prefix}${under}`, ContinuationToken: token })),
        );
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key.slice(prefix.length));
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
  };
  return store;
}
