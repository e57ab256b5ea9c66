import { canonicalJson, sha256Hex } from '../../platform/canonical-json';
import { incidentPrefix, manifestHash, manifestKey, type Manifest } from './manifest';
import { merkleRoot } from './merkle';
import { UnreadableEvidenceError } from './sealed-store';
import { checkKey, type EvidenceStore } from './store';

/**
 * A stored object as verify sees it: its plaintext, absent, or present but not decrypting. A wrong
 * key and a changed byte are both `altered` (neither is the object that was written); the reason
 * tells them apart: `wrong-key` (a key with that id is configured, but it is not the one that
 * sealed the object), `unknown-key` (no key with that id here), `altered` (the bytes changed).
 */
type Read = { body: Uint8Array } | { body: undefined } | { unreadable: string };

async function read(store: EvidenceStore, key: string): Promise<Read> {
  try {
    return { body: await store.get(key) };
  } catch (err) {
    if (err instanceof UnreadableEvidenceError) return { unreadable: `${UNREADABLE[err.reason]} (${err.message})` };
    throw err;
  }
}

const UNREADABLE: Record<UnreadableEvidenceError['reason'], string> = {
  'wrong-key': 'does not decrypt: wrong key',
  'unknown-key': 'does not decrypt: its key is not configured here',
  altered: 'does not decrypt: ciphertext changed',
  malformed: 'does not decrypt: not an intact encrypted object',
};

export type Integrity = 'intact' | 'altered' | 'missing';

export interface ArtifactCheck {
  name: string;
  key: string;
  status: Integrity;
  /** why it is not intact, when the hash alone does not say (it does not decrypt) */
  problem?: string;
}

export interface SnapshotCheck {
  snapshotId: string;
  manifestKey: string;
  manifest: Integrity;
  /** why the manifest is not intact */
  problems: string[];
  artifacts: ArtifactCheck[];
}

export interface EvidenceCheck {
  incidentId: string;
  status: Integrity;
  snapshots: SnapshotCheck[];
}

/** Manifest hashes recorded outside the store (the audit log's `evidence.snapshot` records). */
export type ManifestAnchors = ReadonlyMap<string, string>;

/**
 * Decrypts every object and recomputes every artifact's SHA-256 (over the plaintext, as the manifest records it), every manifest's Merkle root and canonical form, and every
 * link between manifests; a manifest hash recorded in the audit log must match the stored bytes.
 * Anything changed is `altered`, anything absent is `missing`; `altered` outranks `missing`.
 */
export async function verifyIncidentEvidence(store: EvidenceStore, incidentId: string, anchors: ManifestAnchors = new Map()): Promise<EvidenceCheck> {
  const prefix = incidentPrefix(incidentId);
  const ids = new Set(
    (await store.list(prefix)).filter((k) => k.endsWith('/manifest.json')).map((k) => k.slice(prefix.length, -'/manifest.json'.length)),
  );
  for (const anchored of anchors.keys()) ids.add(anchored);
  const hashes = new Map<string, string>();
  const manifests = new Map<string, Manifest>();
  const snapshots: SnapshotCheck[] = [];

  for (const snapshotId of [...ids].sort()) {
    const key = manifestKey(incidentId, snapshotId);
    const check: SnapshotCheck = { snapshotId, manifestKey: key, manifest: 'intact', problems: [], artifacts: [] };
    snapshots.push(check);
    const got = await read(store, key);
    if ('unreadable' in got) {
      check.manifest = 'altered';
      check.problems.push(`manifest ${got.unreadable}`);
      continue;
    }
    const bytes = got.body;
    if (!bytes) {
      check.manifest = 'missing';
      check.problems.push('manifest not found, though the audit log records this snapshot');
      continue;
    }
    const hash = manifestHash(bytes);
    hashes.set(snapshotId, hash);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as Manifest;
    } catch {
      check.manifest = 'altered';
      check.problems.push('manifest is not valid JSON');
      continue;
    }
    manifests.set(snapshotId, manifest);
    if (canonicalJson(manifest) !== Buffer.from(bytes).toString('utf8')) check.problems.push('manifest bytes are not in their canonical form');
    if (manifest.snapshotId !== snapshotId || manifest.incidentId !== incidentId) check.problems.push('manifest names another snapshot or incident');
    if (merkleRoot(manifest.artifacts ?? []) !== manifest.merkleRoot) check.problems.push('Merkle root does not match the listed artifacts');
    const anchored = anchors.get(snapshotId);
    if (anchored && anchored !== hash) check.problems.push('manifest hash differs from the one recorded in the audit log');
    if (check.problems.length > 0) check.manifest = 'altered';
    const folder = `${prefix}${snapshotId}/artifacts/`;
    for (const entry of manifest.artifacts ?? []) {
      // A key outside the snapshot's own folder (or not a key at all) can only come from an edit.
      const got: Read | null = validKey(entry.key) && entry.key.startsWith(folder) ? await read(store, entry.key) : null;
      if (got && 'unreadable' in got) {
        check.artifacts.push({ name: entry.name, key: entry.key, status: 'altered', problem: got.unreadable });
        continue;
      }
      const body = got === null ? null : got.body;
      const status: Integrity =
        body === null ? 'altered' : !body ? 'missing' : sha256Hex(body) !== entry.sha256 || body.length !== entry.size ? 'altered' : 'intact';
      check.artifacts.push({ name: entry.name, key: entry.key, status });
    }
  }

  // Each manifest names its predecessor's hash: an edited or removed predecessor shows here too.
  for (const check of snapshots) {
    const previous = manifests.get(check.snapshotId)?.previous;
    if (!previous) continue;
    const actual = hashes.get(previous.snapshotId);
    const target = snapshots.find((s) => s.snapshotId === previous.snapshotId);
    if (actual === undefined && target?.manifest === 'altered') {
      // there but unreadable: already reported as altered, which says more than missing
    } else if (actual === undefined) {
      check.problems.push(`previous snapshot ${previous.snapshotId} is missing`);
      if (target) target.manifest = 'missing';
      else snapshots.push({ snapshotId: previous.snapshotId, manifestKey: manifestKey(incidentId, previous.snapshotId), manifest: 'missing', problems: ['manifest not found, though a later snapshot links to it'], artifacts: [] });
    } else if (actual !== previous.manifestHash && target) {
      target.manifest = 'altered';
      target.problems.push(`manifest hash differs from the one snapshot ${check.snapshotId} links to`);
    }
  }

  const all = snapshots.flatMap((s) => [s.manifest, ...s.artifacts.map((a) => a.status)]);
  // Altered outranks missing: an edited manifest may point at artifacts that were never there.
  const status: Integrity = all.includes('altered') ? 'altered' : snapshots.length === 0 || all.includes('missing') ? 'missing' : 'intact';
  return { incidentId, status, snapshots };
}

function validKey(key: unknown): key is string {
  try {
    return typeof key === 'string' && checkKey(key) === key;
  } catch {
    return false;
  }
}
