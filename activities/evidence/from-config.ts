import { join, resolve } from 'node:path';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { S3Client } from '@aws-sdk/client-s3';
import type { EvidenceActivityDeps } from './activities';
import { cancellableRequestHandler } from '../aws/clients';
import type { Config } from '../../platform/config';
import { storeKeys } from '../../platform/data-converter';
import type { KeyRing } from '../../platform/key-ring';
import { localEvidenceStore } from './local-store';
import { s3EvidenceStore } from './s3-store';
import type { EvidenceStore } from './store';

/**
 * S3 Object Lock when a bucket is configured, otherwise the local write-once directory; encrypted
 * at rest with the codec's keys (a process that only reads them never creates the key file).
 */
export function evidenceStoreFor(config: Config, keys: KeyRing = storeKeys(config)): EvidenceStore {
  const { s3 } = config.evidence;
  if (s3) {
    const client = new S3Client({
      region: config.aws.region,
      forcePathStyle: !!config.aws.endpoint,
      requestHandler: cancellableRequestHandler(),
      ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
    });
    return s3EvidenceStore(client, s3, keys);
  }
  return localEvidenceStore(resolve(config.evidence.dir ?? join(config.dataDir, 'evidence')), keys);
}

export function auditLogPath(config: Config): string {
  return resolve(config.audit.path ?? join(config.dataDir, 'audit.log'));
}

/** The evidence activities' settings and clients, from configuration. */
export function evidenceDeps(config: Config, keys: KeyRing = storeKeys(config)): EvidenceActivityDeps['evidence'] {
  const aws = { region: config.aws.region, ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) };
  return {
    store: evidenceStoreFor(config, keys),
    legacyRawDir: resolve(config.dataDir, 'raw'),
    ...(config.evidence.cloudTrail ? { cloudTrail: new CloudTrailClient({ ...aws, maxAttempts: 1, requestHandler: cancellableRequestHandler() }) } : {}),
    cloudTrailLookbackHours: config.evidence.cloudTrailLookbackHours,
  };
}
