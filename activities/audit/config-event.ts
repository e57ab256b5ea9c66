import { hostname } from 'node:os';
import { canonicalJson, sha256Hex } from '../../platform/canonical-json';
import type { Config } from '../../platform/config';
import { singleEventId, type AuditEvent } from '../audit-sink';

/** "configuration loaded": which settings a process runs with, by hash (secrets never leave). */
export function configLoadedEvent(config: Config, role: string): AuditEvent {
  return {
    id: singleEventId(role),
    who: `${role}:${process.pid}`,
    what: 'config.loaded',
    when: new Date().toISOString(),
    where: hostname(),
    why: { reason: 'process start' },
    correlationId: `process/${hostname()}/${process.pid}`,
    details: {
      configHash: sha256Hex(canonicalJson(config)),
      codec: config.codec.kms ? 'kms' : config.codec.keys.length > 0 ? 'configured keys' : 'local key file',
      evidence: config.evidence.s3 ? `s3://${config.evidence.s3.bucket}` : 'local',
    },
  };
}
