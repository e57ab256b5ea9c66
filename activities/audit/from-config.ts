import type { Config } from '../../platform/config';
import { auditLogPath, evidenceStoreFor } from '../evidence/from-config';
import { chainLog, type ChainLog } from './chain-log';
import { auditCheckpoints } from './checkpoints';

/** The configured audit log, checkpointing its head to the configured evidence store. */
export function auditLogFor(config: Config): ChainLog {
  return chainLog({
    path: auditLogPath(config),
    sensitiveFields: config.audit.sensitiveFields,
    checkpointEvery: config.audit.checkpointEvery,
    onCheckpoint: auditCheckpoints(evidenceStoreFor(config)),
    // The records are safe on disk; a missed checkpoint is reported, and the next one is taken as usual.
    onCheckpointError: (err) => process.emitWarning(`audit checkpoint not written: ${(err as Error).message}`),
  });
}
