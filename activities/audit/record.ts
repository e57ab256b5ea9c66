import { canonicalJson, sha256Hex } from '../../platform/canonical-json';
import type { AuditEvent } from '../audit-sink';

/** One line of the audit log: the event, its place in the chain, and the hash that seals both. */
export interface AuditRecord extends AuditEvent {
  seq: number;
  /** the previous record's hash (GENESIS_HASH for the first) */
  prevHash: string;
  /** SHA-256 of the canonical JSON of every other field */
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
export const EMPTY_CHAIN: ChainHead = { seq: 0, hash: GENESIS_HASH };

export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  return sha256Hex(canonicalJson(record));
}

export function sealRecord(event: AuditEvent, head: ChainHead): AuditRecord {
  const unsealed = { ...event, seq: head.seq + 1, prevHash: head.hash };
  return { ...unsealed, hash: recordHash(unsealed) };
}

/** One line, keys in a stable order so the same record always has the same bytes. */
export function recordLine(record: AuditRecord): string {
  return `${canonicalJson(record)}\n`;
}
