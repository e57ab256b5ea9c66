import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../../platform/config';
import { keyDir } from '../../platform/key-dir';
import { auditLogPath, evidenceStoreFor } from '../evidence/from-config';
import { anchorSigner, anchorVerifier, anchorWriter, type AnchorVerifier } from './anchors';
import { chainLog, type ChainLog } from './chain-log';
import { postgresLedgerName, postgresLog, readPostgresLedger } from './postgres-log';

export function anchorKeyPath(config: Config): string {
  return resolve(config.audit.anchorKeyPath ?? join(keyDir(config), 'audit-anchor.key'));
}

/** Which ledger this is, in reports and witness names: the file's path, or the database (no password). */
export function ledgerName(config: Config): string {
  return config.audit.postgres ? postgresLedgerName(config.audit.postgres.url) : auditLogPath(config);
}

/** One witness per ledger, beside the key: several ledgers (tests, environments) may share a key. */
export function witnessFile(config: Config): string {
  return `${anchorKeyPath(config)}.${createHash('sha256').update(ledgerName(config)).digest('hex').slice(0, 16)}.witness.json`;
}

/**
 * The configured audit ledger (the file, or PostgreSQL when `audit.postgres` is set), anchoring
 * its head (signed) to the configured evidence store. The file's key is made on first use; a
 * shared ledger's key must exist, the same on every writer.
 */
export function auditLogFor(config: Config): ChainLog {
  const keyPath = anchorKeyPath(config);
  const { postgres } = config.audit;
  const signer = anchorSigner(keyPath, {
    create: !postgres,
    missing: `audit.anchorKeyPath (TOURNIQUET_AUDIT_ANCHOR_KEY): no anchor signing key at ${keyPath}; a shared ledger (audit.postgres) needs the same key on every process that writes it (README: running in production)`,
  });
  const options = {
    sensitiveFields: config.audit.sensitiveFields,
    anchorEvery: config.audit.anchorEvery,
    anchorEveryMs: config.audit.anchorEverySeconds * 1000,
    anchor: anchorWriter(evidenceStoreFor(config), signer, witnessFile(config)),
    // The records are safe on disk; a missed anchor is reported, and the next one is taken as usual.
    onAnchorError: (err: unknown) => process.emitWarning(`audit anchor not written: ${(err as Error).message}`),
  };
  return postgres ? postgresLog({ ...options, url: postgres.url, poolSize: postgres.poolSize }) : chainLog({ ...options, path: auditLogPath(config) });
}

/**
 * The configured ledger's records as lines of canonical JSON, in order (what verify and the
 * coverage check read), with any row whose columns were edited apart from its record.
 */
export async function readLedger(config: Config): Promise<{ name: string; text: string; mismatches: { row: number; seq: number; problem: string }[] }> {
  const name = ledgerName(config);
  if (config.audit.postgres) return { name, ...(await readPostgresLedger(config.audit.postgres.url)) };
  const text = await readFile(auditLogPath(config), 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
  return { name, text, mismatches: [] };
}

/**
 * What an examiner verifies with: the public key when configured, else the signing key. With
 * neither, no anchor can be genuine, and a ledger that has records fails as unanchored.
 */
export function anchorVerifierFor(config: Config): AnchorVerifier {
  try {
    return anchorVerifier(config.audit.anchorPublicKeyPath ? resolve(config.audit.anchorPublicKeyPath) : anchorKeyPath(config));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { kid: 'none', verify: () => false };
  }
}
