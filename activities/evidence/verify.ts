import { canonicalJson, sha256Hex } from '../../platform/canonical-json';
import { incidentPrefix, manifestHash, manifestKey, type Manifest } from './manifest';
import { merkleRoot } from './merkle';
import { checkKey, type EvidenceStore } from './store';

export type Integrity = 'intact' | 'altered' | 'missing';

export interface ArtifactCheck {
  name: string;
  key: string;
  status: Integrity;
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
 * Recomputes every artifact's SHA-256, every manifest's Merkle root and canonical form, and every
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
    const bytes = await store.get(key);
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
      const body = validKey(entry.key) && entry.key.startsWith(folder) ? await store.get(entry.key) : null;
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
    if (actual === undefined) {
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
