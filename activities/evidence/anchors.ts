import { readFile } from 'node:fs/promises';
import type { AuditRecord } from '../audit/record';
import type { ManifestAnchors } from './verify';

export const SNAPSHOT_EVENT = 'evidence.snapshot';

/** snapshot id → manifest hash, from the audit log's `evidence.snapshot` records of one incident. */
export async function manifestAnchors(auditLogPath: string, incidentId: string): Promise<ManifestAnchors> {
  const anchors = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(auditLogPath, 'utf8');
  } catch {
    return anchors;
  }
  for (const line of text.split('\n')) {
    if (!line.includes(SNAPSHOT_EVENT)) continue;
    try {
      const record = JSON.parse(line) as AuditRecord;
      const details = record.details as { snapshotId?: string; manifestHash?: string } | undefined;
      if (record.what === SNAPSHOT_EVENT && record.why.incident === incidentId && details?.snapshotId && details.manifestHash) {
        anchors.set(details.snapshotId, details.manifestHash);
      }
    } catch {
      // a damaged line is `audit verify`'s to report
    }
  }
  return anchors;
}
