import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson } from '../../platform/canonical-json';
import type { EvidenceStore } from '../evidence/store';
import type { ChainHead } from './record';

/**
 * Anchors: the ledger's chain head, signed with a key kept apart from the data directory, written
 * where the writer cannot take it back — the write-once evidence store (S3 Object Lock in
 * production) and a witness file beside the key. An anchor vouches for every record up to its seq
 * (each hash commits to all before it). They are taken every N records and, while the ledger grows,
 * every interval, so a tail cut short or a rewritten chain disagrees with a signed anchor, and a
 * ledger deleted whole is known to have existed.
 */
export interface Anchor extends ChainHead {
  at: string;
  reason: 'count' | 'time' | 'close';
  /** which key signed it: the first 16 hex of the SHA-256 of its public key */
  kid: string;
  /** Ed25519 over the canonical JSON of the other fields, base64 */
  signature: string;
}

type Unsigned = Omit<Anchor, 'signature'>;

export const ANCHOR_PREFIX = 'audit-anchors/';

/** Verifies anchors: all a read-only examiner needs is the public key. */
export interface AnchorVerifier {
  kid: string;
  verify(anchor: Anchor): boolean;
}

export interface AnchorSigner extends AnchorVerifier {
  sign(anchor: Unsigned): Anchor;
}

function kidOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function verifierFor(publicKey: KeyObject): AnchorVerifier {
  const kid = kidOf(publicKey);
  return {
    kid,
    verify: (anchor) => {
      const { signature, ...rest } = anchor;
      if (rest.kid !== kid || typeof signature !== 'string') return false;
      try {
        return verify(null, Buffer.from(canonicalJson(rest)), publicKey, Buffer.from(signature, 'base64'));
      } catch {
        return false;
      }
    },
  };
}

/**
 * The signing key at `path` (PKCS#8 PEM, owner-only), created on first use by a process that writes
 * the ledger. It must not live in the data directory: whoever can rewrite the log must not also be
 * able to sign new anchors for it.
 */
export function anchorSigner(path: string, options: { create?: boolean; missing?: string } = {}): AnchorSigner {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // A shared ledger has one key for every writer: one made here would sign anchors nobody accepts.
    if (options.create === false) throw new Error(options.missing ?? `no anchor signing key at ${path}`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
  }
  const privateKey = createPrivateKey(pem);
  const verifier = verifierFor(createPublicKey(privateKey));
  return {
    ...verifier,
    sign: (anchor) => ({ ...anchor, signature: sign(null, Buffer.from(canonicalJson(anchor)), privateKey).toString('base64') }),
  };
}

/** A verifier from a public key file (SPKI PEM) or, failing that, from the signing key file. */
export function anchorVerifier(path: string): AnchorVerifier {
  const pem = readFileSync(path, 'utf8');
  return verifierFor(pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem));
}

export function publicKeyPem(signerPath: string): string {
  return createPublicKey(createPrivateKey(readFileSync(signerPath, 'utf8'))).export({ type: 'spki', format: 'pem' }).toString();
}

/** The latest anchor of one ledger, kept beside the signing key: survives a data directory wiped or rewritten. */
export function readWitness(witnessFile: string): Anchor | undefined {
  try {
    return JSON.parse(readFileSync(witnessFile, 'utf8')) as Anchor;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Sign the head and write the anchor to the evidence store and the witness file. */
export function anchorWriter(store: EvidenceStore, signer: AnchorSigner, witnessFile: string, now: () => Date = () => new Date()) {
  return async (head: ChainHead, reason: Anchor['reason']): Promise<Anchor> => {
    const at = now();
    const anchor = signer.sign({ seq: head.seq, hash: head.hash, at: at.toISOString(), reason, kid: signer.kid });
    await store.put(`${ANCHOR_PREFIX}${String(head.seq).padStart(12, '0')}-${at.getTime()}.json`, Buffer.from(JSON.stringify(anchor), 'utf8'));
    const witness = readWitness(witnessFile);
    if (!witness || witness.seq <= anchor.seq) {
      const tmp = `${witnessFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(anchor), { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, witnessFile);
    }
    return anchor;
  };
}

export async function readAnchors(store: EvidenceStore): Promise<Anchor[]> {
  const anchors: Anchor[] = [];
  for (const key of await store.list(ANCHOR_PREFIX)) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    try {
      anchors.push(JSON.parse(Buffer.from(bytes).toString('utf8')) as Anchor);
    } catch {
      anchors.push({ seq: -1, hash: '', at: '', reason: 'count', kid: '', signature: `unreadable ${key}` });
    }
  }
  return anchors.sort((a, b) => a.seq - b.seq || a.at.localeCompare(b.at));
}
