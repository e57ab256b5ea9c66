import { canonicalJson, sha256Hex } from '../../platform/canonical-json';
import { buildManifest, incidentPrefix, manifestBytes, manifestHash, manifestKey, type ArtifactEntry, type Custody, type Manifest } from './manifest';
import type { EvidenceStore } from './store';

/** What a collector hands over: a value (stored as canonical JSON) or original bytes kept as they came. */
export interface CollectedArtifact {
  name: string;
  collector: string;
  source: string;
  collectedAt: string;
  content: { json: unknown } | { bytes: Uint8Array };
}

export interface WrittenSnapshot {
  manifest: Manifest;
  manifestKey: string;
  manifestHash: string;
}

function artifactBytes(artifact: CollectedArtifact): Buffer {
  return 'bytes' in artifact.content ? Buffer.from(artifact.content.bytes) : Buffer.from(canonicalJson(artifact.content.json), 'utf8');
}

/** An already written snapshot (a retried activity finds its own manifest and changes nothing). */
export async function readSnapshot(store: EvidenceStore, incidentId: string, snapshotId: string): Promise<WrittenSnapshot | undefined> {
  const key = manifestKey(incidentId, snapshotId);
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  return { manifest: JSON.parse(Buffer.from(bytes).toString('utf8')) as Manifest, manifestKey: key, manifestHash: manifestHash(bytes) };
}

/** The incident's newest snapshot other than `except`, by creation time. */
async function latestSnapshot(store: EvidenceStore, incidentId: string, except: string): Promise<WrittenSnapshot | undefined> {
  const keys = (await store.list(incidentPrefix(incidentId))).filter((k) => k.endsWith('/manifest.json'));
  let latest: WrittenSnapshot | undefined;
  for (const key of keys) {
    const snapshotId = key.slice(incidentPrefix(incidentId).length, -'/manifest.json'.length);
    if (snapshotId === except) continue;
    const found = await readSnapshot(store, incidentId, snapshotId).catch(() => undefined);
    if (found && (!latest || found.manifest.createdAt > latest.manifest.createdAt)) latest = found;
  }
  return latest;
}

/**
 * Artifacts first (content-addressed keys, so a retry that collects different bytes adds files
 * and never collides), the manifest last: a snapshot exists once its manifest does.
 */
export async function writeSnapshot(
  store: EvidenceStore,
  input: { incidentId: string; snapshotId: string; createdAt: string; custody: Custody; artifacts: CollectedArtifact[] },
): Promise<WrittenSnapshot> {
  const existing = await readSnapshot(store, input.incidentId, input.snapshotId);
  if (existing) return existing;
  const folder = `${incidentPrefix(input.incidentId)}${input.snapshotId}/`;
  const entries: ArtifactEntry[] = [];
  for (const artifact of input.artifacts) {
    const body = artifactBytes(artifact);
    const sha256 = sha256Hex(body);
    const key = `${folder}artifacts/${artifact.name}.${sha256}`;
    await store.put(key, body);
    entries.push({ name: artifact.name, key, sha256, size: body.length, collector: artifact.collector, collectedAt: artifact.collectedAt, source: artifact.source });
  }
  const previous = await latestSnapshot(store, input.incidentId, input.snapshotId);
  const manifest = buildManifest({
    incidentId: input.incidentId,
    snapshotId: input.snapshotId,
    createdAt: input.createdAt,
    artifacts: entries,
    custody: input.custody,
    previous: previous ? { snapshotId: previous.manifest.snapshotId, manifestHash: previous.manifestHash } : null,
  });
  const bytes = manifestBytes(manifest);
  const key = manifestKey(input.incidentId, input.snapshotId);
  await store.put(key, bytes);
  return { manifest, manifestKey: key, manifestHash: manifestHash(bytes) };
}
