export { createEvidenceActivities, type EvidenceActivityDeps, type SnapshotRequest, type SnapshotResult } from './activities';
export { localEvidenceStore } from './local-store';
export { s3EvidenceStore, type S3EvidenceSettings } from './s3-store';
export { EvidenceConflictError, type EvidenceStore } from './store';
export { verifyIncidentEvidence, type EvidenceCheck, type Integrity, type SnapshotCheck } from './verify';
export { manifestAnchors, SNAPSHOT_EVENT } from './anchors';
export { writeSnapshot, readSnapshot, type CollectedArtifact } from './snapshot';
export { incidentPrefix, manifestKey, type Manifest } from './manifest';
export { evidenceStoreFor, evidenceDeps, auditLogPath } from './from-config';
