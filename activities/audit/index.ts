export { chainLog, type ChainLog, type ChainLogOptions } from './chain-log';
export { verifyAuditLog, verifyChain, type AuditVerification, type ChainBreak } from './verify';
export { GENESIS_HASH, type AuditRecord, type ChainHead } from './record';
export { auditCheckpoints, readCheckpoints } from './checkpoints';
export { auditLogFor } from './from-config';
