/**
 * protectDataStore: ransomware on a data store. Exactly as planned: the writer is denied writes
 * and deletes on the bucket (one statement, removed by the undo), the object versions counted in
 * the plan are the evidence of what was overwritten or deleted (their digest pins the listing), and
 * the database the alert names gets a manual snapshot, which the undo keeps.
 */
import type { StepInput, StepOutcome } from '../../activities/step';
import type { RunbookStep } from '../../domain/runbook';
import { onTheLedger, playbookActivities, stepAuthority } from './activity-options';
import type { KnownUndo } from './undo-kinds';

export async function protectDataStoreWorkflow(input: StepInput, step?: RunbookStep): Promise<StepOutcome> {
  const { acts, written } = onTheLedger(playbookActivities(step), stepAuthority(input));
  const plan = await acts.prepareProtectDataStore(input);
  const did: string[] = [];
  const b = plan.bucket;
  if (b) {
    await acts.addBucketPolicyStatement({ bucket: b.name, statement: b.statement });
    did.push(`${b.principalArn} denied writes and deletes on S3 bucket ${b.name}${b.already ? ' (already)' : ''}`);
    const v = b.versions;
    did.push(`versions recorded: ${v.objects} current, ${v.noncurrent} older, ${v.deleteMarkers} delete marker(s)${v.truncated ? ' (cut short)' : ''}, ${v.digest}`);
  }
  const s = plan.snapshot;
  if (s) {
    await acts.snapshotDatabase({ kind: s.kind, source: s.source, snapshotId: s.snapshotId });
    did.push(`RDS ${s.kind} snapshot ${s.snapshotId} of ${s.source} taken`);
  }
  return {
    summary: did.join('; '),
    writes: written,
    ...(b ? { undo: { type: 'liftWriteDeny', params: { bucket: b.name, sid: b.statement.Sid }, description: `remove the deny on writes to S3 bucket ${b.name} (snapshots are kept)` } satisfies KnownUndo } : {}),
  };
}
