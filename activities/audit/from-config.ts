import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Config } from '../../platform/config';
import { keyDir } from '../../platform/key-dir';
import { auditLogPath, evidenceStoreFor } from '../evidence/from-config';
import { anchorSigner, anchorVerifier, anchorWriter, type AnchorVerifier } from './anchors';
import { chainLog, type ChainLog } from './chain-log';

export function anchorKeyPath(config: Config): string {
  return resolve(config.audit.anchorKeyPath ?? join(keyDir(config), 'audit-anchor.key'));
}

/** One witness per ledger, beside the key: several ledgers (tests, environments) may share a key. */
export function witnessFile(config: Config): string {
  return `${anchorKeyPath(config)}.${createHash('sha256').update(auditLogPath(config)).digest('hex').slice(0, 16)}.witness.json`;
}

/** The configured audit log, anchoring its head (signed) to the configured evidence store. */
export function auditLogFor(config: Config): ChainLog {
  const keyPath = anchorKeyPath(config);
  return chainLog({
    path: auditLogPath(config),
    sensitiveFields: config.audit.sensitiveFields,
    anchorEvery: config.audit.anchorEvery,
    anchorEveryMs: config.audit.anchorEverySeconds * 1000,
    anchor: anchorWriter(evidenceStoreFor(config), anchorSigner(keyPath), witnessFile(config)),
    // The records are safe on disk; a missed anchor is reported, and the next one is taken as usual.
    onAnchorError: (err) => process.emitWarning(`audit anchor not written: ${(err as Error).message}`),
  });
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
