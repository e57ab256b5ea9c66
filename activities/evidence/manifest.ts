import { fingerprintOf } from '../../domain/ids';
import { canonicalJson, sha256Hex } from '../../platform/canonical-json';
import { merkleRoot } from './merkle';

/** One stored artifact as the manifest lists it. */
export interface ArtifactEntry {
  name: string;
  /** evidence store key */
  key: string;
  sha256: string;
  size: number;
  /** what collected it, e.g. `aws.iam`, `incident.timeline`, `raw-alert` */
  collector: string;
  collectedAt: string;
  /** where it came from: an ARN, a workflow id, a raw payload reference */
  source: string;
}

/** Who or what collected the snapshot, when, from where and why. */
export interface Custody {
  collectedBy: string;
  host: string;
  at: string;
  why: { incident: string; step: string; label?: string };
  workflow: { id: string; runId: string };
  store: string;
}

export interface Manifest {
  version: 1;
  incidentId: string;
  snapshotId: string;
  createdAt: string;
  artifacts: ArtifactEntry[];
  merkleRoot: string;
  custody: Custody;
  /** the incident's snapshot before this one, and the SHA-256 of its manifest bytes */
  previous: { snapshotId: string; manifestHash: string } | null;
}

export function buildManifest(fields: Omit<Manifest, 'version' | 'merkleRoot'>): Manifest {
  return { version: 1, ...fields, merkleRoot: merkleRoot(fields.artifacts) };
}

/** The stored bytes are the canonical JSON, so any edit (even whitespace) changes the hash. */
export function manifestBytes(manifest: Manifest): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

export function manifestHash(bytes: Uint8Array): string {
  return sha256Hex(bytes);
}

/** `incident/<fingerprint>` → `incidents/<fingerprint>`: one folder per incident. */
export function incidentPrefix(incidentId: string): string {
  const fingerprint = fingerprintOf(incidentId).replace(/[^\w.@=-]/g, '_');
  return `incidents/${fingerprint}/`;
}

export function manifestKey(incidentId: string, snapshotId: string): string {
  return `${incidentPrefix(incidentId)}${snapshotId}/manifest.json`;
}
